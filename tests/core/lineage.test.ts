import { describe, expect, test } from "bun:test";
import { lineageJson, lineageView, MAX_TREE_DEPTH, renderDot, renderMermaid, renderTree } from "../../core/lineage.ts";
import type { AssetNode, GraphView } from "../../core/types.ts";

type Spec = [key: string, group: string, deps: string[]];

// raw_orders, source_x → orders → analytics/daily_revenue → report ← top_customers ← orders
// raw_customers → customers → analytics/daily_revenue;  lonely stands alone
const SPECS: Spec[] = [
  ["raw_orders", "raw", []],
  ["raw_customers", "raw", []],
  ["source_x", "raw", []],
  ["orders", "staging", ["raw_orders", "source_x"]],
  ["customers", "staging", ["raw_customers"]],
  ["analytics/daily_revenue", "analytics", ["orders", "customers"]],
  ["top_customers", "analytics", ["orders"]],
  ["report", "analytics", ["analytics/daily_revenue", "top_customers"]],
  ["lonely", "misc", []],
];

function graphOf(specs: Spec[]): GraphView {
  const assets = new Map<string, AssetNode>();
  const upstream = new Map<string, string[]>();
  const downstream = new Map<string, string[]>(specs.map(([key]) => [key, []]));
  for (const [key, group, deps] of specs) {
    assets.set(key, { key, group, deps, description: null, owners: [], tags: {}, kinds: key.startsWith("raw") ? ["csv"] : [], partitioned: false, location: null });
    upstream.set(key, deps);
    for (const d of deps) downstream.get(d)!.push(key);
  }
  return { assets, upstream, downstream };
}

const graph = graphOf(SPECS);
const keys = (sel: string[], o = {}) => lineageView(graph, sel, o).nodes.map((n) => n.key);

describe("lineageView()", () => {
  test("lineageView() keeps the selection plus all upstream and downstream, layer by layer", () => {
    expect(keys(["orders"])).toEqual(["raw_orders", "source_x", "orders", "analytics/daily_revenue", "top_customers", "report"]);
  });

  test("lineageView() limits depth with upstream/downstream", () => {
    expect(keys(["orders"], { upstream: 0, downstream: 1 })).toEqual(["orders", "analytics/daily_revenue", "top_customers"]);
    expect(keys(["report"], { upstream: 1 })).toEqual(["analytics/daily_revenue", "top_customers", "report"]);
    expect(keys(["report"], { upstream: 2, downstream: 0 })).toEqual(["customers", "orders", "analytics/daily_revenue", "top_customers", "report"]);
  });

  test("lineageView() keeps only edges between shown nodes", () => {
    const v = lineageView(graph, ["analytics/daily_revenue"], { upstream: 1, downstream: 0 });
    expect(v.edges).toEqual([
      { from: "customers", to: "analytics/daily_revenue" },
      { from: "orders", to: "analytics/daily_revenue" },
    ]);
    expect(v.upstream.get("orders")).toEqual([]);
  });

  test("lineageView() ignores unknown keys", () => {
    expect(keys(["nope", "lonely"])).toEqual(["lonely"]);
  });
});

