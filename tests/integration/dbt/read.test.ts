// dbt → dagx with the real dbt (tests/support/dbt.ts): what dbt-duckdb wrote is observed after each
// build (rows, columns, a content data version), so a dbt model over a source dagx does not
// materialize is seen to change when that source does; downstream TS and SQL assets read dbt
// relations (a table and a view) attached read-only; `dagx types` types them; a file another process
// holds for writing fails the read with a clear message. Last, that source as an external asset
// (kinds dbt, source; this was sources.test.ts, the same project set up a second time): `dagx
// observe` hashes its external_location file, so a changed file makes the models reading it stale
// and an unchanged one keeps them fresh (run before the last test's in-memory profile). In-process
// (runDagx): between calls only dbt and CSV files are edited, which this process never imports.
// ~10 s of CPU with the venv cached.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { BUN, makeProject, ok, runDagx } from "../../cli/helpers.ts";
import { dbtExecutable, dbtUnavailable } from "../../support/dbt.ts";

const unavailable = dbtUnavailable();
if (unavailable) console.warn(`*** SKIPPED *** tests/integration/dbt/read: ${unavailable}`);

interface Status {
  key: string;
  status: string;
  lastMaterialization: { dataVersion: string; rows: number | null; path: string; schema: { name: string; type: string }[] | null; schemaChange: unknown } | null;
}

let dir: string;
let env: Record<string, string>;

async function status(): Promise<Record<string, Status>> {
  const r = await runDagx(dir, ["status", "--json"], { env });
  expect(r.code).toBe(0);
  return Object.fromEntries((JSON.parse(r.stdout) as Status[]).map((s) => [s.key, s]));
}

async function query(sql: string): Promise<unknown> {
  const r = await runDagx(dir, ["query", sql, "--json"], { env });
  expect(r.stderr).toBe("");
  return JSON.parse(r.stdout);
}

