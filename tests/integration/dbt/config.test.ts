// `dbt` in dagx.config.ts and dbt's own selection syntax, with the real dbt: the executable as an
// argv (a wrapper that records its calls), a project declared only in the config, `select`/
// `exclude` resolved by `dbt ls` (cached), an invalid selector, and config errors at file:line.
// In-process (runDagx): each config variant is its own temp project (Bun caches an imported
// config module). ~25 s.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { runDagx } from "../../cli/helpers.ts";
import { dbtExecutable, dbtUnavailable } from "../../support/dbt.ts";
import { miniProject } from "./mini.ts";

const unavailable = dbtUnavailable();
if (unavailable) console.warn(`*** SKIPPED *** tests/integration/dbt/config: ${unavailable}`);

const dirs: string[] = [];
let dbt: string;
const MODELS = {
  "dbt/models/raw_a.sql": "{{ config(tags=['nightly']) }}\nselect 1 as id\n",
  "dbt/models/raw_b.sql": "select 2 as id\n",
  "dbt/models/mart.sql": "select * from {{ ref('raw_a') }} union all select * from {{ ref('raw_b') }}\n",
  "dbt/models/legacy.sql": "{{ config(tags=['nightly', 'deprecated']) }}\nselect 3 as id\n",
};
const project = (files: Record<string, string>) => {
  const d = miniProject("dagx-dbt-config-", { ...MODELS, ...files });
  dirs.push(d);
  return d;
};
const keys = async (dir: string, env: Record<string, string> = {}) => {
  const r = await runDagx(dir, ["list", "--json"], { env });
  if (r.code !== 0 || r.stderr !== "") throw new Error(`list failed (${r.code}): ${r.stderr}`);
  return r.json<{ key: string }[]>().map((a) => a.key).sort();
};

describe.skipIf(unavailable !== undefined)("dbt in dagx.config.ts", () => {
  let saved: string | undefined;
  beforeAll(async () => {
    dbt = await dbtExecutable();
    saved = process.env.DAGX_DBT_EXECUTABLE;
    delete process.env.DAGX_DBT_EXECUTABLE; // the config's executable, not the override
  }, 300_000);
  afterAll(() => {
    if (saved !== undefined) process.env.DAGX_DBT_EXECUTABLE = saved;
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  test("dbt.executable as an argv, a project declared only in the config, materialized", async () => {
    const dir = project({});
    writeFileSync(join(dir, "run-dbt.sh"), `echo "$@" >> "${join(dir, "calls.txt")}"\nexec "${dbt}" "$@"\n`);
    writeFileSync(join(dir, "dagx.config.ts"), `import { defineConfig } from "dagx";\nexport default defineConfig({\n  dbt: { executable: ["sh", ${JSON.stringify(join(dir, "run-dbt.sh"))}], projects: [{ dir: "dbt" }] },\n});\n`);
    expect(await keys(dir)).toEqual(["legacy", "mart", "raw_a", "raw_b"]);
    const r = await runDagx(dir, ["materialize", "mart", "raw_a", "raw_b"]);
    expect(r.stderr + r.stdout).toContain("3 materialized, 0 failed");
    const calls = readFileSync(join(dir, "calls.txt"), "utf8");
    expect(calls).toMatch(/^parse /m);
    expect(calls).toMatch(/^build --select fqn:mini\.\w+ fqn:mini\.\w+ fqn:mini\.\w+ /m);
  }, 120_000);

  test("select and exclude take dbt's selection syntax, resolved once by dbt ls", async () => {
    const dir = project({
      "assets/dbt.asset.ts": `import { dbtProject } from "dagx";\nexport const shop = dbtProject({ dir: "dbt", select: "tag:nightly +mart", exclude: "tag:deprecated" });\n`,
    });
    // the environment's override: a wrapper that records each dbt call
    writeFileSync(join(dir, "run-dbt"), `#!/bin/sh\necho "$1" >> "${join(dir, "calls.txt")}"\nexec "${dbt}" "$@"\n`);
    chmodSync(join(dir, "run-dbt"), 0o755);
    const env = { DAGX_DBT_EXECUTABLE: join(dir, "run-dbt") };
    expect(await keys(dir, env)).toEqual(["mart", "raw_a", "raw_b"]);
    expect(await keys(dir, env)).toEqual(["mart", "raw_a", "raw_b"]);
    // cached: the second load ran neither dbt parse nor dbt ls
    expect(readFileSync(join(dir, "calls.txt"), "utf8")).toBe("parse\nls\n");
  }, 120_000);

  test("an invalid selector is a definitions error with dbt's message", async () => {
    const dir = project({
      "assets/dbt.asset.ts": `import { dbtProject } from "dagx";\nexport const shop = dbtProject({ dir: "dbt", select: "colour:blue" });\n`,
    });
    const r = await runDagx(dir, ["list"], { env: { DAGX_DBT_EXECUTABLE: dbt } });
    expect(r.stderr).toContain('Error in assets/dbt.asset.ts: dbt could not resolve the selection (select "colour:blue")');
    expect(r.stderr).toContain("'colour' is not a valid method name");
  }, 120_000);

  test("a bad dbt entry is a config error at its line", async () => {
    const cases: [string, RegExp][] = [
      [`dbt: { executable: 3 }`, /dagx\.config\.ts:3: dbt\.executable must be a path \("dbt", "\/opt\/venv\/bin\/dbt"\) or a non-empty argv list/],
      [`dbt: { executible: "dbt" }`, /dagx\.config\.ts:3: unknown key "dbt\.executible" — did you mean "executable"/],
      [`dbt: { projects: [{ dir: "dbt", select: ["a", "b"] }] }`, /dagx\.config\.ts:3: dbt\.projects\[0\]: "select" must be a dbt selection string .*: join the list with spaces/],
      [`dbt: { projects: [{ folder: "dbt" }] }`, /dbt\.projects\[0\]: unknown dbt project option "folder"/],
    ];
    for (const [entry, expected] of cases) {
      const dir = project({ "dagx.config.ts": `import { defineConfig } from "dagx";\nexport default defineConfig({\n  ${entry},\n} as never);\n` });
      const r = await runDagx(dir, ["list"]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(expected);
    }
  }, 60_000);
});
