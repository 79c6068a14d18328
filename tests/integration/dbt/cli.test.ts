// A user's journey with examples/dbt-shop and the real dbt (tests/support/dbt.ts): `list` shows
// the dbt models with their deps, `materialize '*'` runs TS → dbt source → dbt models → TS with a
// log line per dbt node, a failing blocking dbt test fails its model and skips what is downstream,
// and `--stale` picks up the fix. In-process (runDagx): the edits are to dbt and CSV files, which
// this process never imports. ~25 s with the venv cached (each dbt call starts Python, ~3–5 s).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runDagx } from "../../cli/helpers.ts";
import { dbtExecutable, dbtUnavailable } from "../../support/dbt.ts";

const unavailable = dbtUnavailable();
if (unavailable) console.warn(`*** SKIPPED *** tests/integration/dbt: ${unavailable}`);

const EXAMPLE = join(import.meta.dir, "../../../examples/dbt-shop");
let dir: string;
let env: Record<string, string>;

describe.skipIf(unavailable !== undefined)("dagx on a dbt project", () => {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "dagx-dbt-shop-"));
    cpSync(EXAMPLE, dir, { recursive: true, filter: (src) => !/\/(\.dagx|target|logs)(\/|$)|\.duckdb$|\.parquet$/.test(src) });
    env = { DAGX_DBT_EXECUTABLE: await dbtExecutable(), DAGX_DBT_DUCKDB: join(dir, "dbt/shop.duckdb") };
  }, 300_000);

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test("list shows dbt models, seeds and the TS assets around them", async () => {
    const r = await runDagx(dir, ["list", "--json"], { env });
    expect(r.code).toBe(0);
    const rows = JSON.parse(r.stdout) as { key: string; group: string; deps: string[]; kinds: string[] }[];
    const by = Object.fromEntries(rows.map((a) => [a.key, a]));
    expect(Object.keys(by).sort()).toEqual(["country_revenue", "country_share", "customers", "marts/customer_revenue", "orders", "stg_customers", "stg_orders", "top_customers"]);
    expect(by["marts/customer_revenue"]!.group).toBe("finance");
    expect(by["marts/customer_revenue"]!.kinds).toEqual(["dbt", "duckdb"]);
    expect(by.stg_orders!.deps).toEqual(["orders"]); // the dbt source dagx.orders is the TS asset
    expect(by.top_customers!.deps).toEqual(["marts/customer_revenue"]);
    // lineage inside the dbt build follows dbt's refs, and each model is located at its own file
    expect(by["marts/customer_revenue"]!.deps.sort()).toEqual(["stg_customers", "stg_orders"]);
    const at = rows as unknown as { key: string; location: string; step: { location: string } | null }[];
    const loc = Object.fromEntries(at.map((a) => [a.key, a]));
    expect(loc.stg_orders!.location).toMatch(/dbt\/models\/staging\/stg_orders\.sql:1$/);
    expect(loc.customers!.location).toMatch(/dbt\/seeds\/customers\.csv:1$/);
    expect(loc.stg_orders!.step!.location).toMatch(/dbt\/dbt_project\.yml:1$/);
    expect(by.country_share!.deps).toEqual(["country_revenue"]); // a SQL asset naming the dbt model's table
  }, 120_000);

  test("materialize '*': TS → dbt source → dbt models → TS, one log line per dbt node", async () => {
    const r = await runDagx(dir, ["materialize", "*"], { env });
    expect(r.stderr + r.stdout).toContain("8 materialized, 0 failed");
    expect(r.code).toBe(0);
    expect(r.stderr + r.stdout).toMatch(/dbt model\.shop\.customer_revenue: success/);
    expect(r.stderr + r.stdout).toMatch(/dbt test\.shop\.unique_stg_orders_order_id\.\w+: pass/);
    const q = await runDagx(dir, ["query", "select name, revenue from top_customers order by revenue desc", "--json"], { env });
    expect(JSON.parse(q.stdout)).toEqual([
      { name: "Ada", revenue: 17.5 },
      { name: "Chen", revenue: 2 },
      { name: "Brian", revenue: 0 },
    ]);
    // the SQL asset read the dbt table model in dbt's DuckDB file
    const share = await runDagx(dir, ["query", "select country, revenue, share from country_share", "--json"], { env });
    expect(JSON.parse(share.stdout)).toEqual([
      { country: "DE", revenue: 19.5, share: 1 },
      { country: "FR", revenue: 0, share: 0 },
    ]);
  }, 120_000);

  test("a failing blocking dbt test fails its check, dbt skips downstream, dagx skips the TS asset; --stale recovers", async () => {
    writeFileSync(join(dir, "data/orders.csv"), "id,customer_id,amount,status\n1,1,10.5,paid\n1,2,3.0,paid\n");
    const r = await runDagx(dir, ["materialize", "*"], { env });
    expect(r.code).toBe(1);
    const out = r.stderr + r.stdout;
    // dbt built the table: stg_orders is materialized with a failed blocking check (tests/integration/dbt/checks.test.ts)
    expect(out).toMatch(/✓ stg_orders/);
    expect(out).toMatch(/- marts\/customer_revenue\s+skipped: blocked: check "[a-z_]+_stg_orders_order_id" of "stg_orders" failed/);
    expect(out).toMatch(/- top_customers\s+skipped/);
    expect(out).toMatch(/✓ stg_customers/);

    writeFileSync(join(dir, "data/orders.csv"), "id,customer_id,amount,status\n1,1,10.5,paid\n2,2,3.0,paid\n");
    expect((await runDagx(dir, ["materialize", "orders"], { env })).code).toBe(0); // a CSV edit is new data, not new code
    const again = await runDagx(dir, ["materialize", "--stale"], { env });
    expect(again.stderr + again.stdout).toMatch(/✓ stg_orders[\s\S]*✓ top_customers/);
    expect(again.stderr + again.stdout).toContain("0 failed");
    expect(again.code).toBe(0);
  }, 180_000);

  test("editing a dbt model makes it stale (its checksum is its code version), and --stale rebuilds it", async () => {
    const model = join(dir, "dbt/models/staging/stg_customers.sql");
    writeFileSync(model, `${readFileSync(model, "utf8")}-- an edit\n`);
    const s = await runDagx(dir, ["status", "--json"], { env });
    const rows = JSON.parse(s.stdout) as { key: string; status: string }[];
    const status = Object.fromEntries(rows.map((r) => [r.key, r.status]));
    expect(status.stg_customers).toBe("stale");
    expect(status.orders).toBe("fresh");
    const r = await runDagx(dir, ["materialize", "--stale"], { env });
    expect(r.code).toBe(0);
    // dbt rebuilds it; dagx observes each rebuilt relation (its content is its data version), so
    // what reads an unchanged one stays fresh (early cutoff).
    expect(r.stderr + r.stdout).toMatch(/dbt model\.shop\.stg_customers: success/);
    const after = JSON.parse((await runDagx(dir, ["status", "--json"], { env })).stdout) as { key: string; status: string }[];
    expect(after.filter((a) => a.status !== "fresh").map((a) => [a.key, a.status, (a as unknown as { causes: string[] }).causes])).toEqual([]);
  }, 180_000);
});