describe.skipIf(unavailable !== undefined)("dbt → dagx: observed relations, read downstream", () => {
  beforeAll(async () => {
    dir = makeProject(
      {
        "dagx.config.ts": `import { defineConfig } from "dagx";\nexport default defineConfig({});\n`,
        "assets/dbt.asset.ts": `import { dbtProject } from "dagx";\nexport const ext = dbtProject({ dir: "dbt" });\n`,
        // a TS asset reading a dbt table model through ref(), and a SQL asset reading a dbt view by its table name
        "assets/report.asset.ts": `import { asset, ref } from "dagx";
export const report = asset({ ins: { totals: ref("price_totals") } }, (ctx, { totals }) =>
  ctx.sql\`select sum(total) as grand, count(*) as items from \${totals}\`);
`,
        "assets/dear.asset.sql": "-- @description: items that cost more than 5\nselect item from price_view where total > 5\n",
        "outside/prices.csv": "item,price\napple,2\npear,3\nplum,7\n",
        "dbt/dbt_project.yml": "name: ext\nversion: '1.0.0'\nprofile: ext\nmodel-paths: [models]\nmodels:\n  ext:\n    +materialized: table\n",
        // the path's default is relative: dbt-duckdb opens it from the dbt project folder
        "dbt/profiles.yml": "ext:\n  target: dev\n  outputs:\n    dev:\n      type: duckdb\n      path: \"{{ env_var('EXT_DUCKDB_UNSET', 'ext.duckdb') }}\"\n      threads: 1\n",
        // a source dagx does not materialize: its data changes outside dagx
        "dbt/models/sources.yml": "version: 2\nsources:\n  - name: outside\n    tables:\n      - name: prices\n        config:\n          external_location: \"{{ env_var('DAGX_PROJECT_ROOT') }}/outside/prices.csv\"\n",
        "dbt/models/price_totals.sql": "select item, sum(price) as total from {{ source('outside', 'prices') }} group by all\n",
        "dbt/models/price_view.sql": "{{ config(materialized='view') }}\nselect * from {{ ref('price_totals') }}\n",
      },
      "dagx-dbt-read-",
    );
    env = { DAGX_DBT_EXECUTABLE: await dbtExecutable() };
  }, 300_000);

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test("materialize '*': each dbt relation is observed (rows, columns, location in dbt-duckdb's file)", async () => {
    const r = await runDagx(dir, ["materialize", "*"], { env });
    expect(r.stderr + r.stdout).toContain("4 materialized, 0 failed");
    expect(r.code).toBe(0);
    const s = await status();
    expect(s.price_totals!.lastMaterialization).toMatchObject({ rows: 3, path: "duckdb:dbt/ext.duckdb#main.price_totals", schema: [{ name: "item", type: "VARCHAR" }, { name: "total", type: "HUGEINT" }] });
    expect(s.price_view!.lastMaterialization).toMatchObject({ rows: 3, path: "duckdb:dbt/ext.duckdb#main.price_view" }); // a view is observed by the same query
    expect(await query("select * from report")).toEqual([{ grand: 12, items: 3 }]);
    expect(await query("select item from dear order by item")).toEqual([{ item: "plum" }]);
    // dagx query mounts dbt outs too: the relation in dbt's file, attached read-only
    expect(await query("select item, total::integer as total from price_view order by item")).toEqual([
      { item: "apple", total: 2 },
      { item: "pear", total: 3 },
      { item: "plum", total: 7 },
    ]);
  }, 120_000);

  test("rebuilding a dbt model whose outside source changed gives a new data version: --stale runs what reads it", async () => {
    const before = (await status()).price_totals!.lastMaterialization!.dataVersion;
    writeFileSync(join(dir, "outside/prices.csv"), "item,price\napple,2\npear,3\nplum,7\nfig,9\n");
    expect((await runDagx(dir, ["materialize", "price_totals"], { env })).code).toBe(0);
    const s = await status();
    expect(s.price_totals!.lastMaterialization!.dataVersion).not.toBe(before);
    expect(s.price_totals!.lastMaterialization!.rows).toBe(4);
    expect(s.report!.status).toBe("stale"); // its input changed: never "fresh (early cutoff)"
    // the view over it, in the same dbt step, depends on it (dependsOn from dbt's refs): stale too
    expect(s.price_view!.status).toBe("stale");
    // the run's own words on a failure (once flaky here: tests/io/iomanagers/duckdb-table-lease.test.ts)
    const r = ok(await runDagx(dir, ["materialize", "--stale"], { env }));
    expect(r.stderr + r.stdout).toMatch(/✓ report/);
    expect(await query("select * from report")).toEqual([{ grand: 21, items: 4 }]);
  }, 120_000);

  test("rebuilding with unchanged data keeps the data version: the early cutoff still skips what reads it", async () => {
    const before = (await status()).price_totals!.lastMaterialization!.dataVersion;
    expect((await runDagx(dir, ["materialize", "price_totals"], { env })).code).toBe(0);
    const s = await status();
    expect(s.price_totals!.lastMaterialization!.dataVersion).toBe(before);
    expect(s.report!.status).toBe("fresh");
  }, 120_000);

  test("a changed model's columns are recorded as a schema change", async () => {
    writeFileSync(join(dir, "dbt/models/price_totals.sql"), "select item, sum(price) as total, count(*) as n from {{ source('outside', 'prices') }} group by all\n");
    expect((await runDagx(dir, ["materialize", "price_totals"], { env })).code).toBe(0);
    expect((await status()).price_totals!.lastMaterialization!.schemaChange).toEqual({ added: ["n"], removed: [], changed: [] });
  }, 120_000);

  test("dagx types writes the row type of a dbt out from its observed columns", async () => {
    const r = await runDagx(dir, ["types"], { env });
    expect(r.code).toBe(0);
    const dts = readFileSync(join(dir, ".dagx/types/dagx.d.ts"), "utf8");
    expect(dts).toMatch(/"price_totals": \{[^}]*"item": string \| null;[^}]*"total": number \| null;[^}]*"n": number \| null/);
    expect(dts).toMatch(/"dear": \{[^}]*"item": string \| null/);
  }, 120_000);

  test("a dbt file held for writing by another process fails the read, naming the file and what to do", async () => {
    const file = join(dir, "dbt/ext.duckdb");
    const holder = Bun.spawn(
      [BUN, "-e", `const { DuckDBInstance } = await import("@duckdb/node-api"); const db = await DuckDBInstance.create(${JSON.stringify(file)}); const conn = await db.connect(); await conn.run("create or replace table held as select 1 as x"); console.log("holding"); setInterval(() => conn.run("select 1"), 200); await Bun.sleep(60000);`],
      { cwd: join(import.meta.dir, "../../.."), stdout: "pipe", stderr: "pipe" },
    );
    try {
      const reader = holder.stdout.getReader();
      const first = await reader.read();
      expect(new TextDecoder().decode(first.value)).toContain("holding");
      const r = await runDagx(dir, ["materialize", "report"], { env });
      expect(r.code).toBe(1);
      const out = r.stderr + r.stdout;
      expect(out).toContain(`Cannot read dbt model "price_totals" for "report": process ${holder.pid}`);
      expect(out).toContain(`holds dbt's database "${file}" for writing`);
      expect(out).toContain('then materialize "report" again');
    } finally {
      holder.kill();
      await holder.exited;
    }
    expect((await runDagx(dir, ["materialize", "report"], { env })).code).toBe(0); // free again: the read works
  }, 120_000);

  test("the outside source is an external asset upstream of its models; observe → stale when the file changed, fresh when not", async () => {
    const statuses = async () => Object.fromEntries(Object.values(await status()).map((s) => [s.key, s.status]));
    const list = (await runDagx(dir, ["list", "--json"], { env })).json<{ key: string; external?: boolean; kinds: string[]; deps: string[] }[]>();
    expect(list.find((a) => a.key === "outside/prices")).toMatchObject({ external: true, kinds: ["dbt", "source"] });
    expect(list.find((a) => a.key === "price_totals")!.deps).toContain("outside/prices");

    const refused = await runDagx(dir, ["materialize", "outside/prices"], { env });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain("outside/prices is external");

    expect((await runDagx(dir, ["observe", "outside/prices"], { env })).code).toBe(0);
    // the models reading it and what reads them: price_totals, price_view, report, dear
    const run = await runDagx(dir, ["materialize", "outside/prices+"], { env });
    expect(run.stderr + run.stdout).toContain("4 materialized, 0 failed");
    expect(await statuses()).toMatchObject({ "outside/prices": "fresh", price_totals: "fresh" });

    expect((await runDagx(dir, ["observe", "outside/prices", "--json"], { env })).json<{ observed: { changed: boolean }[] }>().observed[0]!.changed).toBe(false);
    expect((await statuses()).price_totals).toBe("fresh");

    writeFileSync(join(dir, "outside/prices.csv"), "item,price\napple,2\npear,3\nplum,7\nfig,9\nkiwi,4\n");
    expect((await runDagx(dir, ["observe", "outside/prices", "--json"], { env })).json<{ observed: { changed: boolean }[] }>().observed[0]!.changed).toBe(true);
    expect((await statuses()).price_totals).toBe("stale");
    expect((await runDagx(dir, ["materialize", "--stale"], { env })).code).toBe(0);
    expect((await statuses()).price_totals).toBe("fresh");
  }, 180_000);

  test("where dagx cannot look (here an in-memory dbt-duckdb database), each build gets a new data version: readers always run", async () => {
    const memory = { ...env, EXT_DUCKDB_UNSET: ":memory:" };
    const first = await runDagx(dir, ["materialize", "price_totals"], { env: memory });
    expect(first.code).toBe(0);
    expect(first.stderr + first.stdout).toContain('are not observed (the duckdb path ":memory:" is not a local database file)');
    const v1 = (await status()).price_totals!.lastMaterialization!.dataVersion;
    expect((await runDagx(dir, ["materialize", "price_totals"], { env: memory })).code).toBe(0);
    const s = await status();
    expect(s.price_totals!.lastMaterialization!.dataVersion).not.toBe(v1);
    expect(s.report!.status).toBe("stale"); // same data, but dagx cannot tell: never "fresh" by mistake
  }, 120_000);
});
