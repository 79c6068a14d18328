import { describe, expect, test } from "bun:test";
import { asset } from "../../core/asset.ts";
import {
  acceptedValues,
  blockedReason,
  builtinCheckSql,
  builtinChecksOf,
  check,
  checkSpec,
  countResults,
  expr,
  isBuiltinCheck,
  isCheckDef,
  notNull,
  quoteIdent,
  reportedCheckResults,
  rowCount,
  UNDECLARED_CHECK,
  unique,
} from "../../core/checks/index.ts";
import { DefinitionError } from "../../core/errors.ts";
import { type AttemptOutcome, executePlan } from "../../core/execute.ts";
import { buildGraph, type RawExport, resolveDefinitions } from "../../core/graph.ts";
import type { PlanStep } from "../../core/plan.ts";
import type { CheckResult } from "../../core/types.ts";

const T = "read_parquet(['/d/orders/data.parquet'])";

describe("builtinCheckSql()", () => {
  test("notNull() counts null rows and samples them, with the column quoted", () => {
    const sql = builtinCheckSql(notNull("id").spec, T);
    expect(sql.summary).toEqual({ text: `SELECT count(*) AS rows, count(*) FILTER (WHERE "id" IS NULL) AS failing FROM ${T}`, params: [] });
    expect(sql.sample).toEqual({ text: `SELECT * FROM ${T} WHERE "id" IS NULL LIMIT 5`, params: [] });
    expect(sql.columns).toEqual(["id"]);
  });

  test("quoteIdent() doubles quotes, so a column name cannot end the identifier", () => {
    expect(quoteIdent('a"b')).toBe('"a""b"');
    const sql = builtinCheckSql(notNull('x" IS NULL OR "1').spec, T);
    expect(sql.summary.text).toContain('WHERE "x"" IS NULL OR ""1" IS NULL');
  });

  test("acceptedValues() binds every value as a parameter (never spliced) and lets nulls pass", () => {
    const sql = builtinCheckSql(acceptedValues("status", ["open", "it's", 3, true]).spec, T);
    expect(sql.summary.text).toBe(`SELECT count(*) AS rows, count(*) FILTER (WHERE "status" IS NOT NULL AND "status" NOT IN ($1, $2, $3, $4)) AS failing FROM ${T}`);
    expect(sql.summary.params).toEqual(["open", "it's", 3, true]);
    expect(sql.sample?.params).toEqual(["open", "it's", 3, true]);
    expect(sql.summary.text).not.toContain("it's");
  });

  test("unique() groups once, ignores keys with a null, and samples duplicated values with their count", () => {
    const sql = builtinCheckSql(unique(["order_id", "line"]).spec, T);
    expect(sql.summary.text).toBe(
      `SELECT coalesce(sum(n), 0) AS rows, count(*) FILTER (WHERE complete AND n > 1) AS failing, coalesce(sum(n) FILTER (WHERE complete AND n > 1), 0) AS duplicate_rows FROM (SELECT "order_id" IS NOT NULL AND "line" IS NOT NULL AS complete, count(*) AS n FROM ${T} GROUP BY "order_id", "line")`,
    );
    expect(sql.sample?.text).toBe(
      `SELECT "order_id", "line", count(*) AS "count" FROM ${T} WHERE "order_id" IS NOT NULL AND "line" IS NOT NULL GROUP BY "order_id", "line" HAVING count(*) > 1 ORDER BY count(*) DESC, "order_id", "line" LIMIT 5`,
    );
    expect(sql.columns).toEqual(["order_id", "line"]);
  });

  test("rowCount() binds its bounds and has no sample", () => {
    expect(builtinCheckSql(rowCount({ min: 1, max: 10 }).spec, T)).toEqual({
      summary: { text: `SELECT count(*) AS rows, CASE WHEN count(*) < $1 OR count(*) > $2 THEN 1 ELSE 0 END AS failing FROM ${T}`, params: [1, 10] },
      sample: null,
      columns: [],
    });
    expect(builtinCheckSql(rowCount({ max: 0 }).spec, T).summary).toEqual({ text: `SELECT count(*) AS rows, CASE WHEN count(*) > $1 THEN 1 ELSE 0 END AS failing FROM ${T}`, params: [0] });
  });

  test("expr() splices the user's condition (by design), NULL passes, a trailing comment cannot eat the parenthesis", () => {
    const sql = builtinCheckSql(expr("amount >= 0 -- no refunds").spec, T);
    expect(sql.summary.text).toBe(`SELECT count(*) AS rows, count(*) FILTER (WHERE NOT coalesce((amount >= 0 -- no refunds\n), true)) AS failing FROM ${T}`);
    expect(sql.columns).toEqual([]);
  });
});