describe("renderTree()", () => {
  test("renderTree() draws upstream above and downstream below the selected node", () => {
    expect(renderTree(lineageView(graph, ["orders"]))).toBe(
      [
        "┌── raw_orders",
        "├── source_x",
        "● orders",
        "├── analytics/daily_revenue",
        "│   └── report",
        "└── top_customers",
        "    └── report",
      ].join("\n"),
    );
  });

  test("renderTree() nests upstream of upstream, flipped", () => {
    expect(renderTree(lineageView(graph, ["analytics/daily_revenue"], { downstream: 0 }))).toBe(
      [
        "    ┌── raw_customers", //
        "┌── customers",
        "│   ┌── raw_orders",
        "│   ├── source_x",
        "├── orders",
        "● analytics/daily_revenue",
      ].join("\n"),
    );
  });

  test("renderTree() marks repeated subtrees instead of drawing them again", () => {
    expect(renderTree(lineageView(graph, ["raw_orders", "raw_customers", "source_x"]))).toBe(
      [
        "● raw_customers",
        "└── customers",
        "    └── analytics/daily_revenue",
        "        └── report",
        "",
        "● raw_orders",
        "└── orders",
        "    ├── analytics/daily_revenue (see above)",
        "    └── top_customers",
        "        └── report",
        "",
        "● source_x",
        "└── orders (see above)",
      ].join("\n"),
    );
  });

  test("renderTree() gives a selected node its own block only for edges not drawn yet", () => {
    const tree = renderTree(lineageView(graph, ["orders", "analytics/daily_revenue", "top_customers", "report"]));
    expect(tree.split("\n\n")).toHaveLength(2);
    expect(tree.split("\n\n")[1]).toBe(
      ["    ┌── raw_customers", "┌── customers", "├── ● orders (see above)", "● analytics/daily_revenue (downstream: see above)"].join("\n"),
    );
  });

  test("renderTree() says (see below) when the drawn subtree is lower in the same upward tree", () => {
    const g = graphOf([
      ["a", "g", []],
      ["b", "g", ["a"]],
      ["c", "g", ["b"]],
      ["d", "g", ["b", "c"]],
    ]);
    expect(renderTree(lineageView(g, ["d"]))).toBe(["┌── b (see below)", "│       ┌── a", "│   ┌── b", "├── c", "● d"].join("\n"));
  });

  test("renderTree() shows an isolated selected node and applies paint", () => {
    const paint = { selected: (s: string) => `<${s}>`, dim: (s: string) => `[${s}]` };
    expect(renderTree(lineageView(graph, ["lonely", "source_x"]), paint)).toBe(
      ["<● lonely>", "", "<● source_x>", "└── orders", "    ├── analytics/daily_revenue", "    │   └── report", "    └── top_customers", "        └── report"].join("\n"),
    );
  });
});

describe("renderers", () => {
  const view = lineageView(graph, ["orders"], { upstream: 1, downstream: 1 });

  test("lineageJson() lists nodes with group, kinds, selected and edges", () => {
    expect(lineageJson(view)).toEqual({
      nodes: [
        { key: "raw_orders", group: "raw", kinds: ["csv"], selected: false },
        { key: "source_x", group: "raw", kinds: [], selected: false },
        { key: "orders", group: "staging", kinds: [], selected: true },
        { key: "analytics/daily_revenue", group: "analytics", kinds: [], selected: false },
        { key: "top_customers", group: "analytics", kinds: [], selected: false },
      ],
      edges: [
        { from: "orders", to: "analytics/daily_revenue" },
        { from: "orders", to: "top_customers" },
        { from: "raw_orders", to: "orders" },
        { from: "source_x", to: "orders" },
      ],
    });
  });

  test("renderDot() quotes ids, clusters groups and highlights the selection", () => {
    expect(renderDot(view)).toMatchInlineSnapshot(`
      "digraph dagx {
        rankdir=LR;
        node [shape=box, style=rounded, fontname="Helvetica"];
        subgraph "cluster_analytics" {
          label="analytics";
          style="rounded,dashed";
          "analytics/daily_revenue";
          "top_customers";
        }
        subgraph "cluster_raw" {
          label="raw";
          style="rounded,dashed";
          "raw_orders";
          "source_x";
        }
        subgraph "cluster_staging" {
          label="staging";
          style="rounded,dashed";
          "orders" [style="rounded,filled,bold", fillcolor="#ffe08a"];
        }
        "orders" -> "analytics/daily_revenue";
        "orders" -> "top_customers";
        "raw_orders" -> "orders";
        "source_x" -> "orders";
      }"
    `);
  });

  test("renderDot() escapes quotes and backslashes", () => {
    const g = graphOf([['we"ird\\', "g", []]]);
    expect(renderDot(lineageView(g, ['we"ird\\']))).toContain('"we\\"ird\\\\" [style=');
  });

  test("renderMermaid() sanitises ids and keeps the real key as label", () => {
    expect(renderMermaid(view)).toMatchInlineSnapshot(`
      "graph LR
        subgraph group_analytics["analytics"]
          analytics_daily_revenue["analytics/daily_revenue"]
          top_customers["top_customers"]
        end
        subgraph group_raw["raw"]
          raw_orders["raw_orders"]
          source_x["source_x"]
        end
        subgraph group_staging["staging"]
          orders["orders"]
        end
        orders --> analytics_daily_revenue
        orders --> top_customers
        raw_orders --> orders
        source_x --> orders
        classDef selected fill:#ffe08a,stroke:#b7791f,stroke-width:2px
        class orders selected"
    `);
  });

  test("renderMermaid() keeps ids unique and away from keywords", () => {
    const g = graphOf([
      ["a/b", "g", []],
      ["a_b", "g", ["a/b"]],
      ["end", "g", ["a_b"]],
      ["1st", "g", []],
    ]);
    const text = renderMermaid(lineageView(g, ["1st", "a/b"]));
    expect(text).toContain('    a_b["a/b"]');
    expect(text).toContain('    a_b_2["a_b"]');
    expect(text).toContain('    n_end["end"]');
    expect(text).toContain('    n_1st["1st"]');
    expect(text).toContain("  a_b_2 --> n_end");
    expect(text).toContain("  class n_1st,a_b selected");
  });
});

