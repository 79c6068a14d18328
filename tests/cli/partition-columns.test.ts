// Partition columns come from the keys state knows, never from a path (DESIGN §3, STYLE 32): the
// data's own column always wins, keys are VARCHAR ("NULL" stays a string), and readers see exactly
// the partitions state says are materialized — not every `date=*` folder left on disk.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { runDagx, makeProject, ok, removeProject } from "./helpers.ts";

const dirs: string[] = [];
afterAll(() => dirs.forEach(removeProject));

async function query<T = Record<string, unknown>>(dir: string, sql: string): Promise<T[]> {
  return ok(await runDagx(dir, ["query", sql, "--json"])).json<T[]>();
}

describe("a column of the data wins over the partition key", () => {
  let dir = "";
  beforeAll(async () => {
    dir = makeProject({
      "events.asset.ts": [
        `import { asset, daily, expr, multiPartitions, staticPartitions } from "dagx";`,
        `const days = daily({ start: "2024-01-01", end: "2024-01-03" });`,
        // each row has its own "date": a TIMESTAMP at 13:00 of the partition's day
        `export const events = asset({ partitions: days, checks: [expr("hour(date) = 13")] }, (ctx) => [{ date: new Date(ctx.partition.key + "T13:00:00Z"), n: 1 }]);`,
        `export const events_copy = asset({ ins: { events }, partitions: days }, (ctx, { events }) => ctx.sql\`select date, typeof(date) as t from \${events}\`);`,
        `export const events_all = asset({ ins: { events } }, (ctx, { events }) => ctx.sql\`select date, typeof(date) as t from \${events}\`);`,
        `export const events_rows = asset({ ins: { events } }, async (ctx, { events }) => (await events.rows()).map((r: any) => ({ hour: r.date.getUTCHours() })));`,
        // a multi-partition whose data has its own "region" (not the key) but no "date"
        `export const sales = asset({ partitions: multiPartitions({ date: days, region: staticPartitions(["eu", "us"]) }) },`,
        `  (ctx) => [{ region: ctx.partition.dimensions.region.toUpperCase() + "-WEST", amount: 2 }]);`,
        `export const sales_all = asset({ ins: { sales } }, (ctx, { sales }) => ctx.sql\`select region, date, typeof(date) as t from \${sales}\`);`,
        ``,
      ].join("\n"),
    });
    dirs.push(dir);
    ok(await runDagx(dir, ["materialize", "events", "sales", "--partitions", "*"]));
    ok(await runDagx(dir, ["materialize", "events_copy", "--partitions", "*"]));
    ok(await runDagx(dir, ["materialize", "events_all", "events_rows", "sales_all"]));
  });

  test("a daily asset's own TIMESTAMP date column is what downstream readers see, not the key", async () => {
    const want = [{ d: "2024-01-01 13:00:00", t: "TIMESTAMP" }, { d: "2024-01-02 13:00:00", t: "TIMESTAMP" }];
    expect(await query(dir, "select strftime(date, '%Y-%m-%d %H:%M:%S') as d, t from events_copy order by d")).toEqual(want);
    expect(await query(dir, "select strftime(date, '%Y-%m-%d %H:%M:%S') as d, t from events_all order by d")).toEqual(want);
    expect(await query(dir, "select hour from events_rows")).toEqual([{ hour: 13 }, { hour: 13 }]);
  });

  test("dagx query shows the data's own date column, and built-in checks read it too", async () => {
    expect(await query(dir, "select strftime(date, '%Y-%m-%d %H:%M:%S') as d, typeof(date) as t from events order by d")).toEqual([
      { d: "2024-01-01 13:00:00", t: "TIMESTAMP" },
      { d: "2024-01-02 13:00:00", t: "TIMESTAMP" },
    ]);
    const checks = ok(await runDagx(dir, ["check", "events", "--json"])).json<{ passed: boolean }[]>();
    expect(checks.map((c) => c.passed)).toEqual([true, true]);
  });

  test("a multi-partition dimension the data has (region) keeps the data's values; the one it lacks (date) is added as VARCHAR", async () => {
    const want = [
      { region: "EU-WEST", date: "2024-01-01", t: "VARCHAR" },
      { region: "EU-WEST", date: "2024-01-02", t: "VARCHAR" },
      { region: "US-WEST", date: "2024-01-01", t: "VARCHAR" },
      { region: "US-WEST", date: "2024-01-02", t: "VARCHAR" },
    ];
    expect(await query(dir, "select region, date, t from sales_all order by region, date")).toEqual(want);
    expect(await query(dir, "select region, date, typeof(date) as t from sales order by region, date")).toEqual(want);
  });
});