describe("built-in check constructors", () => {
  test("name themselves after what they check; options override name, severity, blocking", () => {
    expect([notNull("id"), unique("id"), unique(["a", "b"]), rowCount({ min: 1 }), rowCount({ min: 1, max: 5 }), acceptedValues("s", ["x"]), expr("a  >\n 0")].map((c) => c.name)).toEqual([
      "notNull(id)", "unique(id)", "unique(a, b)", "rowCount(min=1)", "rowCount(min=1, max=5)", "acceptedValues(s)", "expr(a > 0)",
    ]);
    const c = unique("id", { name: "ids", severity: "warn", blocking: true, description: "one row per id" });
    expect({ name: c.name, severity: c.severity, blocking: c.blocking, description: c.description }).toEqual({ name: "ids", severity: "warn", blocking: true, description: "one row per id" });
    expect(notNull("id")).toMatchObject({ severity: "error", blocking: false, description: null });
    expect(isBuiltinCheck(notNull("id"))).toBe(true);
    expect(isBuiltinCheck({ name: "x" })).toBe(false);
  });

  test("remember the caller's file:line", () => {
    expect(notNull("id").location).toContain("tests/core/checks.test.ts:");
  });

  test("reject bad arguments with a DefinitionError naming the call", () => {
    const cases: [() => unknown, string][] = [
      [() => notNull(""), "Invalid check notNull() at "],
      [() => unique([]), "give a column or a list of columns"],
      [() => rowCount({}), "give min, max or both"],
      [() => rowCount({ min: 5, max: 1 }), "min (5) is greater than max (1)"],
      [() => rowCount({ min: -1 }), "min must be a whole number ≥ 0 (got -1)"],
      [() => acceptedValues("s", []), "values must be a non-empty array"],
      [() => acceptedValues("s", [{}] as never), "values must be strings, finite numbers or booleans (got an object)"],
      [() => expr(" "), "condition must be a SQL boolean expression"],
      [() => notNull("id", { severity: "fatal" as never }), 'severity must be "error" or "warn" (got "fatal")'],
      [() => notNull("id", { blocking: "yes" as never }), "blocking must be true or false"],
    ];
    for (const [make, message] of cases) {
      let err: unknown;
      try {
        make();
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(DefinitionError);
      expect((err as Error).message).toContain(message);
      expect((err as Error).message).toContain("checks.test.ts:");
    }
  });
});

describe("check()", () => {
  const orders = asset(() => [{ id: 1 }]);

  test("makes a definition with or without options", () => {
    const a = check(orders, () => true);
    const b = check(orders, { severity: "warn", timeout: "5s" }, () => ({ passed: false, metadata: { n: 1 } }));
    expect(isCheckDef(a) && isCheckDef(b)).toBe(true);
    expect(a.asset).toBe(orders);
    expect(b.options).toEqual({ severity: "warn", timeout: "5s" });
  });

  test("rejects a non-asset, a missing function and bad options", () => {
    expect(() => check("orders" as never, () => true)).toThrow("the first argument must be an asset definition");
    expect(() => check(orders, {} as never)).toThrow("it needs a function");
    expect(() => check(orders, { timeout: "soon" }, () => true)).toThrow('Invalid timeout "soon"');
    expect(() => check(orders, { timeout: 0 }, () => true)).toThrow("timeout must be more than 0");
  });
});

describe("resolveDefinitions() with checks", () => {
  const raw = (exports: Record<string, ReturnType<typeof asset>>): RawExport[] => Object.entries(exports).map(([exportName, def]) => ({ file: "/p/x.asset.ts", exportName, def }));

  test("attaches built-ins then check() exports, named after their export unless named", () => {
    const orders = asset({ checks: [notNull("id"), rowCount({ min: 1 })] }, () => [{ id: 1 }]);
    const fresh = check(orders, { blocking: true, timeout: 1500 }, () => true);
    const named = check(orders, { name: "custom name" }, () => true);
    const defs = resolveDefinitions("/p", raw({ orders }), [], () => "v1", 1, [
      { file: "/p/c.asset.ts", exportName: "fresh", def: fresh },
      { file: "/p/c.asset.ts", exportName: "named", def: named },
    ]);
    const checks = buildGraph(defs).assets.get("orders")!.checks;
    expect(checks.map((c) => [c.kind, c.name, c.severity, c.blocking])).toEqual([
      ["builtin", "notNull(id)", "error", false],
      ["builtin", "rowCount(min=1)", "error", false],
      ["function", "fresh", "error", true],
      ["function", "custom name", "error", false],
    ]);
    expect(checks[2]!.kind === "function" && checks[2]!.timeoutMs).toBe(1500);
  });

  test("refuses built-ins on an io: \"json\" asset, saying to use check()", () => {
    const settings = asset({ io: "json", checks: [notNull("id")] }, () => ({ id: 1 }));
    expect(() => resolveDefinitions("/p", raw({ settings }), [], () => "v1", 1)).toThrow('built-in checks run SQL over a table, but io: "json" stores this asset as JSON');
  });

  test("refuses a checks option that is not a list of built-ins", () => {
    const a = asset({ checks: [() => true] as never }, () => [{ id: 1 }]);
    expect(() => resolveDefinitions("/p", raw({ a }), [], () => "v1", 1)).toThrow("checks must be a list of built-in checks");
  });

  test("refuses two checks of one asset with the same name", () => {
    const a = asset({ checks: [notNull("id"), notNull("id", { severity: "warn" })] }, () => [{ id: 1 }]);
    let err: unknown;
    try {
      resolveDefinitions("/p", raw({ a }), [], () => "v1", 1);
    } catch (e) {
      err = e;
    }
    expect((err as DefinitionError).code).toBe("DEFINITION_DUPLICATE");
    expect((err as Error).message).toContain('Asset "a" has two checks named "notNull(id)"');
  });

  test("refuses a check of an asset no asset file exports", () => {
    const hidden = asset(() => 1);
    const c = check(hidden, () => true);
    expect(() => resolveDefinitions("/p", [], [], () => "v1", 1, [{ file: "/p/c.asset.ts", exportName: "c", def: c }])).toThrow('Check "c" at');
  });
});

const result = (patch: Partial<CheckResult>): CheckResult => ({
  runId: "r", assetKey: "orders", partitionKey: "", checkName: "unique(id)", at: 1, passed: false, severity: "error", blocking: true,
  description: null, metadata: {}, sample: null, error: null, ...patch,
});

describe("blockedReason()", () => {
  test("names the first blocking check failed at error severity; warn and non-blocking never block", () => {
    expect(blockedReason([result({})])).toBe('check "unique(id)" of "orders" failed');
    expect(blockedReason([result({ partitionKey: "2024-01-01" })])).toBe('check "unique(id)" of "orders" failed for partition 2024-01-01');
    expect(blockedReason([result({ severity: "warn" }), result({ blocking: false }), result({ passed: true })])).toBeNull();
    expect(countResults([result({}), result({ severity: "warn" }), result({ passed: true })])).toEqual({ passed: 1, failed: 1, warned: 1 });
  });
});

describe("executePlan() with blocked steps", () => {
  const step = (key: string, after: string[] = []): PlanStep => ({ id: key, key, partitionKey: "", partitionKeys: null, after, reason: "selected" });

  test("a blocked success skips its whole downstream with the check's reason; other branches run", async () => {
    const ran: string[] = [];
    const outcome = (key: string): AttemptOutcome => {
      ran.push(key);
      return key === "orders" ? { ok: true, rows: 3, checks: [result({})], blocked: 'check "unique(id)" of "orders" failed' } : { ok: true, rows: 1 };
    };
    const deps = {
      runAttempt: async (s: PlanStep) => outcome(s.key),
      retryPolicy: () => ({ maxRetries: 0, delay: "1s", backoff: "constant", jitter: false }) as const,
      emit: () => {},
      clock: { now: () => 0, sleep: async () => {} },
      random: () => 0.5,
    };
    const steps = [step("orders"), step("revenue", ["orders"]), step("report", ["revenue"]), step("other")];
    const r = await executePlan({ steps, fresh: [] }, deps, { concurrency: 1, signal: new AbortController().signal });
    expect(ran.sort()).toEqual(["orders", "other"]);
    expect(r.map((x) => [x.key, x.status, x.status === "skipped" ? x.reason : null])).toEqual([
      ["orders", "success", null],
      ["revenue", "skipped", 'blocked: check "unique(id)" of "orders" failed'],
      ["report", "skipped", 'blocked: check "unique(id)" of "orders" failed'],
      ["other", "success", null],
    ]);
    expect(r[0]!.status === "success" && r[0]!.checks?.length).toBe(1);
  });
});

describe("checkSpec() and reportedCheckResults()", () => {
  const target = { runId: "r", assetKey: "a", partitionKey: "", at: 1 };
  test("checkSpec validates its name and options at the user's line", () => {
    expect(() => checkSpec("")).toThrow(/Invalid check checkSpec\(\) at .*checks\.test\.ts:\d+: the name must be a non-empty string/);
    expect(() => checkSpec("x", { severity: "fatal" as never })).toThrow(/severity must be "error" or "warn"/);
    const c = checkSpec("rows_ok", { blocking: true, description: "d" });
    expect([c.name, c.severity, c.blocking, c.description]).toEqual(["rows_ok", "error", true, "d"]);
  });

  test("an asset's checks take checkSpecs beside built-ins, even with io: json; names stay unique", () => {
    const checks = builtinChecksOf("a", "x.ts:1", { checks: [checkSpec("s", { severity: "warn" })], io: "json" });
    expect(checks.map((c) => [c.kind, c.name, c.severity])).toEqual([["reported", "s", "warn"]]);
  });

  test("reported results: an error is never a pass; missing, undeclared and invalid reports", () => {
    const checks = builtinChecksOf("a", "x.ts:1", { checks: [checkSpec("p"), checkSpec("q", { blocking: true }), notNull("id")] });
    const got = reportedCheckResults(checks, { p: { passed: true, error: "skipped by the tool" }, "notNull(id)": { passed: true }, z: { passed: false } }, target);
    const by = Object.fromEntries(got.results.map((r) => [r.checkName, r]));
    expect(Object.keys(by).sort()).toEqual(["p", "q", "z"]);
    expect([by.p!.passed, by.p!.error]).toEqual([false, "skipped by the tool"]);
    expect([by.q!.passed, by.q!.blocking, by.q!.error]).toEqual([false, true, expect.stringMatching(/did not report check "q"/)]);
    expect([by.z!.passed, by.z!.blocking, by.z!.metadata[UNDECLARED_CHECK]]).toEqual([false, false, true]);
    expect(got.warnings).toEqual([
      expect.stringMatching(/reported check "notNull\(id\)", not recorded: "notNull\(id\)" is a builtin check that dagx runs itself/),
      expect.stringMatching(/reported check "z", which it does not declare/),
    ]);
    expect(reportedCheckResults(checks, "bad", target).warnings[0]).toMatch(/reported checks as string: give an object by check name/);
  });
});
