// examples/dbt-shop with the real dbt (tests/support/dbt.ts), one copy and one dbt worker for the
// whole file (this was cli.test.ts and checks.test.ts, two setups of the same project):
// - a user's journey: `list` shows the dbt models with their deps, `materialize '*'` runs TS → dbt
//   source → dbt models → TS with a log line per dbt node, a failing blocking dbt test fails its
//   model and skips what is downstream, and `--stale` picks up the fix;
// - each dbt model has its own code version (its checksum), so editing one model makes only it and
//   its downstream stale;
// - dbt's tests are dagx check records on the model they test — pass, fail (error: blocking), warn —,
//   shown by `dagx status --json` like any check, and `dagx check` re-runs them.
// The tests run in order on the one copy. In-process (runDagx): the edits are to dbt and CSV files,
// which this process never imports. ~15 s of CPU with the venv cached.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runDagx } from "../../cli/helpers.ts";
import { dbtExecutable, dbtUnavailable } from "../../support/dbt.ts";

const unavailable = dbtUnavailable();
if (unavailable) console.warn(`*** SKIPPED *** tests/integration/dbt/shop: ${unavailable}`);

const EXAMPLE = join(import.meta.dir, "../../../examples/dbt-shop");
let dir: string;
let env: Record<string, string>;

interface StatusCheck {
  check: string;
  passed: boolean;
  severity: string;
  blocking: boolean;
  error: string | null;
}
interface StatusRow {
  key: string;
  status: string;
  checks: { passed: number; failed: number; warned: number; results: StatusCheck[] } | null;
  blocked: { check: string }[] | null;
}

const status = async () => {
  const r = await runDagx(dir, ["status", "--json"], { env });
  expect(r.code).toBe(0);
  return Object.fromEntries((JSON.parse(r.stdout) as StatusRow[]).map((s) => [s.key, s]));
};
const checksOf = (row: StatusRow | undefined) => Object.fromEntries((row?.checks?.results ?? []).map((c) => [c.check.replace(/_[0-9a-f]{10}$/, ""), c]));

