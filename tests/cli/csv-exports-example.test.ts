// examples/csv-exports: a project with its own IO manager (csvFiles, defineIOManager). Materialize every
// partition, read the CSVs back in a downstream asset, status; an identical re-run keeps the downstream
// fresh (the data version is the content hash); wipe --data removes the files through the manager.
// Also the checks a user can run on their own manager through the CLI (docs/io-managers.md).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { cpSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { REPO, removeProject, runDagx } from "./helpers.ts";

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "dagx-csv-exports-"));
  cpSync(join(REPO, "examples/csv-exports"), dir, { recursive: true, filter: (src) => !src.includes(".dagx") });
});
afterAll(() => removeProject(dir));

type Status = { key: string; status: string; lastMaterialization: { dataVersion: string; path: string; schema: { name: string; type: string }[] } | null };
const status = async () => Object.fromEntries((await runDagx(dir, ["status", "--json"])).json<Status[]>().map((s) => [s.key, s]));

describe("examples/csv-exports", () => {
  test("materializes every partition as CSV through the project's IO manager; the downstream reads them back typed", async () => {
    const r = await runDagx(dir, ["materialize", "--partitions", "*", "--json"]);
    expect([r.code, r.stderr]).toEqual([0, r.stderr]);
    expect(existsSync(join(dir, ".dagx/data/daily_sales/date=2024-03-02/data.csv"))).toBe(true);
    expect(readFileSync(join(dir, ".dagx/data/price_list/data.csv"), "utf8")).toBe('product,unit_price,note\ncoffee,2.5,per cup\ntea,2,"green, ""sencha"""\ncake,3.75,\n');
    const q = await runDagx(dir, ["query", "select * from revenue_by_product order by product", "--json"]);
    expect(JSON.parse(q.stdout)).toEqual([
      { product: "cake", units: 3, revenue: 11.25, days: 2 },
      { product: "coffee", units: 7, revenue: 17.5, days: 3 },
      { product: "tea", units: 4, revenue: 8, days: 2 },
    ]);
    const s = await status();
    expect(Object.values(s).map((a) => [a.key, a.status])).toEqual([["daily_sales", "fresh"], ["price_list", "fresh"], ["revenue_by_product", "fresh"]]);
    // the manager's schema is recorded: the next read is typed by it, and a schema change is reported from it
    expect(s.price_list!.lastMaterialization!.schema).toEqual([{ name: "product", type: "VARCHAR" }, { name: "unit_price", type: "DOUBLE" }, { name: "note", type: "VARCHAR" }]);
  });

  test("an identical re-run of a partition gives the same data version: the downstream stays fresh (early cutoff)", async () => {
    const before = await status();
    const r = await runDagx(dir, ["materialize", "daily_sales", "--partition", "2024-03-03"]);
    expect(r.code).toBe(0);
    const after = await status();
    expect(after.daily_sales!.lastMaterialization!.dataVersion).toBe(before.daily_sales!.lastMaterialization!.dataVersion);
    expect(after.revenue_by_product!.status).toBe("fresh");
  });

  test("changed data makes the downstream stale; a failed write keeps the previous file", async () => {
    const csv = join(dir, "data/sales.csv");
    writeFileSync(csv, readFileSync(csv, "utf8") + "8,2024-03-03,tea,2,2.0\n");
    expect((await runDagx(dir, ["materialize", "daily_sales", "--partition", "2024-03-03"])).code).toBe(0);
    expect((await status()).revenue_by_product!.status).toBe("stale");
    const file = join(dir, ".dagx/data/daily_sales/date=2024-03-03/data.csv");
    const kept = readFileSync(file, "utf8");
    writeFileSync(csv, "order_id,sold_on,product,quantity,unit_price\n9,2024-03-03,tea,lots,2.0\n");
    const failed = await runDagx(dir, ["materialize", "daily_sales", "--partition", "2024-03-03"]);
    expect(failed.code).toBe(1);
    expect(readFileSync(file, "utf8")).toBe(kept);
  });

  test("wipe --data removes the stored files through the manager's remove()", async () => {
    const r = await runDagx(dir, ["wipe", "price_list", "--data", "--yes"]);
    expect([r.code, r.stderr]).toEqual([0, r.stderr]);
    expect(existsSync(join(dir, ".dagx/data/price_list/data.csv"))).toBe(false);
  });
});
