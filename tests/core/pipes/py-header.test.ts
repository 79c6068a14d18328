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

describe("parsePyHeader(): @check_specs", () => {
  test("declares the checks the script reports, with blocking, severity and description; built-in @checks stay", () => {
    const h = parsePyHeader(`# @checks: not_null(id)
# @check_specs: complete(blocking), drift(severity=warn, description="share of changed rows")
# @check_specs: model_ok(blocking=false, severity=error)
import os
`);
    const checks = h.options.checks as unknown as { name?: string; severity?: string; blocking?: boolean; description?: string | null }[];
    expect(checks).toHaveLength(4);
    expect(checks.slice(1).map(({ name, severity, blocking, description }) => ({ name, severity, blocking, description }))).toEqual([
      { name: "complete", severity: "error", blocking: true, description: null },
      { name: "drift", severity: "warn", blocking: false, description: "share of changed rows" },
      { name: "model_ok", severity: "error", blocking: false, description: null },
    ]);
  });

  test("a bad entry is an error at its line and column", () => {
    expect(fail("# @group: ml\n# @check_specs: complete(blockng)\n")).toEqual({ reason: 'check "complete" has no option "blockng": the options are blocking, severity=error|warn, description="…"', line: 2, column: 26 });
    expect(fail("# @check_specs: a, b(severity=fatal)\n")).toEqual({ reason: 'severity must be error or warn, not "fatal": write b(severity=warn)', line: 1, column: 31 });
    expect(fail("# @check_specs: a(blocking=yes)\n")).toMatchObject({ reason: 'blocking is true or false, not "yes": write a(blocking)', line: 1, column: 28 });
    expect(fail("# @check_specs: a, 3x\n")).toMatchObject({ reason: '"3x" is not a check like name or name(blocking, severity=warn)', line: 1, column: 20 });
    expect(fail("# @check_specs: a, a(blocking)\n")).toMatchObject({ reason: 'check "a" is declared twice: keep one', line: 1 });
    expect(fail("# @check_specs: a(blocking\n")).toMatchObject({ reason: 'missing ")"', line: 1 });
    expect(fail("# @check_specs: \n")).toMatchObject({ line: 1, column: 15 });
    expect(fail("# @check_spec: a\n").reason).toMatch(/the fields are .*, @ins, @deps, @check_specs/);
  });
});
