import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { DuckDBInstance } from "@duckdb/node-api";
import { mkdirSync, statSync } from "node:fs";
import { join } from "node:path";
import type { MaterializationRecord } from "../../core/types.ts";
import { createDuckDBStateStore } from "../../io/state/duckdb-store.ts";
import { viewNameOf } from "../../io/query/views.ts";
import { runDagx, makeProject, removeProject } from "./helpers.ts";

// A project with no asset files: outputs and their materialization rows are written directly,
// so these tests cover `dagx query` alone (the engine has its own tests).
let dir = "";

function record(assetKey: string, path: string, format: MaterializationRecord["format"]): MaterializationRecord {
  return { assetKey, partitionKey: "", runId: "run-1", at: Date.now(), dataVersion: "d", codeVersion: "c", inputVersions: {}, path, format, rows: null, bytes: null, schema: null, metadata: null };
}

beforeAll(async () => {
  dir = makeProject({
    ".dagx/data/settings/value.json": JSON.stringify({ currency: "EUR", vatRate: 0.19 }),
    ".dagx/data/team/value.json": JSON.stringify([{ name: "ada", age: 36 }, { name: "grace", age: 45 }]),
    ".dagx/data/answer/value.json": "42",
  });
  const data = join(dir, ".dagx/data");
  for (const k of ["orders", "analytics/daily_revenue", "a/b/deep", "gone"]) mkdirSync(join(data, k), { recursive: true });
  const db = await DuckDBInstance.create(":memory:");
  const conn = await db.connect();
  await conn.run(`COPY (select i::BIGINT as id, date '2024-01-01' + i::INTEGER as day, (i * 1.5)::DOUBLE as amount,
    case when i = 2 then 18446744073709551615::UBIGINT else i::UBIGINT end as big from range(1, 4) t(i))
    TO '${join(data, "orders/data.parquet")}' (FORMAT parquet)`);
  await conn.run(`COPY (select date '2024-01-01' as day, 42.5 as revenue) TO '${join(data, "analytics/daily_revenue/data.parquet")}' (FORMAT parquet)`);
  await conn.run(`COPY (select 'x' as v) TO '${join(data, "a/b/deep/data.parquet")}' (FORMAT parquet)`);
  conn.closeSync();
  db.closeSync();
  const store = createDuckDBStateStore(join(dir, ".dagx/state.duckdb"));
  await store.write({
    materializations: [
      record("orders", "orders/data.parquet", "parquet"),
      record("analytics/daily_revenue", "analytics/daily_revenue/data.parquet", "parquet"),
      record("a/b/deep", "a/b/deep/data.parquet", "parquet"),
      record("gone", "gone/data.parquet", "parquet"),
      record("settings", "settings/value.json", "json"),
      record("team", "team/value.json", "json"),
      record("answer", "answer/value.json", "json"),
      record("side_effect", "", "none"),
    ],
  });
  await store.close();
});

afterAll(() => removeProject(dir));