describe.skipIf(unavailable !== undefined)("dagx on examples/dbt-shop: the journey, code versions, tests as checks", () => {
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

  test("materialize '*': TS → dbt source → dbt models → TS, one log line per dbt node; each dbt test is a check of its model, recorded as passed", async () => {
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
    // the checks the clean build recorded
    const st = await status();
    const stg = checksOf(st.stg_orders);
    expect(Object.keys(stg).sort()).toEqual(["accepted_values_stg_orders_status__paid__refunded__open", "not_null_stg_orders_order_id", "unique_stg_orders_order_id"]);
    expect(Object.values(stg).every((c) => c.passed)).toBe(true);
    expect([stg.not_null_stg_orders_order_id!.severity, stg.not_null_stg_orders_order_id!.blocking]).toEqual(["error", true]);
    expect([stg.accepted_values_stg_orders_status__paid__refunded__open!.severity, stg.accepted_values_stg_orders_status__paid__refunded__open!.blocking]).toEqual(["warn", false]);
    expect(Object.keys(checksOf(st["marts/customer_revenue"]))).toEqual(["unique_customer_revenue_customer_id"]);
  }, 180_000);

  test("editing one model (its checksum is its code version) marks only it and its downstream stale; --stale rebuilds only those", async () => {
    const model = join(dir, "dbt/models/staging/stg_customers.sql");
    writeFileSync(model, `${readFileSync(model, "utf8")}-- an edit\n`);
    const st = await status();
    // before per-model code versions, every dbt asset of the project went stale here; each model
    // depends on what it refs (dependsOn), so what is below stg_customers is stale too
    expect([st.orders!.status, st.customers!.status, st.stg_orders!.status, st.stg_customers!.status]).toEqual(["fresh", "fresh", "fresh", "stale"]);
    expect([st["marts/customer_revenue"]!.status, st.top_customers!.status]).toEqual(["stale", "stale"]);
    const r = await runDagx(dir, ["materialize", "--stale"], { env });
    const out = r.stderr + r.stdout;
    expect(r.code).toBe(0);
    // dbt rebuilds it; dagx observes each rebuilt relation (its content is its data version), so
    // what reads an unchanged one stays fresh (early cutoff)
    expect(out).toMatch(/dbt model\.shop\.stg_customers: success/);
    expect(out).toMatch(/dbt model\.shop\.customer_revenue: success/);
    expect(out).not.toMatch(/dbt model\.shop\.stg_orders:/); // not rebuilt: its code and inputs did not change
    expect(out).not.toMatch(/dbt seed\.shop\.customers:/);
    const after = Object.values(await status());
    expect(after.filter((a) => a.status !== "fresh").map((a) => [a.key, a.status, (a as unknown as { causes: string[] }).causes])).toEqual([]);
  }, 180_000);

  test("a failing blocking dbt test fails its check, dbt skips downstream, dagx skips the TS asset; --stale recovers", async () => {
    writeFileSync(join(dir, "data/orders.csv"), "id,customer_id,amount,status\n1,1,10.5,paid\n1,2,3.0,paid\n");
    const r = await runDagx(dir, ["materialize", "*"], { env });
    expect(r.code).toBe(1);
    const out = r.stderr + r.stdout;
    // dbt built the table: stg_orders is materialized with a failed blocking check
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

  test("a failing not_null (error) blocks, a failing warn test warns: check records and exit code", async () => {
    // order_id null in one row (not_null fails: error, blocking); status "lost" (accepted_values fails: warn)
    writeFileSync(join(dir, "data/orders.csv"), "id,customer_id,amount,status\n1,1,10.5,paid\n,2,3.0,lost\n");
    const r = await runDagx(dir, ["materialize", "*"], { env });
    const out = r.stderr + r.stdout;
    expect(r.code).toBe(1);
    expect(out).toMatch(/✓ stg_orders/); // dbt built the table; its test failed
    expect(out).toMatch(/- marts\/customer_revenue\s+skipped: blocked: check "[a-z_]+_stg_orders_order_id" of "stg_orders" failed/);
    expect(out).toMatch(/- top_customers\s+skipped/);
    const st = await status();
    const stg = checksOf(st.stg_orders);
    expect(stg.not_null_stg_orders_order_id).toMatchObject({ passed: false, severity: "error", blocking: true, error: null });
    expect(stg.accepted_values_stg_orders_status__paid__refunded__open).toMatchObject({ passed: false, severity: "warn", blocking: false });
    expect(stg.unique_stg_orders_order_id).toMatchObject({ passed: true });
    expect(st.stg_orders!.checks).toMatchObject({ passed: 1, failed: 1, warned: 1 });
    // the failing rows and dbt's message are stored with the result (the run's JSON carries them)
    const run = JSON.parse((await runDagx(dir, ["materialize", "stg_orders", "--json"], { env })).stdout) as { steps: { key: string; checks?: { check: string; metadata: Record<string, unknown> }[] }[] };
    const nn = run.steps.find((s) => s.key === "stg_orders")!.checks!.find((c) => c.check.startsWith("not_null_stg_orders_order_id"))!;
    expect(nn.metadata).toMatchObject({ dbt_status: "fail", failing_rows: 1 });
    expect(String(nn.metadata.dbt_message)).toMatch(/Got 1 result, configured to fail if != 0/);
    // dagx check re-runs the dbt tests (one dbt build --select <its tests>), without rebuilding the model
    const check = await runDagx(dir, ["check", "stg_orders", "--json"], { env });
    expect(check.code).toBe(1);
    const got = Object.fromEntries((JSON.parse(check.stdout) as { check: string; passed: boolean; severity: string; metadata: Record<string, unknown> }[]).map((c) => [c.check, c]));
    expect(Object.keys(got).sort()).toEqual(["accepted_values_stg_orders_status__paid__refunded__open", "not_null_stg_orders_order_id", "unique_stg_orders_order_id"]);
    expect(got.not_null_stg_orders_order_id).toMatchObject({ passed: false, severity: "error", metadata: { dbt_status: "fail", failing_rows: 1 } });
    expect(got.unique_stg_orders_order_id!.passed).toBe(true);
    expect(check.stderr).not.toMatch(/dbt model\.shop\.stg_orders:/);
  }, 180_000);

  test("a failing warn-severity test alone: the run succeeds (exit 0), the check is recorded as warned", async () => {
    writeFileSync(join(dir, "data/orders.csv"), "id,customer_id,amount,status\n1,1,10.5,paid\n2,2,3.0,lost\n");
    const r = await runDagx(dir, ["materialize", "*"], { env });
    expect(r.code).toBe(0);
    expect(r.stderr + r.stdout).toMatch(/✓ top_customers/);
    const st = await status();
    expect(checksOf(st.stg_orders).accepted_values_stg_orders_status__paid__refunded__open).toMatchObject({ passed: false, severity: "warn" });
    expect(st.stg_orders!.checks).toMatchObject({ passed: 2, failed: 0, warned: 1 });
    expect(st.top_customers!.blocked).toBeNull();
  }, 180_000);
});
