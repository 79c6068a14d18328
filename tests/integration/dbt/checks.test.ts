// examples/dbt-shop with the real dbt (tests/support/dbt.ts): each dbt model has its own code
// version (its checksum), so editing one model makes only it and its downstream stale; and dbt's
// tests are dagx check records on the model they test — pass, fail (error: blocking), warn —, shown
// by `dagx status --json` and the UI's JSON like any check, and `dagx check` re-runs them. In-process (runDagx): the edits are to
// dbt and CSV files, which this process never imports. ~30 s with the venv cached.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runDagx } from "../../cli/helpers.ts";
import { dbtExecutable, dbtUnavailable } from "../../support/dbt.ts";

const unavailable = dbtUnavailable();
if (unavailable) console.warn(`*** SKIPPED *** tests/integration/dbt/checks: ${unavailable}`);

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

describe.skipIf(unavailable !== undefined)("dbt models' code versions and tests as checks", () => {
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "dagx-dbt-checks-"));
    cpSync(EXAMPLE, dir, { recursive: true, filter: (src) => !/\/(\.dagx|target|logs)(\/|$)|\.duckdb$|\.parquet$/.test(src) });
    env = { DAGX_DBT_EXECUTABLE: await dbtExecutable(), DAGX_DBT_DUCKDB: join(dir, "dbt/shop.duckdb") };
  }, 300_000);

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test("each dbt test is a check of its model, recorded as passed after a clean build", async () => {
    const r = await runDagx(dir, ["materialize", "*"], { env });
    expect(r.stderr + r.stdout).toContain("8 materialized, 0 failed");
    expect(r.code).toBe(0);
    const st = await status();
    const stg = checksOf(st.stg_orders);
    expect(Object.keys(stg).sort()).toEqual(["accepted_values_stg_orders_status__paid__refunded__open", "not_null_stg_orders_order_id", "unique_stg_orders_order_id"]);
    expect(Object.values(stg).every((c) => c.passed)).toBe(true);
    expect([stg.not_null_stg_orders_order_id!.severity, stg.not_null_stg_orders_order_id!.blocking]).toEqual(["error", true]);
    expect([stg.accepted_values_stg_orders_status__paid__refunded__open!.severity, stg.accepted_values_stg_orders_status__paid__refunded__open!.blocking]).toEqual(["warn", false]);
    expect(Object.keys(checksOf(st["marts/customer_revenue"]))).toEqual(["unique_customer_revenue_customer_id"]);
  }, 180_000);

  test("editing one model marks only it and its downstream stale; --stale rebuilds only those", async () => {
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
    expect(out).toMatch(/dbt model\.shop\.stg_customers: success/);
    expect(out).toMatch(/dbt model\.shop\.customer_revenue: success/);
    expect(out).not.toMatch(/dbt model\.shop\.stg_orders:/); // not rebuilt: its code and inputs did not change
    expect(out).not.toMatch(/dbt seed\.shop\.customers:/);
    expect(Object.values(await status()).every((s) => s.status === "fresh")).toBe(true);
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
