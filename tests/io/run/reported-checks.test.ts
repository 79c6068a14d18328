/**
 * Checks whose results the step reports (`checkSpec()` + `ctx.output(value, { checks })`) and
 * `ctx.output(undefined, { dataVersion })`, in-process: reported, missing and undeclared results;
 * a blocking failure skips the downstream; per-out reports of a multi-asset; `dagx check` on them.
 */
import { afterAll, describe, expect, test } from "bun:test";
import type { RunOutcome } from "../../../io/run/index.ts";
import { testProjects } from "../../support/project.ts";

const projects = testProjects("dagx-reported-checks-");
afterAll(projects.cleanup);

const byKey = (o: RunOutcome) => Object.fromEntries(o.steps.map((s) => [s.key, s.status]));
const logsOf = () => {
  const lines: string[] = [];
  return { lines, reporter: { onLog: (key: string, level: string, message: string) => void lines.push(`${key} ${level} ${message}`) } };
};

describe("reported checks (checkSpec)", () => {
  test("declared+reported, declared but not reported, reported but undeclared; warn severity from the report", async () => {
    const p = await projects.open({
      "a.asset.ts": [
        `import { asset, checkSpec } from "dagx";`,
        `export const rows = asset({ checks: [checkSpec("positive", { description: "all amounts > 0" }), checkSpec("complete"), checkSpec("fresh_enough")] }, (ctx) =>`,
        `  ctx.output([{ amount: 3 }], { metadata: { source: "api" }, checks: { positive: { passed: true, metadata: { min: 3 } }, fresh_enough: { passed: false, severity: "warn" }, extra: { passed: true } } }));`,
        ``,
      ].join("\n"),
    });
    const log = logsOf();
    const run = await p.materialize("rows", { reporter: log.reporter } as never);
    expect(byKey(run)).toEqual({ rows: "success" });
    const results = await p.store.latestCheckResults(["rows"]);
    const by = Object.fromEntries(results.map((r) => [r.checkName, r]));
    expect(Object.keys(by).sort()).toEqual(["complete", "extra", "fresh_enough", "positive"]);
    expect([by.positive!.passed, by.positive!.metadata, by.positive!.description]).toEqual([true, { min: 3 }, "all amounts > 0"]);
    expect([by.complete!.passed, by.complete!.severity, by.complete!.error]).toEqual([false, "error", expect.stringContaining(`the step did not report check "complete"`)]);
    expect([by.fresh_enough!.passed, by.fresh_enough!.severity]).toEqual([false, "warn"]);
    expect([by.extra!.passed, by.extra!.metadata["dagx/undeclared"], by.extra!.blocking]).toEqual([true, true, false]);
    expect(log.lines.join("\n")).toMatch(/rows warn Asset "rows" reported check "extra", which it does not declare: recorded and flagged undeclared — declare it with checks: \[checkSpec\("extra"\)\]/);
    // the materialization keeps its metadata
    const [m] = await p.store.latestMaterializations(["rows"]);
    expect(m?.metadata?.source).toBe("api");
    // as with built-in checks, a failure that does not block reports without failing the run
    expect(run.status).toBe("success");
  });

  test("a blocking error-severity failure skips the downstream; a passing one does not", async () => {
    const p = await projects.open({
      "b.asset.ts": [
        `import { asset, checkSpec } from "dagx";`,
        `export const up = asset({ checks: [checkSpec("ok", { blocking: true })] }, (ctx) => ctx.output([{ v: 1 }], { checks: { ok: { passed: process.env.REPORT_OK === "1" } } }));`,
        `export const down = asset({ ins: { up } }, (ctx, { up }) => ctx.sql\`select v from \${up}\`);`,
        ``,
      ].join("\n"),
    });
    const blocked = await p.materialize("*");
    expect(byKey(blocked)).toEqual({ up: "success", down: "skipped" });
    const skip = blocked.steps.find((s) => s.key === "down")!;
    expect(skip.status === "skipped" && skip.reason).toBe(`blocked: check "ok" of "up" failed`);
    expect(blocked.status).toBe("failed");
    process.env.REPORT_OK = "1";
    try {
      expect(byKey(await p.materialize("*"))).toEqual({ up: "success", down: "success" });
    } finally {
      delete process.env.REPORT_OK;
    }
  });

  test("multi-asset: each out reports its own checks; dagx check says they run only with the step", async () => {
    const p = await projects.open({
      "m.asset.ts": [
        `import { multiAsset, checkSpec, notNull } from "dagx";`,
        `export const m = multiAsset({ outs: { a: { checks: [checkSpec("a_ok")] }, b: { checks: [checkSpec("b_ok", { severity: "warn" }), notNull("v")] } } }, (ctx) => ({`,
        `  a: ctx.output([{ v: 1 }], { checks: { a_ok: { passed: true } } }),`,
        `  b: ctx.output([{ v: 2 }], { checks: { b_ok: { passed: false, metadata: { why: "too few" } } } }),`,
        `}));`,
        ``,
      ].join("\n"),
    });
    const run = await p.materialize("*");
    expect(byKey(run)).toEqual({ a: "success", b: "success" });
    expect(run.status).toBe("success"); // b_ok failed at warn: reported, not failing the run
    const results = (await p.store.latestCheckResults(["a", "b"])).map((r) => `${r.assetKey}:${r.checkName}:${r.passed}:${r.severity}`).sort();
    expect(results).toEqual(["a:a_ok:true:error", "b:b_ok:false:warn", "b:notNull(v):true:error"]);
    const checked = await p.check("*");
    expect(checked.results.map((r) => r.checkName)).toEqual(["notNull(v)"]); // dagx runs its own; the reported ones are not re-run
    expect(checked.reportedOnly).toEqual([{ key: "a", checks: ["a_ok"] }, { key: "b", checks: ["b_ok"] }]);
  });

  test("a report that is not { passed: boolean } is a failed result naming the fix", async () => {
    const p = await projects.open({
      "w.asset.ts": `import { asset, checkSpec } from "dagx";\nexport const w = asset({ checks: [checkSpec("c")] }, (ctx) => ctx.output([{ v: 1 }], { checks: { c: { passed: "yes" } as never } }));\n`,
    });
    await p.materialize("w");
    const [r] = await p.store.latestCheckResults(["w"]);
    expect([r?.passed, r?.error]).toEqual([false, expect.stringContaining(`the step reported check "c" as an object without a boolean \`passed\`: give { passed: true }`)]);
  });
});