describe("dagx query", () => {
  test("dagx query --json returns row objects: bigint → number when exact else string, dates → ISO", async () => {
    const r = await runDagx(dir, ["query", "select * from orders order by id", "--json"]);
    expect(r.code).toBe(0);
    expect(r.json()).toEqual([
      { id: 1, day: "2024-01-02T00:00:00.000Z", amount: 1.5, big: 1 },
      { id: 2, day: "2024-01-03T00:00:00.000Z", amount: 3, big: "18446744073709551615" },
      { id: 3, day: "2024-01-04T00:00:00.000Z", amount: 4.5, big: 3 },
    ]);
  });

  test("dagx query mounts a prefixed key as schema.view, deeper prefixes as one schema", async () => {
    const r = await runDagx(dir, ["query", `select revenue, (select v from "a/b".deep) as v from analytics.daily_revenue`, "--json"]);
    expect(r.stderr).toBe("");
    expect(r.json()).toEqual([{ revenue: 42.5, v: "x" }]);
    expect(viewNameOf("analytics/daily_revenue").name).toBe("analytics.daily_revenue");
    expect(viewNameOf("metrics.v2-daily").name).toBe('"metrics.v2-daily"');
  });

  test("dagx query reads JSON objects and arrays of objects as rows", async () => {
    const r = await runDagx(dir, ["query", "select s.currency, t.name from settings s, team t order by t.name", "--json"]);
    expect(r.json()).toEqual([
      { currency: "EUR", name: "ada" },
      { currency: "EUR", name: "grace" },
    ]);
  });

  test("dagx query --verbose says which assets got no view and why", async () => {
    const r = await runDagx(dir, ["query", "select 1 as one", "--verbose", "--json"]);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('no view for "answer": its JSON value is a number, not rows');
    expect(r.stderr).toContain('no view for "gone": its output files are missing');
    expect(r.stderr).toContain('no view for "side_effect": it stores no output');
    expect(r.stderr).toContain("view analytics.daily_revenue ← analytics/daily_revenue (parquet, 1 file(s))");
  });

  test("dagx query reports SQL errors with DuckDB's message, the views, and exit code 2", async () => {
    const r = await runDagx(dir, ["query", "select * from ordres"]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain('error "ordres" has no materialization yet: if it is an asset, run dagx materialize ordres, then query it again — did you mean "orders"?');
    const bad = await runDagx(dir, ["query", "select nope from orders"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('error Binder Error: Referenced column "nope" not found');
    expect(r.stderr).toContain("— views: a/b.deep".replace("a/b", '"a/b"'));
    expect(r.stderr).toContain("analytics.daily_revenue, orders, settings, team; no view for answer, gone, side_effect (--verbose says why)");
  });

  test("dagx query prints a table on stdout and the row count on stderr", async () => {
    const r = await runDagx(dir, ["query", "select id, amount, null as note from orders order by id"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(["id  amount  note", "1   1.5     NULL", "2   3       NULL", "3   4.5     NULL", ""].join("\n"));
    expect(r.stderr).toBe("3 row(s)\n");
  });

  test("dagx query caps the table at 1,000 rows with a note", async () => {
    const r = await runDagx(dir, ["query", "select * from range(5000)"]);
    expect(r.stdout.split("\n").filter((l) => /^\d+$/.test(l))).toHaveLength(1000);
    expect(r.stderr).toContain("First 1,000 rows shown: add a LIMIT, or use --format csv or --json for all rows");
  });

  test("dagx query --format csv writes RFC 4180 CSV on stdout", async () => {
    const r = await runDagx(dir, ["query", `select id, 'a,"b"' as s, day from orders order by id limit 2`, "--format", "csv"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('id,s,day\n1,"a,""b""",2024-01-02\n2,"a,""b""",2024-01-03\n');
  });

  test("dagx query never writes to the state file", async () => {
    const state = join(dir, ".dagx/state.duckdb");
    const before = statSync(state).mtimeMs;
    await runDagx(dir, ["query", "create table t as select 1; select * from t", "--json"]);
    expect(statSync(state).mtimeMs).toBe(before);
  });

  test("dagx query without SQL or with a bad --format is a usage error", async () => {
    const none = await runDagx(dir, ["query"]);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('Missing SQL: pass a query, e.g. dagx query "select * from orders limit 10"');
    const bad = await runDagx(dir, ["query", "select 1", "--format", "xml"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('Unknown --format "xml": use one of table, csv, json');
  });
});

describe("dagx query on an asset that was never materialized", () => {
  test("says first that the asset has no materialization yet and how to make one, before DuckDB's guess", async () => {
    const p = makeProject({
      "shop.asset.ts": `import { asset } from "dagx";\nexport const orders = asset(() => [{ id: 1 }]);\nexport const analytics_revenue = asset({ key: "analytics/revenue" }, () => [{ r: 1 }]);\n`,
    });
    try {
      const r = await runDagx(p, ["query", "select * from orders"]);
      expect(r.code).toBe(2);
      const text = (r.stdout + r.stderr).trim();
      expect(text).toStartWith('error "orders" has no materialization yet: if it is an asset, run dagx materialize orders, then query it again');
      expect(text).not.toContain("pg_class");
      const deep = await runDagx(p, ["query", "select * from analytics.revenue"]);
      expect((deep.stdout + deep.stderr).trim()).toStartWith('error "analytics/revenue" has no materialization yet: if it is an asset, run dagx materialize analytics/revenue, then query it again');
    } finally {
      removeProject(p);
    }
  });
});
