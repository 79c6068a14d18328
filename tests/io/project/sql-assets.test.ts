/**
 * `*.asset.sql` files as assets, in-process on the memory store: dependencies from DuckDB's
 * parser, SQL ← TS ← SQL mixing, partition bounds as bound parameters, and load errors that point
 * at the file's line and column with a code frame.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { testProjects } from "../../support/project.ts";

const projects = testProjects("dagx-sql-assets-");
afterAll(projects.cleanup);

const ORDERS_TS = [
  `import { asset } from "dagx";`,
  `export const orders = asset(() => [{ id: 1, customer: "ann", amount: 10 }, { id: 2, customer: "bob", amount: 5 }, { id: 3, customer: "ann", amount: 7 }]);`,
].join("\n");

describe("SQL assets", () => {
  test("SQL ← TS ← SQL: deps inferred (CTE, join, subquery, table function, qualified names) and run", async () => {
    const p = await projects.open({
      "orders.asset.ts": ORDERS_TS,
      "customer_totals.asset.sql": [
        "-- Revenue per customer.",
        "-- @key: analytics/customer_totals",
        "-- @group: finance",
        "-- @checks: not_null(customer), unique(customer)",
        "with o as (select * from orders)",
        "select customer, sum(amount) as total from o group by customer order by customer;",
      ].join("\n"),
      "top.asset.ts": [
        `import { asset, ref } from "dagx";`,
        `export const top = asset({ ins: { totals: ref("analytics/customer_totals") } }, (ctx, { totals }) => ctx.sql\`select customer, total from \${totals} order by total desc limit 1\`);`,
      ].join("\n"),
      "report.asset.sql": [
        "-- @description: joins everything",
        "select t.customer, t.total, (select count(*) from orders) as n, r.x",
        "from top t join analytics.customer_totals c on c.customer = t.customer, range(1) r(x)",
      ].join("\n"),
    });
    expect(p.project.graph.errors).toEqual([]);
    const a = p.project.graph.assets;
    expect(a.get("analytics/customer_totals")!.deps).toEqual(["orders"]);
    expect(a.get("analytics/customer_totals")!.group).toBe("finance");
    expect(a.get("top")!.deps).toEqual(["analytics/customer_totals"]);
    expect([...a.get("report")!.deps].sort()).toEqual(["analytics/customer_totals", "orders", "top"]);
    const out = await p.materialize("*");
    expect(out.status).toBe("success");
    expect(await p.query(`select * from report`)).toEqual([{ customer: "ann", total: 17, n: 3, x: 0 }]);
  });

  test("partition bounds are bound parameters", async () => {
    const p = await projects.open({
      "events.asset.sql": [
        "-- @partitions: daily(start=2024-01-01, end=2024-01-05)",
        "select $partition_key as day, $partition_start::timestamp as s, $partition_end::timestamp as e, '$partition_key' as literal",
      ].join("\n"),
    });
    expect(p.project.graph.errors).toEqual([]);
    const out = await p.materialize("events", { partitionSelection: "2024-01-02" });
    expect(out.steps.map((s) => ("error" in s ? s.error : s.status))).toEqual(["success"]);
    const rows = await p.query<{ day: string; literal: string; s: unknown }>(`select day, literal, s::varchar as s from events`);
    expect(rows).toEqual([{ day: "2024-01-02", literal: "$partition_key", s: "2024-01-02 00:00:00" }]);
  });

  test("multi-partitions bind each dimension's key; @mappings map an upstream (a 2-day window of a daily upstream)", async () => {
    const p = await projects.open({
      "days.asset.sql": ["-- @partitions: daily(start=2024-01-01, end=2024-01-05)", "select $partition_key as day, 10 as n"].join("\n"),
      "by_region.asset.sql": [
        "-- @partitions: multi(date: daily(start=2024-01-01, end=2024-01-05), region: static(eu, us))",
        "-- @mappings: days=dimension(date, timeWindow(offset=-1..0))",
        "select $partition_date as date, $partition_region as region, count(*)::int as days_read, list(day order by day) as days from days",
      ].join("\n"),
    });
    expect(p.project.graph.errors).toEqual([]);
    expect(p.project.graph.assets.get("by_region")!.deps).toEqual(["days"]);
    expect((await p.materialize("days", { partitionSelection: "2024-01-01..2024-01-02" })).steps.every((s) => s.status === "success")).toBe(true);
    const out = await p.materialize("by_region", { partitionSelection: "2024-01-02|eu" });
    expect(out.steps.map((s) => ("error" in s ? s.error : s.status))).toEqual(["success"]);
    const rows = await p.query<{ date: string; region: string; days_read: number; days: string[] }>(`select date, region, days_read, days from by_region`);
    expect(rows).toEqual([{ date: "2024-01-02", region: "eu", days_read: 2, days: ["2024-01-01", "2024-01-02"] }]);
  });

  test("@mappings must name a table the query reads; an unknown $partition_<dimension> says which exist", async () => {
    const p = await projects.open({
      "days.asset.sql": ["-- @partitions: daily(start=2024-01-01)", "select $partition_key as day"].join("\n"),
      "m.asset.sql": ["-- @partitions: daily(start=2024-01-01)", "-- @mappings: dayz=timeWindow(offset=-1)", "select * from days"].join("\n"),
      "d.asset.sql": ["-- @partitions: multi(date: daily(start=2024-01-01), region: static(eu))", "select $partition_regoin as r"].join("\n"),
    });
    const msgs = p.project.graph.errors.map((e) => e.message).sort();
    expect(msgs[0]).toMatch(/d\.asset\.sql:2:8: unknown parameter \$partition_regoin — did you mean "partition_region"/);
    expect(msgs[1]).toMatch(/m\.asset\.sql:2:15: @mappings names "dayz", which the query does not read — did you mean "days"\?/);
  });

  test("unknown table: error with did-you-mean at file:line:column with a code frame; external is allowed", async () => {
    const p = await projects.open({
      "orders.asset.ts": ORDERS_TS,
      "bad.asset.sql": ["-- @group: x", "select *", "from ordres"].join("\n"),
      "ok.asset.sql": ["-- @external: raw.events", "select * from raw.events"].join("\n"),
    });
    const errs = p.project.graph.errors;
    expect(errs.length).toBe(1);
    expect(errs[0]!.message).toContain("bad.asset.sql:3:6");
    expect(errs[0]!.message).toContain('did you mean "orders"');
    expect(errs[0]!.frame).toContain("> 3 | from ordres");
    expect(p.project.graph.assets.get("ok")!.deps).toEqual([]);
  });

  test("header and syntax errors point at the file", async () => {
    const p = await projects.open({
      "h.asset.sql": ["-- @partitions: daily(begin=2024-01-01)", "select 1 as x"].join("\n"),
      "s.asset.sql": ["-- @group: g", "select 1 as x", "frm y"].join("\n"),
    });
    const msgs = p.project.graph.errors.map((e) => e.message).sort();
    expect(msgs[0]).toMatch(/h\.asset\.sql:1:\d+: daily\(\) has no option "begin"/);
    expect(msgs[1]).toContain("s.asset.sql:3:1: SQL syntax error");
  });
});

describe("SQL asset run errors", () => {
  test("a binder error names the .sql file's line and column, with a code frame", async () => {
    const p = await projects.open({
      "orders.asset.ts": ORDERS_TS,
      "totals.asset.sql": ["-- @group: g", "-- a comment", "select customer,", "  sum(amont) as total", "from orders group by customer"].join("\n"),
    });
    expect(p.project.graph.errors).toEqual([]);
    const out = await p.materialize("*");
    const step = out.steps.find((s) => s.key === "totals")!;
    const err = "error" in step ? String(step.error) : "";
    expect(err).toContain("totals.asset.sql:4:7");
    expect(err).toContain("> 4 |   sum(amont) as total");
  });

  test("a column after an upstream's table on the same line is mapped back through the splice", async () => {
    const p = await projects.open({
      "orders.asset.ts": ORDERS_TS,
      "big.asset.sql": ["-- @group: g", "select * from orders where amont > 1"].join("\n"),
    });
    const out = await p.materialize("*");
    const step = out.steps.find((s) => s.key === "big")!;
    expect("error" in step ? String(step.error) : "").toContain("big.asset.sql:2:28");
  });

  test("reading an upstream stored as a JSON value (not a table) fails with a clear reason", async () => {
    const p = await projects.open({
      "settings.asset.ts": `import { asset } from "dagx";\nexport const settings = asset(() => ({ currency: "EUR" }));\n`,
      "s.asset.sql": "select * from settings",
    });
    const out = await p.materialize("*");
    const step = out.steps.find((s) => s.key === "s")!;
    expect("error" in step ? String(step.error) : "").toContain('reads "settings", which is not stored as a table');
  });
});