describe("readers see exactly the partitions state says are materialized", () => {
  let dir = "";
  beforeAll(async () => {
    dir = makeProject({
      "parts.asset.ts": [
        `import { asset, daily, dynamicPartitions } from "dagx";`,
        `export const days = asset({ partitions: daily({ start: "2024-01-01", end: "2024-01-04" }) }, (ctx) => [{ n: 1 }]);`,
        `export const days_all = asset({ ins: { days } }, (ctx, { days }) => ctx.sql\`select date from \${days}\`);`,
        `export const customers = asset({ partitions: dynamicPartitions("customers") }, (ctx) => [{ who: ctx.partition.key }]);`,
        `export const customers_all = asset({ ins: { customers } }, (ctx, { customers }) => ctx.sql\`select partition, partition is null as is_null from \${customers}\`);`,
        `export const customers_copy = asset({ ins: { customers }, partitions: dynamicPartitions("customers") }, (ctx, { customers }) => ctx.sql\`select partition, partition is null as is_null from \${customers}\`);`,
        ``,
      ].join("\n"),
    });
    dirs.push(dir);
    ok(await runDagx(dir, ["partitions", "add", "customers", "acme", "globex", "NULL"]));
    ok(await runDagx(dir, ["materialize", "days", "customers", "--partitions", "*"]));
    ok(await runDagx(dir, ["materialize", "customers_copy", "--partitions", "*"]));
  });

  test("a partition wiped without --data is not read by an unpartitioned reader nor shown by the query view", async () => {
    ok(await runDagx(dir, ["wipe", "days", "--partitions", "2024-01-02"]));
    expect(existsSync(join(dir, ".dagx/data/days/date=2024-01-02/data.parquet"))).toBe(true);
    ok(await runDagx(dir, ["materialize", "days_all"]));
    expect(await query(dir, "select date from days_all order by date")).toEqual([{ date: "2024-01-01" }, { date: "2024-01-03" }]);
    expect(await query(dir, "select date from days order by date")).toEqual([{ date: "2024-01-01" }, { date: "2024-01-03" }]);
  });

  test("the dynamic key \"NULL\" is the string 'NULL' in the partition column, never SQL NULL", async () => {
    ok(await runDagx(dir, ["materialize", "customers_all"]));
    const want = [{ partition: "NULL", is_null: false }, { partition: "acme", is_null: false }, { partition: "globex", is_null: false }];
    expect(await query(dir, "select partition, is_null from customers_all order by partition")).toEqual(want);
    expect(await query(dir, "select partition, is_null from customers_copy order by partition")).toEqual(want);
    expect(await query(dir, "select partition, partition is null as is_null from customers order by partition")).toEqual(want);
  });

  test("a dynamic key removed with `dagx partitions remove` is not read nor shown, though its file stays", async () => {
    ok(await runDagx(dir, ["partitions", "remove", "customers", "globex"]));
    expect(existsSync(join(dir, ".dagx/data/customers/partition=globex/data.parquet"))).toBe(true);
    ok(await runDagx(dir, ["materialize", "customers_all"]));
    expect(await query(dir, "select partition from customers_all order by partition")).toEqual([{ partition: "NULL" }, { partition: "acme" }]);
    expect(await query(dir, "select partition from customers order by partition")).toEqual([{ partition: "NULL" }, { partition: "acme" }]);
  });
});
