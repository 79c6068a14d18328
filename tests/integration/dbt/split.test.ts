// One `dbt build` per contiguous run of dbt nodes, with the real dbt: dbt model a → TS asset x
// (reads a's Parquet) → the dbt source dagx.x → model b. One step would be a cycle; dagx splits the
// project into two steps and runs x between the builds. A true cycle (b → TS asset z → a source
// that feeds a) is a definitions error naming its path. In-process (runDagx). ~20 s.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { runDagx } from "../../cli/helpers.ts";
import { dbtExecutable, dbtUnavailable } from "../../support/dbt.ts";
import { dagxSource, duck, miniProject } from "./mini.ts";

const unavailable = dbtUnavailable();
if (unavailable) console.warn(`*** SKIPPED *** tests/integration/dbt/split: ${unavailable}`);

let dir: string;
let env: Record<string, string>;

describe.skipIf(unavailable !== undefined)("a TS asset between dbt models", () => {
  beforeAll(async () => {
    env = { DAGX_DBT_EXECUTABLE: await dbtExecutable() };
    dir = miniProject("dagx-dbt-split-", {
      "dagx.config.ts": `export default { dbt: { projects: [{ dir: "dbt" }] } };\n`,
      "dbt/models/a.sql": "{{ config(materialized='external', location='out/a.parquet') }}\nselect 1 as id, 10 as v union all select 2, 20\n",
      "dbt/models/b.sql": "{{ config(materialized='external', location='out/b.parquet') }}\nselect id, doubled * 2 as w from {{ source('dagx', 'x') }}\n",
      "dbt/models/c.sql": "{{ config(materialized='table') }}\nselect count(*) as n from {{ ref('a') }}\n",
      "dbt/models/sources.yml": dagxSource("x"),
      "dbt/out/.keep": "",
      "assets/x.asset.ts": `import { asset } from "dagx";
export const x = asset({ deps: ["a"] }, (ctx) => ctx.sql\`select id, v * 2 as doubled from read_parquet(\${ctx.path("dbt/out/a.parquet")})\`);
`,
    });
  }, 300_000);
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test("the project splits around x: a (and c) build, then x, then b", async () => {
    const l = await runDagx(dir, ["list", "--json"], { env });
    expect(l.stderr).toBe("");
    const rows = l.json<{ key: string; deps: string[] }[]>();
    const deps = Object.fromEntries(rows.map((r) => [r.key, r.deps]));
    expect(deps).toEqual({ a: [], c: ["a"], x: ["a"], b: ["x"] });

    const r = await runDagx(dir, ["materialize", "*"], { env });
    const out = r.stderr + r.stdout;
    expect(out).toContain("4 materialized, 0 failed");
    expect(r.code).toBe(0);
    // x ran after a's build and before b's
    const at = (re: RegExp) => out.search(re);
    expect(at(/dbt model\.mini\.a: success/)).toBeGreaterThanOrEqual(0);
    expect(at(/dbt model\.mini\.a: success/)).toBeLessThan(at(/✓ x\b/));
    expect(at(/✓ x\b/)).toBeLessThan(at(/dbt model\.mini\.b: success/));
    expect(await duck("", `select id, w from '${join(dir, "dbt/out/b.parquet")}' order by id`)).toEqual([
      { id: 1, w: 40 },
      { id: 2, w: 80 },
    ]);
  }, 120_000);

  test("a true cycle through a dagx asset is a definitions error naming the path", async () => {
    writeFileSync(join(dir, "assets/z.asset.ts"), `import { asset } from "dagx";\nexport const z = asset({ deps: ["b"] }, () => [{ id: 1 }]);\n`);
    writeFileSync(join(dir, "dbt/models/sources.yml"), dagxSource("x", "z"));
    writeFileSync(join(dir, "dbt/models/a.sql"), "{{ config(materialized='external', location='out/a.parquet') }}\nselect id, 10 as v from {{ source('dagx', 'z') }}\n");
    const r = await runDagx(dir, ["materialize", "*"], { env });
    // a load error of the file that declares the project (here the config); its assets are left out
    expect(r.stderr).toContain('Error in dagx.config.ts: Cycle through the dbt project "dbt": a → x → b → z → a — a dbt node cannot be both upstream and downstream');
    expect(r.stdout + r.stderr).not.toMatch(/✓ a\b/);
  }, 120_000);
});
