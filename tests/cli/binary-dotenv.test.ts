// The compiled binary reads the project root's .env, never the .env of the folder it is started
// in: Bun's own .env autoload is off in the binary (scripts/build.ts autoloadDotenv: false).
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { hostBinary } from "../support/binary.ts";
import { dagx, makeProject, removeProject } from "./helpers.ts";

let tmp: string;
let bin: string;
const dirs: string[] = [];

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), "dagx-bin-env-"));
  bin = await hostBinary(tmp);
}, 180_000);
afterAll(() => [tmp, ...dirs].forEach((d) => d && removeProject(d)));

const CONFIG = `import { defineConfig, defineResource, env } from "dagx";
const settings = defineResource({
  config: { region: env("DAGX_BIN_REGION", { default: "unset" }), cwdOnly: env("DAGX_BIN_CWD_ONLY", { default: "unset" }) },
  setup: ({ config }) => config,
});
export default defineConfig({ resources: { settings } });
`;
const ASSET = `import { asset } from "dagx";
export const seen = asset({ resources: ["settings"] }, (ctx) => ({ ...ctx.resources.settings, direct: process.env.DAGX_BIN_REGION ?? null }));
`;

test("the binary started in another folder uses the project's .env, not that folder's", async () => {
  const project = makeProject({ "dagx.config.ts": CONFIG, "a.asset.ts": ASSET, ".env": "DAGX_BIN_REGION=from-project\n" }, "dagx-env-project-");
  const elsewhere = makeProject({ ".env": "DAGX_BIN_REGION=from-cwd\nDAGX_BIN_CWD_ONLY=from-cwd\n" }, "dagx-env-cwd-");
  dirs.push(project, elsewhere);
  const r = await dagx(elsewhere, ["-C", project, "materialize", "seen"], { bin });
  expect(r.stderr).not.toContain("error");
  expect(r.code).toBe(0);
  // user code reading process.env sees the project's .env too
  expect(JSON.parse(readFileSync(join(project, ".dagx/data/seen/value.json"), "utf8"))).toEqual({ region: "from-project", cwdOnly: "unset", direct: "from-project" });
}, 120_000);
