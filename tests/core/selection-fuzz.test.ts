import { describe, expect, test } from "bun:test";
import { SelectionError } from "../../core/errors.ts";
import { resolveSelection, selectAssets } from "../../core/selection/index.ts";
import type { AssetNode, GraphView } from "../../core/types.ts";

/** mulberry32: a tiny seeded PRNG, so failures reproduce. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function node(key: string, group: string, deps: string[], extra: Partial<AssetNode> = {}): AssetNode {
  return { key, group, deps, description: null, owners: [], tags: {}, kinds: [], partitioned: false, location: null, ...extra };
}

const NODES = [
  node("raw_orders", "raw", [], { owners: ["team:data"], tags: { domain: "sales" }, kinds: ["duckdb"] }),
  node("orders", "staging", ["raw_orders"], { owners: ["team:data"], kinds: ["duckdb"] }),
  node("customers", "staging", [], { tags: { domain: "crm" } }),
  node("analytics/daily_revenue", "analytics", ["orders", "customers"], { kinds: ["parquet"] }),
  node("not", "misc", ["analytics/daily_revenue"]),
];
const graph: GraphView = {
  assets: new Map(NODES.map((n) => [n.key, n])),
  upstream: new Map(NODES.map((n) => [n.key, n.deps])),
  downstream: new Map(NODES.map((n) => [n.key, NODES.filter((m) => m.deps.includes(n.key)).map((m) => m.key)])),
};
const ALL = new Set(graph.assets.keys());

const TOKENS = [
  "orders", "raw_orders", "raw_*", "analytics/daily_revenue", "analytics/*", "customers", "ordres", "x", "2023",
  "key", "tag", "group", "owner", "kind", "grp", "roots", "sinks", "not", "and", "or", "AND", "Not",
  "raw", "team", "data", "domain", "sales", "duckdb",
  "+", "+", "*", "*", "1", "2", "10", "(", "(", ")", ")", ",", ":", ":", "=", '"', "'", " ", " ", "  ", "\t",
  "@", "#", "!", "\\", "-", "/", ".", "_", "é", "\u0000", "💥", "[", "{", ";",
];

function randomSelection(rand: () => number): string {
  const n = Math.floor(rand() * 12);
  let s = "";
  for (let i = 0; i < n; i++) s += TOKENS[Math.floor(rand() * TOKENS.length)]!;
  return s;
}

/** A selection drawn from the grammar over names that exist: it must always resolve. */
function validSelection(rand: () => number, depth = 0): string {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const r = rand();
  if (depth < 3 && r < 0.15) return `${validSelection(rand, depth + 1)} ${pick(["and", "or", "AND", ",", "OR"])} ${validSelection(rand, depth + 1)}`;
  if (depth < 3 && r < 0.25) return `not ${validSelection(rand, depth + 1)}`;
  if (depth < 3 && r < 0.35) return `${pick(["roots", "sinks", "", ""])}(${validSelection(rand, depth + 1)})${pick(["", "+", "*", "+2"])}`;
  const atom = pick(["orders", "raw_*", "analytics/daily_revenue", "key:not", "group:raw", "tag:domain=sales", "tag:domain",
    "owner:team:data", 'owner:"team:data"', "kind:duckdb", "*", "key:*s", "'customers'"]);
  return `${pick(["", "", "+", "1+", "*"])}${atom}${pick(["", "", "+", "+1", "+0"])}`;
}

/** Resolve, accepting only a subset of the graph or a well-formed SelectionError. */
function check(selection: string): Set<string> | SelectionError {
  try {
    const keys = resolveSelection(selection, graph);
    for (const k of keys) expect(ALL.has(k)).toBe(true);
    return keys;
  } catch (e) {
    if (!(e instanceof SelectionError)) throw new Error(`${JSON.stringify(selection)} threw ${String(e)}`);
    expect(e.position).toBeGreaterThanOrEqual(0);
    expect(e.position).toBeLessThanOrEqual(selection.length);
    expect(e.length).toBeGreaterThanOrEqual(1);
    expect(e.selection).toBe(selection);
    expect(e.message).not.toMatch(/\.$/);
    expect(["SELECTION_SYNTAX", "SELECTION_UNKNOWN"]).toContain(e.code);
    return e;
  }
}

describe("resolveSelection() fuzz", () => {
  test("resolveSelection() returns a subset or throws SelectionError for 5,000 random strings", () => {
    const rand = prng(20240611);
    let resolved = 0;
    for (let i = 0; i < 5000; i++) {
      const s = randomSelection(rand);
      const result = check(s);
      if (!(result instanceof Set)) continue;
      resolved++;
      // wrapping a selection that resolves keeps its meaning; "not" complements it
      expect([...check(`(${s})`) as Set<string>]).toEqual([...result]);
      const complement = check(`not (${s})`) as Set<string>;
      expect([...complement].filter((k) => result.has(k))).toEqual([]);
      expect(complement.size + result.size).toBe(ALL.size);
    }
    expect(resolved).toBeGreaterThan(50);
  });

  test("resolveSelection() resolves 1,000 grammar-generated selections over known names", () => {
    const rand = prng(7);
    for (let i = 0; i < 1000; i++) {
      const s = validSelection(rand);
      const result = check(s);
      if (!(result instanceof Set)) throw new Error(`${JSON.stringify(s)} failed: ${result.message}`);
    }
  });

  test("selectAssets() unions random selection lists or throws SelectionError", () => {
    const rand = prng(99);
    for (let i = 0; i < 500; i++) {
      const list = Array.from({ length: 1 + Math.floor(rand() * 3) }, () => validSelection(rand));
      const expected = new Set(list.flatMap((s) => [...resolveSelection(s, graph)]));
      expect([...selectAssets(list, graph)].sort()).toEqual([...expected].sort());
    }
  });
});
