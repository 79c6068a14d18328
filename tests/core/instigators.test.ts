import { describe, expect, test } from "bun:test";
import { asset } from "../../core/asset.ts";
import { type CronEvaluator, onCron, onOverdue, schedule, sensor } from "../../core/automation/index.ts";
import type { LoadError, RawInstigator } from "../../core/definitions.ts";
import { buildGraph, resolveDefinitions } from "../../core/graph.ts";
import { selectionResolver, validateInstigators } from "../../core/instigators.ts";

const cron: CronEvaluator = { next: () => null, validate: (expr) => (expr.split(" ").length === 5 ? null : "expected 5 fields") };
const a = asset({ group: "raw" }, () => 1);
const b = asset({ automation: onCron("0 6 * * *"), freshness: { maxLag: "1h" } }, () => 2);

function graphOf(instigators: Record<string, unknown>, errors: LoadError[] = []) {
  const raw = Object.entries({ a, b }).map(([exportName, def]) => ({ file: "/p/x.asset.ts", exportName, def }));
  const defs = resolveDefinitions("/p", raw, errors, () => "v1", 1);
  const list: RawInstigator[] = Object.entries(instigators).map(([exportName, def]) => ({ file: "/p/jobs.asset.ts", exportName, def, kind: (def as { kind?: string }).kind === "sensor" ? "sensor" : "schedule" }));
  return buildGraph({ ...defs, instigators: list });
}

describe("validateInstigators()", () => {
  test("validates schedules, sensors, automation and freshness with the injected cron", () => {
    const nightly = schedule({ cron: "0 2 * * *", select: "group:raw" });
    const watch = Object.assign(sensor({ select: [a] }, () => ({})), { kind: "sensor" });
    const v = validateInstigators(graphOf({ nightly, watch }), cron, "/p");
    expect(v.schedules.map((s) => [s.name, s.keys])).toEqual([["nightly", ["a"]]]);
    expect(v.sensors.map((s) => [s.name, s.keys])).toEqual([["watch", ["a"]]]);
    expect([...v.automation.keys()]).toEqual(["b"]);
    expect(v.freshness.get("b")?.maxLagMs).toBe(3_600_000);
    expect(() => validateInstigators(graphOf({ bad: schedule({ cron: "0 2 * *", select: "a" }) }), cron)).toThrow(/^Invalid schedule "bad" at .*instigators\.test\.ts:\d+: cron "0 2 \* \*": expected 5 fields$/);
  });

  test("while an asset file fails to load, a schedule whose selection no longer resolves is left out with a note", () => {
    const broken: LoadError = { file: "/p/broken.asset.ts", line: 1, message: "boom" };
    const v = validateInstigators(graphOf({ gone: schedule({ cron: "0 2 * * *", select: "missing_one" }) }, [broken]), cron, import.meta.dir);
    expect(v.leftOut).toHaveLength(1);
    expect(v.leftOut[0]!.message).toMatch(/^Schedule "gone" at instigators\.test\.ts:\d+ is left out: it selects "missing_one", which does not resolve while \/p\/broken\.asset\.ts fails to load$/);
  });

  test("onOverdue() without a freshness policy is refused", () => {
    const c = asset({ automation: onOverdue() }, () => 3);
    const defs = resolveDefinitions("/p", [{ file: "/p/c.asset.ts", exportName: "c", def: c }], [], () => "v1", 1);
    expect(() => validateInstigators(buildGraph(defs), cron)).toThrow(/^Invalid automation of asset "c" at .*: onOverdue\(\) needs a freshness policy/);
  });
});

describe("selectionResolver()", () => {
  test("resolves selection strings and asset definitions; a definition no file exports is refused", () => {
    const resolve = selectionResolver(graphOf({}));
    expect(resolve(["group:raw", b])).toEqual(["a", "b"]);
    expect(() => resolve([asset(() => 0)])).toThrow("select names an asset that no *.asset.ts file exports");
  });
});
