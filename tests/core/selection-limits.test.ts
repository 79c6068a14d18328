import { describe, expect, test } from "bun:test";
import { SelectionError } from "../../core/errors.ts";
import { MAX_SELECTION_DEPTH, resolveSelection } from "../../core/selection/index.ts";
import type { AssetNode, GraphView } from "../../core/types.ts";

function chainGraph(n: number, prefix = "a"): GraphView {
  const keys = Array.from({ length: n }, (_, i) => `${prefix}${i}`);
  const node = (key: string, deps: string[]): AssetNode => ({ key, group: "g", deps, description: null, owners: [], tags: {}, kinds: [], partitioned: false, location: null });
  const nodes = keys.map((k, i) => node(k, i === 0 ? [] : [keys[i - 1]!]));
  return {
    assets: new Map(nodes.map((x) => [x.key, x])),
    upstream: new Map(nodes.map((x) => [x.key, x.deps])),
    downstream: new Map(keys.map((k, i) => [k, i + 1 < n ? [keys[i + 1]!] : []])),
  };
}

const graph = chainGraph(200, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa_");

function selectionError(text: string, g: GraphView = graph): SelectionError {
  try {
    resolveSelection(text, g);
  } catch (e) {
    if (e instanceof SelectionError) return e;
    throw new Error(`${text.slice(0, 40)}… threw ${String(e)}`);
  }
  throw new Error(`${text.slice(0, 40)}… did not fail`);
}

describe("selection wildcards", () => {
  test("resolveSelection() matches key: with 50 stars in milliseconds", () => {
    const t0 = performance.now();
    const e = selectionError(`key:${"*".repeat(50)}x`);
    expect(e.code).toBe("SELECTION_UNKNOWN");
    expect(e.message).toContain("No asset matches");
    expect(performance.now() - t0).toBeLessThan(200);
  });

  test("resolveSelection() matches many-star patterns that do match, in milliseconds", () => {
    const t0 = performance.now();
    const keys = resolveSelection(`key:${"a*".repeat(40)}_1*9`, graph);
    expect([...keys].sort()).toEqual(["aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa_19", ...Array.from({ length: 10 }, (_, i) => `aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa_1${i}9`)].sort());
    expect(performance.now() - t0).toBeLessThan(200);
  });

  test("resolveSelection() wildcards keep their meaning: anchored, * matches any run (also empty)", () => {
    const g = chainGraph(3, "raw_x.y");
    const sel = (t: string) => [...resolveSelection(t, g)];
    expect(sel("key:raw_*")).toEqual(["raw_x.y0", "raw_x.y1", "raw_x.y2"]);
    expect(sel("key:*0")).toEqual(["raw_x.y0"]);
    expect(sel("key:raw_x.y*1")).toEqual(["raw_x.y1"]);
    expect(sel("key:r*w*.*2")).toEqual(["raw_x.y2"]);
    expect(sel("key:**raw_x.y0**")).toEqual(["raw_x.y0"]);
    expect(selectionError("key:raw_x?y0", g).code).toBe("SELECTION_UNKNOWN");
    expect(selectionError("key:*1*1", g).code).toBe("SELECTION_UNKNOWN");
  });
});

describe("selection depth", () => {
  const cases: [string, string][] = [
    ["parentheses", `${"(".repeat(10_000)}a0${")".repeat(10_000)}`],
    ["not", `${"not ".repeat(10_000)}a0`],
    ["roots()", `${"roots(".repeat(10_000)}a0${")".repeat(10_000)}`],
    ["unclosed parentheses", "(".repeat(10_000)],
  ];
  for (const [name, text] of cases) {
    test(`parseSelection() refuses ${name} nested 10,000 deep with a SelectionError naming the limit`, () => {
      const e = selectionError(text, chainGraph(3));
      expect(e.code).toBe("SELECTION_SYNTAX");
      expect(e.message).toContain(`${MAX_SELECTION_DEPTH} levels`);
      expect(e.message.length).toBeLessThan(400);
      expect(e.pointer.length).toBeLessThan(400);
    });
  }

  test("resolveSelection() accepts nesting up to MAX_SELECTION_DEPTH levels", () => {
    const g = chainGraph(3);
    const d = MAX_SELECTION_DEPTH;
    expect([...resolveSelection(`${"(".repeat(d)}a1${")".repeat(d)}`, g)]).toEqual(["a1"]);
    expect([...resolveSelection(`${"not ".repeat(d - 1)}a1`, g)]).toEqual(["a0", "a2"]);
  });

  test("resolveSelection() follows + through a 10,000-long chain", () => {
    const g = chainGraph(10_000);
    expect(resolveSelection("a0+", g).size).toBe(10_000);
    expect(resolveSelection("+a9999", g).size).toBe(10_000);
    expect(resolveSelection("roots(*)", g).size).toBe(1);
  });
});
