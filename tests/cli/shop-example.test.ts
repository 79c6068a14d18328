import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { cpSync, existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { REPO, runDagx, removeProject } from "./helpers.ts";

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "dagx-shop-"));
  cpSync(join(REPO, "examples/shop"), dir, { recursive: true, filter: (src) => !src.includes(".dagx") });
});
afterAll(() => removeProject(dir));

describe("examples/shop", () => {
  test("materializes every asset and writes Parquet, JSON and state", async () => {
    const r = await runDagx(dir, ["materialize", "--json"]);
    expect(r.stderr).not.toContain("error");
    expect(r.code).toBe(0);
    const out = r.json<{ runId: string; status: string; steps: { key: string; status: string; rows: number | null }[] }>();
    expect(out.status).toBe("success");
    expect(out.steps.map((s) => s.key).sort()).toEqual(["analytics/revenue_by_customer", "customers", "daily_revenue", "orders", "publish_report", "settings", "top_customers"]);
    expect(out.steps.every((s) => s.status === "success")).toBe(true);
    expect(existsSync(join(dir, ".dagx/data/orders/data.parquet"))).toBe(true);
    expect(existsSync(join(dir, ".dagx/data/settings/value.json"))).toBe(true);
    expect(existsSync(join(dir, ".dagx/data/analytics/revenue_by_customer/data.parquet"))).toBe(true);
    expect(r.stderr).toContain("report published");
  });

  test("outputs are readable by any DuckDB and hold the expected numbers", async () => {
    const db = await DuckDBInstance.create(":memory:");
    const c = await db.connect();
    const top = (await c.runAndReadAll(`select * from '${join(dir, ".dagx/data/top_customers/data.parquet")}' order by rank`)).getRowObjectsJS();
    expect(top.length).toBe(3);
    expect(Number(top[0]!.rank)).toBe(1);
    expect(top[0]!.currency).toBe("EUR");
    const rev = (await c.runAndReadAll(`select count(*)::int as n from '${join(dir, ".dagx/data/daily_revenue/data.parquet")}'`)).getRowObjectsJS();
    expect(Number(rev[0]!.n)).toBeGreaterThan(20);
    c.closeSync();
    db.closeSync();
  });

  test("status after the run says every asset is fresh", async () => {
    const r = await runDagx(dir, ["status", "--json"]);
    expect(r.code).toBe(0);
    const rows = r.json<{ key: string; status: string; lastMaterialization: { runId: string } | null }[]>();
    expect(rows.every((x) => x.status === "fresh")).toBe(true);
    expect(rows.every((x) => x.lastMaterialization !== null)).toBe(true);
  });

  test("materialize --stale then does nothing", async () => {
    const r = await runDagx(dir, ["materialize", "--stale", "--json"]);
    expect(r.code).toBe(0);
    expect(r.json<{ status: string; steps: unknown[] }>()).toMatchObject({ status: "nothing", steps: [] });
  });
});
