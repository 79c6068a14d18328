// The real dbt (tests/support/dbt.ts: dbt-core 1.11 + dbt-duckdb from PyPI in a cached venv) on a
// copy of examples/dbt-shop/dbt, through io/dbt: parse (cached) → definitions, build with the JSON
// log streamed per node, run_results.json, and both directions of the DuckDB handover (a Parquet
// written by dagx's DuckDB read as a dbt source; the model table read back by dagx's DuckDB).
// ~12 s with the venv cached (each dbt call starts Python, ~3 s); the first run on a machine
// builds the venv (~40 s).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { type DbtInvocation, type DbtNodeResult, buildDbt, parseDbtProject } from "../../../io/dbt/index.ts";
import { dbtExecutable, dbtUnavailable } from "../../support/dbt.ts";

const unavailable = dbtUnavailable();
if (unavailable) console.warn(`*** SKIPPED *** tests/integration/dbt: ${unavailable}`);

const ORDERS = () => join(root, ".dagx/data/orders/data.parquet");
const EXAMPLE = join(import.meta.dir, "../../../examples/dbt-shop/dbt");

async function sql(db: string, query: string): Promise<Record<string, unknown>[]> {
  const instance = await DuckDBInstance.create(":memory:");
  const conn = await instance.connect();
  try {
    if (db) await conn.run(db);
    const reader = await conn.runAndReadAll(query);
    return reader.getRowObjectsJS() as Record<string, unknown>[];
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}

async function writeOrders(path: string, rows: string): Promise<void> {
  await sql("", `copy (select * from (values ${rows}) t(id, customer_id, amount, status)) to '${path}' (format parquet)`);
}

let root: string;
describe.skipIf(unavailable !== undefined)("dbt through io/dbt", () => {
  let inv: DbtInvocation;

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), "dagx-dbt-"));
    mkdirSync(join(root, ".dagx/data/orders"), { recursive: true }); // where dagx stores the asset "orders"
    cpSync(EXAMPLE, join(root, "dbt"), { recursive: true });
    inv = {
      dir: join(root, "dbt"),
      executable: await dbtExecutable(),
      workDir: join(root, ".dagx/dbt"),
      env: { DAGX_PROJECT_ROOT: root, DAGX_DBT_DUCKDB: join(root, "shop.duckdb") },
    };
  }, 300_000); // the first run on a machine installs dbt into ~/.cache

  afterAll(() => {
    if (root) rmSync(root, { recursive: true, force: true });
  });

  test("dbt parse → definitions, cached until a model changes", async () => {
    const first = await parseDbtProject(inv);
    expect(first.cached).toBe(false);
    expect(first.definitions.assets.map((a) => a.key).sort()).toEqual(["country_revenue", "customers", "marts/customer_revenue", "stg_customers", "stg_orders"]);
    expect(first.definitions.sources.map((s) => s.key)).toEqual(["orders"]);
    expect(first.definitions.checks).toHaveLength(6);
    const again = await parseDbtProject(inv);
    expect(again.cached).toBe(true);

    const model = join(inv.dir, "models/staging/stg_customers.sql");
    writeFileSync(model, `${readFileSync(model, "utf8")}-- edited\n`);
    const edited = await parseDbtProject(inv);
    expect(edited.cached).toBe(false);
    const version = (p: typeof first) => p.definitions.assets.find((a) => a.key === "stg_customers")!.codeVersion;
    expect(version(edited)).not.toBe(version(first));
    expect(edited.definitions.assets.find((a) => a.key === "stg_orders")!.codeVersion).toBe(
      first.definitions.assets.find((a) => a.key === "stg_orders")!.codeVersion,
    );
  }, 60_000);

  test("build: Parquet from dagx's DuckDB → dbt source → models → table read back by dagx's DuckDB", async () => {
    await writeOrders(ORDERS(), "(1, 1, 10.5, 'paid'), (2, 2, 3.0, 'open'), (3, 1, 7.0, 'paid'), (4, 3, 2.0, 'paid')");
    const { definitions } = await parseDbtProject(inv);
    const streamed: DbtNodeResult[] = [];
    const outcome = await buildDbt(inv, { select: definitions.assets.map((a) => a.selector), onResult: (r) => streamed.push(r) });
    expect(outcome.errors).toBeDefined();
    expect(outcome.exitCode).toBe(0);
    const status = Object.fromEntries(streamed.map((r) => [r.uniqueId.replace(/\.[0-9a-f]{10}$/, ""), r.status]));
    expect(status).toMatchObject({
      "seed.shop.customers": "success",
      "model.shop.stg_orders": "success",
      "model.shop.stg_customers": "success",
      "model.shop.customer_revenue": "success",
      "test.shop.unique_stg_orders_order_id": "pass",
      "test.shop.accepted_values_stg_orders_status__paid__refunded__open": "pass",
    });
    expect(streamed.find((r) => r.uniqueId === "test.shop.unique_stg_orders_order_id.e3b841c71a")!.attachedNode).toBe("model.shop.stg_orders");
    expect(outcome.results.map((r) => r.uniqueId).sort()).toEqual(streamed.map((r) => r.uniqueId).sort());

    // dbt views name their catalog by the file's stem: attach it as "shop", read-only, after the build.
    const customers = await sql(
      `attach '${join(root, "shop.duckdb")}' as shop (read_only)`,
      "select customer_id, name from shop.main.stg_customers order by customer_id",
    );
    expect(customers).toEqual([
      { customer_id: 1, name: "Ada" },
      { customer_id: 2, name: "Brian" },
      { customer_id: 3, name: "Chen" },
    ]);
    // customer_revenue is materialized `external`: dbt-duckdb wrote it as Parquet in the dbt folder.
    const rows = await sql("", `select name, revenue from '${join(inv.dir, "out/customer_revenue.parquet")}' order by customer_id`);
    expect(rows).toEqual([
      { name: "Ada", revenue: 17.5 },
      { name: "Brian", revenue: 0 },
      { name: "Chen", revenue: 2 },
    ]);
  }, 60_000);

  test("a failing error-severity test fails the build and dbt skips the downstream model", async () => {
    await writeOrders(ORDERS(), "(1, 1, 10.5, 'paid'), (1, 2, 3.0, 'lost')");
    const { definitions } = await parseDbtProject(inv);
    const streamed: DbtNodeResult[] = [];
    const outcome = await buildDbt(inv, { select: definitions.assets.map((a) => a.selector), onResult: (r) => streamed.push(r) });
    expect(outcome.exitCode).toBe(1);
    const byId = Object.fromEntries(outcome.results.map((r) => [r.uniqueId.replace(/\.[0-9a-f]{10}$/, ""), r]));
    expect(byId["test.shop.unique_stg_orders_order_id"]!.status).toBe("fail");
    expect(byId["test.shop.unique_stg_orders_order_id"]!.failures).toBe(1);
    expect(byId["test.shop.accepted_values_stg_orders_status__paid__refunded__open"]!.status).toBe("warn");
    expect(byId["model.shop.customer_revenue"]!.status).toBe("skipped");
    expect(byId["model.shop.stg_customers"]!.status).toBe("success");
    expect(streamed.find((r) => r.uniqueId.startsWith("test.shop.unique_stg_orders_order_id"))!.status).toBe("fail");
  }, 60_000);
});
