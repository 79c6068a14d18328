// The dbt IO manager without dbt: where dbt-duckdb writes (profiles.yml read as dbt would for the
// common cases), observing a relation in a real DuckDB file (a table, a view naming the file's
// catalog, a view over a Parquet file relative to the dbt project), and the conservative data
// version where dagx cannot look (another adapter): new on every build.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type DuckDBConnection, DuckDBInstance } from "@duckdb/node-api";
import type { TableInput } from "../../../core/context.ts";
import type { StoredInput } from "../../../core/io-manager.ts";
import { dbtDatabaseOf, render } from "../../../io/dbt/relation.ts";
import { createDbtRelationIO, describeDbtOut, inputContext, whileDbtBuilds, outputContext, parseDbtLocation, type StepIO } from "../../../io/iomanagers/index.ts";
import type { Storage } from "../../../io/storage/index.ts";

const root = mkdtempSync(join(tmpdir(), "dagx-dbt-rel-"));
const dbtDir = join(root, "dbt");
const file = join(dbtDir, "shop.duckdb");
afterAll(() => rmSync(root, { recursive: true, force: true }));

const quiet = { debug() {}, info() {}, warn() {}, error() {} };

function project(profile: string, projectYml = "name: shop\nprofile: shop\n"): string {
  const d = mkdtempSync(join(root, "p-"));
  writeFileSync(join(d, "dbt_project.yml"), projectYml);
  writeFileSync(join(d, "profiles.yml"), profile);
  return d;
}

describe("where dbt-duckdb writes (profiles.yml)", () => {
  test("a relative path is taken from the dbt project folder; env_var() with its default or the environment", () => {
    const d = project("shop:\n  target: dev\n  outputs:\n    dev:\n      type: duckdb\n      path: \"{{ env_var('SHOP_DB', 'shop.duckdb') }}\"\n");
    expect(dbtDatabaseOf({ dir: d, workDir: root }, "duckdb", {})).toEqual({ file: join(d, "shop.duckdb"), catalog: "shop" });
    expect(dbtDatabaseOf({ dir: d, workDir: root }, "duckdb", { SHOP_DB: "/data/w.db" })).toEqual({ file: "/data/w.db", catalog: "w" });
  });

  test("--target picks the output; another adapter, :memory:, MotherDuck and other Jinja are not observable", () => {
    const d = project("shop:\n  target: dev\n  outputs:\n    dev:\n      type: duckdb\n      path: ':memory:'\n    prod:\n      type: duckdb\n      path: \"md:shop\"\n    ci:\n      type: duckdb\n      path: \"{{ target.name }}.duckdb\"\n    file:\n      type: duckdb\n      path: /abs/x.duckdb\n");
    expect(dbtDatabaseOf({ dir: d, workDir: root, target: "file" }, "duckdb", {})).toEqual({ file: "/abs/x.duckdb", catalog: "x" });
    for (const target of ["dev", "prod", "ci", "nope"]) expect(dbtDatabaseOf({ dir: d, workDir: root, target }, "duckdb", {})).toHaveProperty("unobservable");
    expect((dbtDatabaseOf({ dir: d, workDir: root, target: "file" }, "postgres", {}) as { unobservable: string }).unobservable).toContain('dbt adapter "postgres"');
  });

  test("render replaces env_var() only; a missing variable without default is unrenderable", () => {
    expect(render(`a{{ env_var("X") }}b{{env_var('Y','d')}}`, { X: "1" })).toBe("a1bd");
    expect(render("{{ env_var('Z') }}", {})).toBeNull();
    expect(render("{% if x %}y{% endif %}", {})).toBeNull();
  });
});

