import { describe, expect, test } from "bun:test";
import { asset } from "../../core/asset.ts";
import { DefinitionError } from "../../core/errors.ts";
import { buildGraph, type RawExport, resolveDefinitions } from "../../core/graph.ts";

const raw = (file: string, exports: Record<string, ReturnType<typeof asset>>): RawExport[] =>
  Object.entries(exports).map(([exportName, def]) => ({ file, exportName, def }));
const build = (r: RawExport[]) => buildGraph(resolveDefinitions("/p", r, [], () => "v1", 1));

describe("buildGraph()", () => {
  test("orders keys upstream first and links ins and string deps", () => {
    const a = asset(() => 1);
    const b = asset({ ins: { a } }, (_c, { a }) => a + 1);
    const c = asset({ deps: ["b", a] }, () => undefined);
    const g = build(raw("/p/x.asset.ts", { c, b, a }));
    expect(g.order).toEqual(["a", "b", "c"]);
    expect(g.assets.get("b")!.ins).toEqual({ a: "a" });
    expect(g.upstream.get("c")).toEqual(["b", "a"]);
    expect(g.downstream.get("a")).toEqual(["b", "c"]);
  });

  test("pool: a declared pool is kept; an unknown one is a definition error naming the known pools", () => {
    const a = asset({ pool: "warehouse" }, () => 1);
    const g = buildGraph(resolveDefinitions("/p", raw("/p/x.asset.ts", { a }), [], () => "v1", 1, [], {}, { warehouse: 2, api: 1 }));
    expect(g.assets.get("a")!.pool).toBe("warehouse");
    expect(() => resolveDefinitions("/p", raw("/p/x.asset.ts", { a }), [], () => "v1", 1, [], {}, { api: 1 })).toThrow(/pool "warehouse" is not declared: the pools are "api"/);
    expect(() => build(raw("/p/x.asset.ts", { a }))).toThrow(/dagx.config.ts declares no pools/);
  });

  test("uses the key option with prefixes", () => {
    const a = asset({ key: "analytics/daily" }, () => 1);
    const g = build(raw("/p/x.asset.ts", { a }));
    expect([...g.assets.keys()]).toEqual(["analytics/daily"]);
  });

  test("reports a cycle with its path", () => {
    const a = asset({ deps: ["c"] }, () => 1);
    const b = asset({ deps: ["a"] }, () => 1);
    const c = asset({ deps: ["b"] }, () => 1);
    let err: unknown;
    try {
      build(raw("/p/x.asset.ts", { a, b, c }));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(DefinitionError);
    expect((err as DefinitionError).code).toBe("DEFINITION_CYCLE");
    expect((err as Error).message).toContain("a → b → c → a");
  });

  test("reports a self-dependency as a cycle", () => {
    const a = asset({ deps: ["a"] }, () => 1);
    expect(() => build(raw("/p/x.asset.ts", { a }))).toThrow(/cycle: a → a/);
  });

  test("reports a duplicate key with both locations", () => {
    const one = asset({ key: "orders" }, () => 1);
    const two = asset({ key: "orders" }, () => 2);
    expect(() => build([...raw("/p/a.asset.ts", { one }), ...raw("/p/b.asset.ts", { two })])).toThrow(/Duplicate asset key "orders": defined at .*graph\.test\.ts:\d+ and at .*graph\.test\.ts:\d+/);
  });

  test("resolveDefinitions() refuses keys that differ only in case, naming both", () => {
    const upper = asset(() => 1);
    const lower = asset(() => 2);
    let err: unknown;
    try {
      build([...raw("/p/a.asset.ts", { Orders: upper }), ...raw("/p/b.asset.ts", { orders: lower })]);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(DefinitionError);
    expect((err as DefinitionError).code).toBe("DEFINITION_DUPLICATE");
    expect((err as Error).message).toMatch(/^Asset keys "Orders" and "orders" differ only in case: defined at .*graph\.test\.ts:\d+ and at .*graph\.test\.ts:\d+: .*rename one/);
  });

  test("resolveDefinitions() refuses key folders that differ only in case (Sales/a and sales/b)", () => {
    const a = asset({ key: "Sales/a" }, () => 1);
    const b = asset({ key: "sales/b" }, () => 2);
    expect(() => build(raw("/p/a.asset.ts", { a, b }))).toThrow(/Asset keys "Sales\/a" and "sales\/b" differ only in case in folder "Sales" \/ "sales"/);
    // the same folder spelt the same way is fine
    const c = asset({ key: "sales/c" }, () => 3);
    expect([...build(raw("/p/a.asset.ts", { b, c })).assets.keys()]).toEqual(["sales/b", "sales/c"]);
  });

  test("resolveDefinitions() refuses a key that is not a string, and deps/ins/retry of the wrong type, as definition errors", () => {
    const cases: [object, RegExp][] = [
      [{ key: 5 }, /Invalid asset key 5 at .*: it must be a string/],
      [{ deps: "a" }, /Invalid option of asset "x" at .*: deps must be an array/],
      [{ ins: 5 }, /Invalid option of asset "x" at .*: ins must be an object/],
      [{ retry: null }, /Invalid option of asset "x" at .*: retry must be an object/],
      [{ mappings: 5 }, /Invalid option of asset "x" at .*: mappings must be an object/],
    ];
    for (const [options, message] of cases) {
      const x = asset(options as never, () => 1);
      expect(() => build(raw("/p/a.asset.ts", { x }))).toThrow(message);
    }
  });

  test("reports an unknown dep with a suggestion", () => {
    const orders = asset(() => 1);
    const rev = asset({ deps: ["ordres"] }, () => 1);
    expect(() => build(raw("/p/a.asset.ts", { orders, rev }))).toThrow(/depends on unknown asset "ordres" — did you mean "orders"\?/);
  });

  test("rejects keys that could escape the data folder", () => {
    for (const key of ["../evil", "a/../../b", "/abs", "a//b", ".hidden", "a\\b"]) {
      const x = asset({ key }, () => 1);
      expect(() => build(raw("/p/a.asset.ts", { x }))).toThrow(/Invalid asset key/);
    }
  });

  test("rejects an input that is not an exported asset", () => {
    const hidden = asset(() => 1);
    const b = asset({ ins: { hidden } }, () => 1);
    expect(() => build(raw("/p/a.asset.ts", { b }))).toThrow(/refers to an asset that no \*\.asset\.ts file exports/);
  });

  test("rejects bad options with the asset named", () => {
    const a = asset({ io: "csv" as never }, () => 1);
    expect(() => build(raw("/p/a.asset.ts", { a }))).toThrow(/Invalid option of asset "a".*io must be/);
  });

  test("handles a 10,000-asset chain without recursion limits", () => {
    const defs: Record<string, ReturnType<typeof asset>> = {};
    for (let i = 0; i < 10_000; i++) defs[`a${i}`] = asset(i === 0 ? {} : { deps: [`a${i - 1}`] }, () => i);
    const g = build(raw("/p/a.asset.ts", defs));
    expect(g.order.length).toBe(10_000);
    expect(g.order.indexOf("a9999")).toBeGreaterThan(g.order.indexOf("a9998"));
  });
});
