/**
 * examples/sql-shop materializes end to end (TS → SQL → TS → SQL, a partitioned SQL asset with
 * bound partition bounds, built-in checks from a SQL header), on a copy of the example.
 */
import { afterAll, expect, test } from "bun:test";
import { cpSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { REPO, removeProject, runDagx } from "./helpers.ts";

const dir = mkdtempSync(join(tmpdir(), "dagx-sql-shop-"));
afterAll(() => removeProject(dir));

test("examples/sql-shop: every asset materializes; checks from the SQL header pass; dagx sql shows the bound partition", async () => {
  cpSync(join(REPO, "examples/sql-shop"), dir, { recursive: true });
  const r = await runDagx(dir, ["materialize", "*", "--partition", "2024-01-02", "--json"]);
  expect(r.code).toBe(0);
  const out = r.json<{ status: string; steps: { key: string; status: string }[] }>();
  expect(out.status).toBe("success");
  expect(out.steps.map((s) => s.key).sort()).toEqual(["best_day", "marts/daily_revenue", "marts/orders_by_day", "orders", "summary"]);
  const q = await runDagx(dir, ["query", "select count(*) as n, min(day) as d from marts.orders_by_day", "--json"]);
  expect(q.json()).toEqual([{ n: 2, d: "2024-01-02" }]);
  const s = await runDagx(dir, ["sql", "marts/orders_by_day", "--partition", "2024-01-02", "--json"]);
  expect(s.json<{ params: { value: string }[] }>().params.map((p) => p.value)).toEqual(["2024-01-02", "2024-01-02T00:00:00.000Z", "2024-01-03T00:00:00.000Z"]);
});