describe("observing and reading relations of a DuckDB file", () => {
  let instance: DuckDBInstance;
  let conns: DuckDBConnection[] = [];
  beforeAll(async () => {
    mkdirSync(join(dbtDir, "out"), { recursive: true });
    // as dbt-duckdb writes it: a table, a view naming the file's catalog, an external model's view over a relative Parquet
    const db = await DuckDBInstance.create(file);
    const c = await db.connect();
    await c.run("create table main.totals as select * from (values ('a', 1), ('b', 2), ('b', 2)) t(item, total)");
    await c.run("create view main.big as select * from shop.main.totals where total > 1");
    await c.run(`copy (select 42 as answer) to '${join(dbtDir, "out/ext.parquet")}' (format parquet)`);
    await c.run(`set file_search_path = '${dbtDir}'`); // dbt-duckdb runs in the dbt project folder
    await c.run("create view main.ext as select * from read_parquet('out/ext.parquet')");
    c.closeSync();
    db.closeSync();
    instance = await DuckDBInstance.create(":memory:");
  });
  afterAll(() => {
    for (const c of conns) c.closeSync();
    instance.closeSync();
  });

  const relations = new Map([
    ["totals", { schema: "main", name: "totals", database: "shop" }],
    ["big", { schema: "main", name: "big", database: "shop", materialized: "view" }],
    ["ext", { schema: "main", name: "ext", database: "shop", materialized: "external" }],
    ["eph", { schema: "main", name: "eph", materialized: "ephemeral" }],
  ]);
  const ends: (() => unknown)[] = [];
  function step(runId = "r1"): StepIO {
    let conn: DuckDBConnection | null = null;
    return {
      storage: { root } as Storage,
      runId,
      log: quiet,
      conn: async () => {
        if (!conn) conns.push((conn = await instance.connect()));
        return conn;
      },
      resolveRef: () => null,
      runSql: () => Promise.reject(new Error("no ctx.sql here")),
      atEnd: (fn) => void ends.push(fn),
    };
  }
  const io = createDbtRelationIO({ name: "dbt:shop", dir: dbtDir, database: { file, catalog: "shop" }, relations });

  test("a table: rows, columns, location and a content version that ignores row order but not duplicates", async () => {
    const s = await io.handleOutput(outputContext(step(), "totals", "", []), undefined);
    expect(s).toMatchObject({ location: "duckdb:dbt/shop.duckdb#main.totals", rows: 3, bytes: null, schema: [{ name: "item", type: "VARCHAR" }, { name: "total", type: "INTEGER" }] });
    expect(parseDbtLocation(s.location)).toEqual({ file: "dbt/shop.duckdb", schema: "main", table: "totals" });
    const again = await io.handleOutput(outputContext(step("r2"), "totals", "", []), undefined);
    expect(again.dataVersion).toBe(s.dataVersion);
    // the same rows in another order: the same version; one duplicate fewer: another
    const db = await DuckDBInstance.create(file);
    const c = await db.connect();
    await c.run("create or replace table main.totals as select * from (values ('b', 2), ('a', 1), ('b', 2)) t(item, total)");
    c.closeSync();
    db.closeSync();
    expect((await io.handleOutput(outputContext(step("r3"), "totals", "", []), undefined)).dataVersion).toBe(s.dataVersion);
    const db2 = await DuckDBInstance.create(file);
    const c2 = await db2.connect();
    await c2.run("create or replace table main.totals as select * from (values ('a', 1), ('b', 2)) t(item, total)");
    c2.closeSync();
    db2.closeSync();
    expect((await io.handleOutput(outputContext(step("r4"), "totals", "", []), undefined)).dataVersion).not.toBe(s.dataVersion);
  });

  test("views are observed too: one naming the file's catalog, one over a Parquet file relative to the dbt project", async () => {
    expect(await io.handleOutput(outputContext(step(), "big", "", []), undefined)).toMatchObject({ rows: 1, location: "duckdb:dbt/shop.duckdb#main.big" });
    expect(await io.handleOutput(outputContext(step(), "ext", "", []), undefined)).toMatchObject({ rows: 1, schema: [{ name: "answer", type: "INTEGER" }] });
  });

  test("loadInput: a table handle over the relation, attached read-only under the file's stem", async () => {
    const up: StoredInput = { assetKey: "big", locations: ["duckdb:dbt/shop.duckdb#main.big"], partitionKeys: [""], dimensions: [], keyValues: () => [], schemas: [null], columns: null };
    const s = step();
    const handle = (await io.loadInput(inputContext(s, "reader", up))) as TableInput;
    expect(handle.sql).toBe('"shop"."main"."big"');
    expect(await handle.rows()).toEqual([{ item: "b", total: 2 }]);
    for (const end of ends.splice(0)) await end();
  });

  test("in this process a dbt build waits for the reads of its file under way, and a read waits for the build", async () => {
    const up: StoredInput = { assetKey: "totals", locations: ["duckdb:dbt/shop.duckdb#main.totals"], partitionKeys: [""], dimensions: [], keyValues: () => [], schemas: [null], columns: null };
    await io.loadInput(inputContext(step(), "reader", up)); // held until its step ends
    const order: string[] = [];
    const build = whileDbtBuilds(io, async () => {
      order.push("build");
      await Bun.sleep(50);
      order.push("build done");
    });
    await Bun.sleep(30);
    expect(order).toEqual([]); // the reader still holds the file
    for (const end of ends.splice(0)) await end();
    const read = (async () => {
      await Bun.sleep(5);
      await io.loadInput(inputContext(step(), "reader2", up));
      order.push("read");
    })();
    await Promise.all([build, read]);
    expect(order).toEqual(["build", "build done", "read"]);
    for (const end of ends.splice(0)) await end();
    expect(await whileDbtBuilds("parquet", async () => 1)).toBe(1); // not a dbt IO manager: at once
  });

  test("where dagx cannot look (another adapter, an ephemeral model), every build gets a new data version", async () => {
    const other = createDbtRelationIO({ name: "dbt:pg", dir: dbtDir, database: { unobservable: 'dbt adapter "postgres"' }, relations });
    const a = await other.handleOutput(outputContext(step(), "totals", "", []), undefined);
    const b = await other.handleOutput(outputContext(step(), "totals", "", []), undefined);
    expect(a).toMatchObject({ location: "", rows: null, schema: null });
    expect(a.dataVersion).not.toBe(b.dataVersion);
    const e1 = await io.handleOutput(outputContext(step(), "eph", "", []), undefined);
    const e2 = await io.handleOutput(outputContext(step(), "eph", "", []), undefined);
    expect(e1.dataVersion).not.toBe(e2.dataVersion);
    // nothing to read: a downstream gets undefined (its `deps` still run after it)
    const up: StoredInput = { assetKey: "totals", locations: [""], partitionKeys: [""], dimensions: [], keyValues: () => [], schemas: [null], columns: null };
    expect(await other.loadInput(inputContext(step(), "reader", up))).toBeUndefined();
  });

  test("describeDbtOut (dagx types before any materialization): the relation's columns as they are in the file", async () => {
    expect(await describeDbtOut(io, "big")).toEqual([{ name: "item", type: "VARCHAR" }, { name: "total", type: "INTEGER" }]);
    expect(await describeDbtOut(io, "eph")).toBeNull();
    expect(await describeDbtOut("parquet", "big")).toBeNull();
  });

  test("a value for a dbt out is refused: dbt writes it", async () => {
    await expect(Promise.resolve(io.handleOutput(outputContext(step(), "totals", "", []), [{ a: 1 }]))).rejects.toThrow(/dbt writes it — return undefined/);
  });
});
