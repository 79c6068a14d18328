// `dagx dev --config/--config-file`: the config of dev's re-materializations, validated by the worker
// against the definitions it loaded — at start (a typo shows at once) and at each run; the file is
// read again for each run. Spawned: dev is a supervisor with worker processes.
import { afterAll, expect, test } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { runDagx } from "./helpers.ts";
import { liveFixtures, startLive, until } from "./live.ts";

const fx = liveFixtures("dagx-dev-config-");
afterAll(() => fx.cleanup());

const assets = (version: string) => `import { asset, v } from "dagx";
export const scaled = asset({ config: v.object({ factor: v.optional(v.number(), 1) }) }, (ctx) => ({ value: 10 * ctx.config.factor, version: "${version}" }));
`;

test("dagx dev --config-file: re-materializations run with it (read again per run); a bad field is reported at start and the loop keeps watching", async () => {
  const dir = fx.project({ "dagx.config.ts": `import { defineConfig } from "dagx";\nexport default defineConfig({});\n`, "a.asset.ts": assets("v1"), "run.json": JSON.stringify({ scaled: { factr: 3 } }) });
  const d = fx.track(startLive(dir, ["dev", "--no-daemon", "--config-file", "run.json"]));
  await d.waitFor(/scaled\.factr: unknown field — did you mean "factor"\?/, { timeoutMs: 30_000 });
  await d.waitFor("watching for changes", { timeoutMs: 30_000 });
  writeFileSync(join(dir, "run.json"), JSON.stringify({ scaled: { factor: 3 } }));
  writeFileSync(join(dir, "a.asset.ts"), assets("v2"));
  const value = () => JSON.parse(readFileSync(join(dir, ".dagx/data/scaled/value.json"), "utf8")).value as number;
  await until(() => { try { return value() === 30; } catch { return false; } }, "scaled materialized with factor 3", 30_000, () => d.text());
  await d.stop("SIGINT");
  const runs = await runDagx(dir, ["runs", "--json"]);
  expect(runs.json<{ trigger: string; config?: unknown }[]>().find((r) => r.trigger === "dev")?.config).toEqual({ scaled: { factor: 3 } });
}, 60_000);

test("dagx dev --config-file that does not parse is refused at start (exit 2)", async () => {
  const dir = fx.project({ "dagx.config.ts": `import { defineConfig } from "dagx";\nexport default defineConfig({});\n`, "a.asset.ts": assets("v1"), "run.json": "{ nope" });
  const r = await runDagx(dir, ["dev", "--config-file", "run.json"]);
  expect(r.code).toBe(2);
  expect(r.stderr).toContain(`Cannot read --config-file "run.json": not valid JSON`);
});