describe("ctx.output(undefined, { dataVersion })", () => {
  test("replaces the derived data version of an output written elsewhere; refused with a stored value", async () => {
    const p = await projects.open({
      "d.asset.ts": [
        `import { asset } from "dagx";`,
        `export const ext = asset((ctx) => ctx.output(undefined, { dataVersion: process.env.DV ?? "v1" }));`,
        `export const bad = asset((ctx) => ctx.output([{ v: 1 }], { dataVersion: "v1" }));`,
        ``,
      ].join("\n"),
    });
    const run = await p.materialize("*");
    expect(byKey(run)).toEqual({ ext: "success", bad: "failed" });
    const [m] = await p.store.latestMaterializations(["ext"]);
    expect([m?.dataVersion, m?.format]).toEqual(["v1", "none"]);
    const bad = run.steps.find((s) => s.key === "bad")!;
    expect(bad.status === "failed" && bad.error).toMatch(/dataVersion is for an output written elsewhere — return ctx\.output\(undefined, \{ dataVersion \}\)/);
  });
});

describe("dbt test results as reported checks (io/dbt/assets.ts testResult)", () => {
  const spec = { name: "not_null_x_id", uniqueId: "test.p.not_null_x_id.abc", asset: "x", severity: "error" as const, blocking: true, description: "dbt test not_null on id" };
  test("pass, fail, warn, error, skipped and missing: only pass is passed; skipped and error say why", async () => {
    const { testResult } = await import("../../../io/dbt/assets.ts");
    const r = (status: string, extra: Record<string, unknown> = {}) => testResult(spec, { uniqueId: spec.uniqueId, status, ...extra });
    expect(r("pass")).toMatchObject({ passed: true });
    expect(r("fail", { failures: 2, message: "Got 2 results, configured to fail if != 0" })).toMatchObject({ passed: false, metadata: { failing_rows: 2, dbt_status: "fail", dbt_message: "Got 2 results, configured to fail if != 0" } });
    expect(r("fail").severity).toBeUndefined(); // the declared severity stands
    expect(r("warn", { failures: 1 })).toMatchObject({ passed: false, severity: "warn" });
    expect(r("error", { message: "Binder Error: column nope" })).toMatchObject({ passed: false, error: "dbt could not evaluate the test (error): Binder Error: column nope" });
    expect(r("skipped")).toMatchObject({ passed: false, error: expect.stringMatching(/^not run: dbt skipped this test/) });
    expect(testResult(spec, undefined)).toMatchObject({ passed: false, error: expect.stringMatching(/^not run: dbt did not report test test\.p\.not_null_x_id\.abc/) });
  });
});
