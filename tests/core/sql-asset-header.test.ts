/**
 * The header of a `*.asset.sql` file (core/sql-asset/header.ts): every field, list fields that
 * accumulate, and errors at the exact line and column of the bad value. Also the `$name` scanner
 * of core/sql-asset/references.ts (strings, quoted names and comments are not parameters).
 */
import { describe, expect, test } from "bun:test";
import { parseSqlHeader, SqlHeaderError } from "../../core/sql-asset/header.ts";
import { scanParams } from "../../core/sql-asset/references.ts";

const err = (text: string): { reason: string; line: number; column: number } => {
  try {
    parseSqlHeader(text);
  } catch (e) {
    if (e instanceof SqlHeaderError) return { reason: e.reason, line: e.line, column: e.column };
    throw e;
  }
  throw new Error("no error");
};

describe("parseSqlHeader", () => {
  test("@pool names the asset's concurrency pool", () => {
    expect(parseSqlHeader("-- @pool: warehouse\nselect 1").options.pool).toBe("warehouse");
  });

  test("every field", () => {
    const h = parseSqlHeader(
      [
        "-- Daily revenue per region.",
        "-- @key: analytics/daily_revenue",
        "-- @group: finance",
        "-- @description: Revenue per day",
        "-- @owners: team:data, ana@example.com",
        "-- @tags: tier=gold, pii=no",
        "-- @kinds: duckdb",
        "-- @partitions: daily(start=2024-01-01, timezone=Europe/Paris)",
        "-- @checks: not_null(day), unique(day, region)",
        "-- @checks: row_count(min=1), accepted_values(region, eu, us, severity=warn), expr('amount >= 0')",
        "-- @freshness: max_lag=24h, warn_after=12h",
        "-- @automation: on_cron('0 6 * * *')",
        "-- @retry: max_retries=2, delay=5s, backoff=linear",
        "-- @io: warehouse",
        "-- @external: raw.events, raw.users",
        "",
        "select 1",
      ].join("\n"),
    );
    const o = h.options;
    expect(o.key).toBe("analytics/daily_revenue");
    expect(o.group).toBe("finance");
    expect(o.description).toBe("Revenue per day");
    expect(o.owners).toEqual(["team:data", "ana@example.com"]);
    expect(o.tags).toEqual({ tier: "gold", pii: "no" });
    expect(o.kinds).toEqual(["duckdb"]);
    expect(o.partitions).toMatchObject({ kind: "time", cadence: "daily", start: "2024-01-01", timezone: "Europe/Paris" });
    expect(o.checks).toHaveLength(5);
    expect(o.freshness).toEqual({ maxLag: "24h", warnAfter: "12h" });
    expect(o.automation).toMatchObject({ kind: "onCron", cron: "0 6 * * *" });
    expect(o.retry).toEqual({ maxRetries: 2, delay: "5s", backoff: "linear" });
    expect(o.io).toBe("warehouse");
    expect(h.external).toEqual(["raw.events", "raw.users"]);
    expect(h.bodyLine).toBe(16);
  });

  test("static partitions; ordinary comments are not fields; the header ends at the first SQL line", () => {
    const h = parseSqlHeader("-- just a note\n-- @partitions: static(eu, us)\nselect 1\n-- @group: ignored");
    expect(h.options.partitions).toMatchObject({ kind: "static", keys: ["eu", "us"] });
    expect(h.options.group).toBeUndefined();
  });

  test("multi and dynamic partitions (also in the form dagx list prints) and @mappings", () => {
    const h = parseSqlHeader(
      [
        "-- @partitions: multi(date: daily(start=2024-01-01), region: static(eu, us))",
        "-- @mappings: orders=timeWindow(offset=-1), raw.events=all(), regions=dimension(region), w=timeWindow(offset=-6..0)",
        "select 1",
      ].join("\n"),
    );
    expect(h.options.partitions).toMatchObject({ kind: "multi", names: ["date", "region"] });
    expect(Object.keys(h.options.mappings ?? {})).toEqual(["orders", "raw/events", "regions", "w"]);
    expect(h.options.mappings!.orders).toMatchObject({ kind: "timeWindow", offset: [-1, -1] });
    expect(h.options.mappings!["raw/events"]).toMatchObject({ kind: "all" });
    expect(h.options.mappings!.w).toMatchObject({ kind: "timeWindow", offset: [-6, 0] });
    expect(h.mappingRefs.map((r) => [r.name, r.line, r.column])).toEqual([["orders", 2, 15], ["raw/events", 2, 45], ["regions", 2, 63], ["w", 2, 90]]);
    expect(parseSqlHeader("-- @partitions: multiPartitions(date= daily(start=2024-01-01), region= staticPartitions(eu, us))\nselect 1").options.partitions).toMatchObject({ kind: "multi", names: ["date", "region"] });
    expect(parseSqlHeader("-- @partitions: dynamicPartitions(customers)\nselect 1").options.partitions).toMatchObject({ kind: "dynamic", name: "customers" });
    expect(err("-- @partitions: multi(date: dayly(start=2024-01-01))")).toMatchObject({ reason: expect.stringContaining('did you mean "daily"'), column: 29 });
    expect(err("-- @partitions: multi(date daily(start=2024-01-01))")).toMatchObject({ reason: expect.stringContaining("is not name: partitions"), column: 23 });
    expect(err("-- @mappings: orders=shift(1)")).toMatchObject({ reason: expect.stringContaining("unknown mapping \"shift\""), column: 22 });
    expect(err("-- @mappings: orders")).toMatchObject({ reason: expect.stringContaining("is not upstream=mapping") });
    expect(err("-- @mappings: orders=timeWindow(offset=x)")).toMatchObject({ reason: expect.stringContaining("offset must be an integer") });
  });

  test("errors carry the line and column of the bad value", () => {
    expect(err("-- @grup: x")).toEqual({ reason: expect.stringContaining('unknown header field "@grup" — did you mean "group"?'), line: 1, column: 4 });
    expect(err("\n-- @partitions: daily(begin=2024-01-01)")).toMatchObject({ reason: expect.stringContaining('daily() has no option "begin"'), line: 2, column: 23 });
    expect(err("-- @partitions: daily(start=2024-13-01)")).toMatchObject({ line: 1, column: 17 });
    expect(err("-- @checks: not_null(id), uniq(id)")).toMatchObject({ reason: expect.stringContaining('did you mean "unique"'), line: 1, column: 27 });
    expect(err("-- @retry: max_retries=many")).toMatchObject({ reason: expect.stringContaining("max_retries must be a whole number"), column: 24 });
    expect(err("-- @group: a\n-- @group: b")).toMatchObject({ reason: expect.stringContaining("given twice"), line: 2 });
    expect(err("-- @group a")).toMatchObject({ reason: expect.stringContaining("needs a colon") });
    expect(err("-- @automation: eagr")).toMatchObject({ reason: expect.stringContaining('did you mean "eager"') });
    expect(err("\n\n-- @key: a//b")).toMatchObject({ reason: expect.stringContaining('invalid asset key "a//b"'), line: 3, column: 10 });
    expect(err("-- @tags: tier")).toMatchObject({ reason: expect.stringContaining("is not name=value") });
  });
});

describe("scanParams", () => {
  test("finds $name outside strings, quoted names, comments and dollar-quoted strings", () => {
    const text = `select $a, '$b', "$c", $$ $d $$, $e -- $f\n/* $g */ x$h, $1`;
    expect(scanParams(text).map((p) => [p.name, text.slice(p.start, p.end)])).toEqual([
      ["a", "$a"],
      ["e", "$e"],
      ["1", "$1"],
    ]);
  });
});