describe("lineage of a long chain", () => {
  const n = 10_000;
  const chain = graphOf(Array.from({ length: n }, (_, i): Spec => [`a${i}`, "g", i === 0 ? [] : [`a${i - 1}`]]));

  test("lineageView() walks a 10,000-long chain both ways", () => {
    expect(lineageView(chain, ["a5000"]).nodes).toHaveLength(n);
    expect(lineageView(chain, ["a0"], { downstream: 3 }).nodes.map((x) => x.key)).toEqual(["a0", "a1", "a2", "a3"]);
  });

  test(`renderTree() draws a 10,000-long chain without recursion, ${MAX_TREE_DEPTH} levels deep with a note where it stops`, () => {
    const text = renderTree(lineageView(chain, ["a0"]));
    const lines = text.split("\n");
    expect(lines[0]).toBe("● a0");
    expect(lines).toHaveLength(MAX_TREE_DEPTH + 2);
    expect(lines[MAX_TREE_DEPTH]!.trim()).toBe(`└── a${MAX_TREE_DEPTH}`);
    expect(lines[MAX_TREE_DEPTH + 1]!.trim()).toBe(`└── … more downstream not drawn: the tree stops at ${MAX_TREE_DEPTH} levels (--format json, dot or mermaid show all)`);
    const up = renderTree(lineageView(chain, ["a9999"])).split("\n");
    expect(up[0]!.trim()).toBe(`┌── … more upstream not drawn: the tree stops at ${MAX_TREE_DEPTH} levels (--format json, dot or mermaid show all)`);
    expect(up.at(-1)).toBe("● a9999");
  });

  test("renderTree() of a whole 10,000-long chain stays small", () => {
    const text = renderTree(lineageView(chain, ["*"].flatMap(() => [...chain.assets.keys()])));
    expect(text).toContain("● a9999");
    expect(text.length).toBeLessThan(10_000_000);
  });

  test("renderDot() and renderMermaid() handle 10,000 nodes in one group", () => {
    const v = lineageView(chain, ["a0"]);
    const t0 = performance.now();
    expect(renderDot(v).split("\n").filter((l) => l.includes("->"))).toHaveLength(n - 1);
    expect(renderMermaid(v).split("\n").filter((l) => l.includes("-->"))).toHaveLength(n - 1);
    expect(performance.now() - t0).toBeLessThan(2000);
  });
});
