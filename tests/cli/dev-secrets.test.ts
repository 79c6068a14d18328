// `dagx dev`: what the worker process prints reaches the supervisor's terminal through its IPC
// messages, which are redacted in the worker (io/dev/worker.ts): a secret logged by an asset or
// thrown in an error never reaches the dev terminal, nor state.
import { afterAll, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { runDagx } from "./helpers.ts";
import { liveFixtures, startLive } from "./live.ts";

const fx = liveFixtures("dagx-dev-secrets-");
afterAll(() => fx.cleanup());
const SECRET = "devtok-7Hq2-s3cr3t";

test("dagx dev: a secret logged by an asset and thrown in an error is redacted in the dev output and in state", async () => {
  const dir = fx.project({
    ".env": `DEV_API_TOKEN=${SECRET}\n`,
    "dagx.config.ts": `import { defineConfig, defineResource, env } from "dagx";
const api = defineResource({ config: { token: env("DEV_API_TOKEN") }, setup: ({ config }) => config });
export default defineConfig({ resources: { api } });
`,
    "a.asset.ts": `import { asset } from "dagx";\nexport const first = asset(() => 1);\n`,
  });
  const d = fx.track(startLive(dir, ["dev"]));
  await d.waitFor("watching for changes", { timeoutMs: 30_000 });
  // added assets are materialized by the dev loop
  writeFileSync(
    join(dir, "a.asset.ts"),
    `import { asset } from "dagx";
export const first = asset(() => 1);
export const ok = asset({ resources: ["api"] }, (ctx) => { ctx.log.info("using " + ctx.resources.api.token); return 1; });
export const bad = asset({ resources: ["api"] }, (ctx) => { throw new Error("refused " + ctx.resources.api.token); });
`,
  );
  await d.waitFor(/refused \[redacted\]/, { timeoutMs: 30_000 });
  await d.waitFor(/using \[redacted\]/, { timeoutMs: 30_000 });
  expect(d.text()).not.toContain(SECRET);
  await d.stop("SIGINT");
  const logs = await runDagx(dir, ["logs", "latest", "--json"]);
  expect(logs.stdout).toContain("[redacted]");
  expect(logs.stdout).not.toContain(SECRET);
}, 60_000);
