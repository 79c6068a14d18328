import { describe, expect, test } from "bun:test";
import { parsePyHeader } from "../../../core/pipes/index.ts";
import { parseSqlHeader, SqlHeaderError } from "../../../core/sql-asset/header.ts";

const fail = (text: string): { reason: string; line: number; column: number } => {
  try {
    parsePyHeader(text);
  } catch (e) {
    if (e instanceof SqlHeaderError) return { reason: e.reason, line: e.line, column: e.column };
    throw e;
  }
  throw new Error("no error");
};

describe("parsePyHeader()", () => {
  test("reads the shared fields, @ins (name from the key's last part, or name=key) and @deps, after a shebang and plain comments", () => {
    const h = parsePyHeader(`#!/usr/bin/env python3
# Scores customers.
# @key: ml/scores
# @group: ml
# @ins: orders, raw=shop/raw_orders
# @deps: settings, ref/rates
# @partitions: daily(start=2024-01-01)
# @checks: not_null(id), row_count(min=1)
# @retry: max_retries=2, delay=0s
import os
# @group: not-a-header-line
`);
    expect(h.ins).toEqual({ orders: "orders", raw: "shop/raw_orders" });
    expect(h.insLines).toEqual({ orders: 5, raw: 5 });
    expect(h.deps).toEqual(["settings", "ref/rates"]);
    expect(h.options).toMatchObject({ key: "ml/scores", group: "ml", retry: { maxRetries: 2, delay: "0s" } });
    expect(h.options.partitions).toBeDefined();
    expect(h.options.checks).toHaveLength(2);
  });

  test("no header: no options, inputs or deps", () => {
    expect(parsePyHeader("import os\n")).toEqual({ options: {}, ins: {}, deps: [], insLines: {} });
  });

  test("errors name the line and the column of the value, in # syntax", () => {
    // the same place as the SQL header's error on the `--` form of the line, one column left
    let sql = { line: 0, column: 0 };
    try {
      parseSqlHeader("-- @group: a\n-- @partitions: yearly(start=2024)\nselect 1");
    } catch (e) {
      sql = e as SqlHeaderError;
    }
    expect(fail("# @group: a\n# @partitions: yearly(start=2024)\n")).toMatchObject({ line: 2, column: sql.column - 1 });
    expect(sql.line).toBe(2);
    expect(fail("# @retry: max_retries=x\n").reason).not.toContain("-- @");
    expect(fail("# @grop: a\n")).toMatchObject({ line: 1, reason: expect.stringContaining('unknown header field "@grop"') });
    expect(fail("# @grop: a\n").reason).toContain("@ins, @deps");
    expect(fail("# @external: raw.events\n").reason).toContain('"@external" is for SQL assets');
    expect(fail("# @deps: a=b\n").reason).toContain("@deps takes keys");
    expect(fail("# @ins: orders, orders\n")).toMatchObject({ line: 1, column: 17, reason: expect.stringContaining('input "orders" is named twice') });
    expect(fail("# @ins: 1x=orders\n").reason).toContain('input name "1x" must be an identifier');
    expect(fail("# @ins: ../up\n").reason).toContain('invalid asset key "../up"');
  });
});
