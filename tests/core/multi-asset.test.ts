/** multiAsset() definitions, and how selections and plans treat outs with and without canSubset. */
import { describe, expect, test } from "bun:test";
import { asset, isAssetDef, type OutputOf } from "../../core/asset.ts";
import { completeMultiSteps, expandMultiSelection, isMultiAssetDef, multiAsset, multiOutOf } from "../../core/multi-asset.ts";
import { stepId } from "../../core/plan.ts";

const step = (canSubset: boolean) =>
  multiAsset({ canSubset, outs: { a: { group: "g1" }, b: { key: "x/b", io: "json" } } }, () => ({ a: [{ n: 1 }], b: { ok: true } }));

const assetsOf = (m: ReturnType<typeof step>) =>
  new Map([
    ["a", { key: "a", def: m.outs.a }],
    ["x/b", { key: "x/b", def: m.outs.b }],
  ]);

describe("multiAsset()", () => {
  test("each out is an asset definition with the step's options and its own", () => {
    const m = step(false);
    expect(isMultiAssetDef(m)).toBe(true);
    expect(isAssetDef(m)).toBe(false);
    expect(isAssetDef(m.outs.a) && isAssetDef(m.outs.b)).toBe(true);
    expect(m.outs.a.options.key).toBe("a");
    expect(m.outs.b.options.key).toBe("x/b");
    expect(m.outs.a.options.group).toBe("g1");
    expect(m.outs.b.options.io).toBe("json");
    expect(multiOutOf(m.outs.b)?.name).toBe("b");
    expect(multiOutOf(asset(() => 1))).toBeNull();
    expect(m.location).toMatch(/multi-asset\.test\.ts:\d+$/);
    // types: an out's output type is what the function returns for it
    const typed: OutputOf<typeof m.outs.b> = { ok: true };
    expect(typed.ok).toBe(true);
  });

  test("refuses: no outs, no function, a step option set on one out", () => {
    expect(() => multiAsset({ outs: {} }, () => ({}))).toThrow(/must name at least one out/);
    expect(() => multiAsset({ outs: { a: {} } }, undefined as never)).toThrow(/needs a function/);
    expect(() => multiAsset({ outs: { a: { retry: { maxRetries: 1 } } as never } }, () => ({ a: 1 }))).toThrow(/out "a" sets `retry`, which belongs to the whole step/);
    expect(() => multiAsset({ outs: { a: { pool: "w" } as never } }, () => ({ a: 1 }))).toThrow(/out "a" sets `pool`, which belongs to the whole step/);
    expect(multiAsset({ pool: "w", outs: { a: {}, b: {} } }, () => ({ a: 1, b: 2 })).outs.b.options.pool).toBe("w");
    expect(() => multiAsset({ outs: { a: { codeVersion: "" } } }, () => ({ a: 1 }))).toThrow(/out "a" has codeVersion "": give a non-empty string/);
    const own = multiAsset({ codeVersion: "s", outs: { a: { codeVersion: "x" }, b: {} } }, () => ({ a: 1, b: 2 }));
    expect([own.outs.a.options.codeVersion, own.outs.b.options.codeVersion]).toEqual(["x", "s"]);
  });

  test("without canSubset, selecting one out selects all (with the reason); with canSubset, only it", () => {
    const whole = step(false);
    const e = expandMultiSelection(assetsOf(whole), new Set(["a"]));
    expect([...e.selected].sort()).toEqual(["a", "x/b"]);
    expect(e.added.get("x/b")).toMatch(/runs with "a" \(one multi-asset step; canSubset is off\)/);
    const sub = step(true);
    expect([...expandMultiSelection(assetsOf(sub), new Set(["a"])).selected]).toEqual(["a"]);
  });

  test("a plan filtered down to one out of a step that cannot subset gets its siblings back, same partition and upstream", () => {
    const whole = step(false);
    const steps = [{ id: stepId("a", "2024-01-01"), key: "a", partitionKey: "2024-01-01", partitionKeys: ["2024-01-01"], after: ["up"], reason: "stale: code changed" }];
    completeMultiSteps(steps, assetsOf(whole), stepId, new Map());
    expect(steps.map((s) => [s.id, s.after, s.reason.slice(0, 13)])).toEqual([
      [stepId("a", "2024-01-01"), ["up"], "stale: code c"],
      [stepId("x/b", "2024-01-01"), ["up"], 'runs with "a"'],
    ]);
    const sub = step(true);
    const one = [{ id: "a", key: "a", partitionKey: "", partitionKeys: null, after: [], reason: "selected" }];
    completeMultiSteps(one, assetsOf(sub), stepId, new Map());
    expect(one.length).toBe(1);
  });
});
