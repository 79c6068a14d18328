import { describe, expect, test } from "bun:test";
import { SelectionError } from "../../core/errors.ts";
import { resolveSelection, selectAssets } from "../../core/selection/index.ts";
import type { AssetNode, GraphView } from "../../core/types.ts";
import { assertClean, cliOutcome, pick, prng, tokenSoup } from "../support/fuzz.ts";

function node(key: string, group: string, deps: string[], extra: Partial<AssetNode> = {}): AssetNode {
  return { key, group, deps, description: null, owners: [], tags: {}, kinds: [], partitioned: false, location: null, ...extra };
}

const NODES = [
  node("raw_orders", "raw", [], { owners: ["team:data"], tags: { domain: "sales" }, kinds: ["duckdb"] }),
  node("orders", "staging", ["raw_orders"], { owners: ["team:data"], kinds: ["duckdb"] }),
  node("customers", "staging", [], { tags: { domain: "crm" } }),
  node("analytics/daily_revenue", "analytics", ["orders", "customers"], { kinds: ["parquet"] }),
  node("not", "misc", ["analytics/daily_revenue"]),
  node("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "misc", ["not"]),
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
  "raw", "team", "data", "domain", "sales", "duckdb", "aaaaaaaaaaaa",
  "+", "+", "*", "*", "**", "*****", "1", "2", "10", "99999999999999999999", "(", "(", ")", ")", ",", ":", ":", "=", '"', "'", " ", " ", "  ", "\t",
  "@", "#", "!", "\\", "-", "/", ".", "_", "é", "\u0000", "💥", "[", "{", ";", "key:", "tag:", "not ", "roots(", "(((",
];

/** A random string, sometimes made adversarial: long star runs, deep nesting, very long words. */
function randomSelection(rand: () => number): string {
  const s = tokenSoup(rand, TOKENS, 12);
  const r = rand();
  if (r < 0.05) return `key:${"*".repeat(1 + Math.floor(rand() * 60))}${pick(rand, ["x", "a", "", "aa*b"])}`;
  if (r < 0.08) {
    const d = Math.floor(rand() * 300);
    return `${pick(rand, ["(", "not ", "roots(", "sinks(", "+(", "not("])}`.repeat(d) + s + ")".repeat(Math.floor(rand() * (d + 2)));
  }
  if (r < 0.1) return `${s}${"a".repeat(Math.floor(rand() * 5000))}`;
  return s;
}

/** A selection drawn from the grammar over names that exist: it must always resolve. */
function validSelection(rand: () => number, depth = 0): string {
  const r = rand();
  if (depth < 3 && r < 0.15) return `${validSelection(rand, depth + 1)} ${pick(rand, ["and", "or", "AND", ",", "OR"])} ${validSelection(rand, depth + 1)}`;
  if (depth < 3 && r < 0.25) return `not ${validSelection(rand, depth + 1)}`;
  if (depth < 3 && r < 0.35) return `${pick(rand, ["roots", "sinks", "", ""])}(${validSelection(rand, depth + 1)})${pick(rand, ["", "+", "*", "+2"])}`;
  const atom = pick(rand, ["orders", "raw_*", "analytics/daily_revenue", "key:not", "group:raw", "tag:domain=sales", "tag:domain",
    "owner:team:data", 'owner:"team:data"', "kind:duckdb", "*", "key:*s", "'customers'", "key:a*a*a*a*a*a*a*a*a*a*a*a*a"]);
  return `${pick(rand, ["", "", "+", "1+", "*"])}${atom}${pick(rand, ["", "", "+", "+1", "+0"])}`;
}

/** Resolve, accepting only a subset of the graph or a well-formed SelectionError. */
function check(selection: string): Set<string> | SelectionError {
  try {
    const keys = resolveSelection(selection, graph);
    for (const k of keys) expect(ALL.has(k)).toBe(true);
    return keys;
  } catch (e) {
    if (!(e instanceof SelectionError)) throw new Error(`${JSON.stringify(selection.slice(0, 200))} threw ${String(e)}`);
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
  test("resolveSelection() returns a subset or throws SelectionError for 10,000 random strings", () => {
    const rand = prng(20240611);
    let resolved = 0;
    for (let i = 0; i < 10_000; i++) {
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
    expect(resolved).toBeGreaterThan(100);
  });

  test("selectAssets() maps 10,000 random selections to exit 0 or 2 through the CLI's reportError, never a stack trace", () => {
    const rand = prng(16);
    const codes = new Set<number>();
    for (let i = 0; i < 10_000; i++) {
      const s = i % 4 === 0 ? validSelection(rand) : randomSelection(rand);
      const o = cliOutcome(() => selectAssets([s], graph));
      assertClean(s, o);
      codes.add(o.code);
    }
    expect([...codes].sort()).toEqual([0, 2]);
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
