/**
 * The graph around a selection (`dagx lineage`): which nodes and edges to show, and renderers for a
 * box-drawing tree, Graphviz dot, Mermaid and JSON. Pure: colour comes in through `TreePaint`.
 */
import type { AssetNode, GraphView } from "./types.ts";

/** How far `lineageView` walks from the selection. */
export interface LineageOptions {
  /** Layers of upstream to include. @default Infinity */
  upstream?: number;
  /** Layers of downstream to include. @default Infinity */
  downstream?: number;
}

export interface LineageEdge {
  from: string;
  to: string;
}

/** The part of the graph `dagx lineage` shows. */
export interface LineageView {
  /** Shown nodes, layer by layer from the roots (ties broken by key). */
  nodes: AssetNode[];
  /** Edges between shown nodes, upstream → downstream, sorted. */
  edges: LineageEdge[];
  selected: ReadonlySet<string>;
  /** key → shown direct upstream keys (sorted). */
  upstream: ReadonlyMap<string, readonly string[]>;
  /** key → shown direct downstream keys (sorted). */
  downstream: ReadonlyMap<string, readonly string[]>;
}

/** The selection plus its upstream and downstream, each up to the given depth. */
export function lineageView(graph: GraphView, selected: Iterable<string>, options: LineageOptions = {}): LineageView {
  const sel = new Set([...selected].filter((k) => graph.assets.has(k)));
  const keep = new Set(sel);
  const walk = (next: GraphView["upstream"], limit: number) => {
    const seen = new Set(sel);
    let frontier = [...sel];
    for (let depth = 0; depth < limit && frontier.length > 0; depth++) {
      const after: string[] = [];
      for (const k of frontier) {
        for (const n of next.get(k) ?? []) {
          if (seen.has(n) || !graph.assets.has(n)) continue;
          seen.add(n);
          keep.add(n);
          after.push(n);
        }
      }
      frontier = after;
    }
  };
  walk(graph.upstream, options.upstream ?? Infinity);
  walk(graph.downstream, options.downstream ?? Infinity);
  const restrict = (m: GraphView["upstream"]) => new Map([...keep].map((k) => [k, (m.get(k) ?? []).filter((n) => keep.has(n)).sort()] as const));
  const upstream = restrict(graph.upstream);
  const downstream = restrict(graph.downstream);
  const edges = [...keep]
    .sort()
    .flatMap((to) => upstream.get(to)!.map((from) => ({ from, to })))
    .sort((a, b) => cmp(a.from, b.from) || cmp(a.to, b.to));
  return { nodes: layered(keep, upstream, downstream).map((k) => graph.assets.get(k)!), edges, selected: sel, upstream, downstream };
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Kahn's algorithm one layer at a time, each layer sorted: a stable, readable order. */
function layered(keys: ReadonlySet<string>, up: ReadonlyMap<string, readonly string[]>, down: ReadonlyMap<string, readonly string[]>): string[] {
  const indegree = new Map([...keys].map((k) => [k, up.get(k)!.length]));
  let layer = [...keys].filter((k) => indegree.get(k) === 0).sort();
  const out: string[] = [];
  while (layer.length > 0) {
    out.push(...layer);
    const next: string[] = [];
    for (const k of layer) {
      for (const d of down.get(k)!) {
        const n = indegree.get(d)! - 1;
        indegree.set(d, n);
        if (n === 0) next.push(d);
      }
    }
    layer = next.sort();
  }
  return out;
}

/** `dagx lineage --format json`. */
export function lineageJson(view: LineageView): { nodes: { key: string; group: string; kinds: string[]; selected: boolean }[]; edges: LineageEdge[] } {
  return {
    nodes: view.nodes.map((n) => ({ key: n.key, group: n.group, kinds: n.kinds, selected: view.selected.has(n.key) })),
    edges: view.edges,
  };
}

/** How the tree marks selected nodes and notes (the CLI passes colours; plain by default). */
export interface TreePaint {
  selected(text: string): string;
  dim(text: string): string;
}

/** Levels the tree draws above and below a selected node; deeper ones get a note instead (a 10,000-long chain would be 200 MB of indentation). */
export const MAX_TREE_DEPTH = 50;

const PLAIN: TreePaint = { selected: (s) => s, dim: (s) => s };

type Dir = "up" | "down";
interface TreeLine {
  prefix: string;
  last: boolean;
  text: string;
}

/**
 * A box-drawing tree per selected node: its upstream drawn upward above it, its downstream below.
 * A selected node gets its own block only when that shows an edge not drawn yet; a node whose
 * subtree was already drawn in the same direction is marked "(see above)" / "(see below)".
 */
export function renderTree(view: LineageView, paint: TreePaint = PLAIN): string {
  // where each node's subtree was drawn, per direction: block number
  const drawn: Record<Dir, Map<string, number>> = { up: new Map(), down: new Map() };
  const label = (k: string) => (view.selected.has(k) ? paint.selected(`● ${k}`) : k);
  const blocks: string[] = [];
  // an edge shows when its upstream end was drawn downward or its downstream end upward
  const other: Record<Dir, Dir> = { up: "down", down: "up" };
  const hasNew = (k: string, dir: Dir, adj: LineageView["upstream"]) => !drawn[dir].has(k) && adj.get(k)!.some((n) => !drawn[other[dir]].has(n));

  // Depth-first and pre-order like a recursive walk, but on an explicit stack: a 10,000-long chain must not overflow.
  const grow = (root: string, dir: Dir, block: number, lines: TreeLine[]) => {
    const adj = dir === "up" ? view.upstream : view.downstream;
    // upward trees are built mirrored and flipped afterwards, so walk their children in reverse
    const kidsOf = (k: string) => (dir === "up" ? [...adj.get(k)!].reverse() : adj.get(k)!);
    const stack = [{ kids: kidsOf(root), i: 0, prefix: "", depth: 1 }];
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!;
      if (top.i >= top.kids.length) {
        stack.pop();
        continue;
      }
      const kid = top.kids[top.i++]!;
      const last = top.i === top.kids.length;
      const at = drawn[dir].get(kid);
      const repeat = at !== undefined && adj.get(kid)!.length > 0;
      const note = !repeat ? "" : paint.dim(at === block && dir === "up" ? " (see below)" : " (see above)");
      lines.push({ prefix: top.prefix, last, text: label(kid) + note });
      if (repeat) continue;
      const prefix = top.prefix + (last ? "    " : "│   ");
      if (top.depth >= MAX_TREE_DEPTH && adj.get(kid)!.length > 0) {
        const more = `… more ${dir === "up" ? "upstream" : "downstream"} not drawn: the tree stops at ${MAX_TREE_DEPTH} levels (--format json, dot or mermaid show all)`;
        lines.push({ prefix, last: true, text: paint.dim(more) });
        continue;
      }
      drawn[dir].set(kid, block);
      stack.push({ kids: kidsOf(kid), i: 0, prefix, depth: top.depth + 1 });
    }
  };

  for (const node of view.nodes) {
    const k = node.key;
    if (!view.selected.has(k)) continue;
    const shown = drawn.up.has(k) || drawn.down.has(k);
    if (shown && !hasNew(k, "up", view.upstream) && !hasNew(k, "down", view.downstream)) continue;
    const block = blocks.length;
    const up: TreeLine[] = [];
    const down: TreeLine[] = [];
    const upDone = drawn.up.has(k);
    const downDone = drawn.down.has(k);
    drawn.up.set(k, block);
    drawn.down.set(k, block);
    if (!upDone) grow(k, "up", block, up);
    if (!downDone) grow(k, "down", block, down);
    const lines = [
      ...up.reverse().map((l) => `${l.prefix}${l.last ? "┌── " : "├── "}${l.text}`),
      label(k) + (upDone || downDone ? paint.dim(` (${upDone ? "upstream" : "downstream"}: see above)`) : ""),
      ...down.map((l) => `${l.prefix}${l.last ? "└── " : "├── "}${l.text}`),
    ];
    blocks.push(lines.join("\n"));
  }
  return blocks.join("\n\n");
}

const quote = (s: string) => `"${s.replaceAll("\\", "\\\\").replaceAll('"', '\\"')}"`;

function byGroup(view: LineageView): Map<string, AssetNode[]> {
  const groups = new Map<string, AssetNode[]>();
  for (const n of view.nodes) {
    const list = groups.get(n.group);
    if (list) list.push(n);
    else groups.set(n.group, [n]);
  }
  return new Map([...groups].sort(([a], [b]) => cmp(a, b)));
}

/** Graphviz dot: one cluster per group, selected nodes filled. Render with `dot -Tsvg`. */
export function renderDot(view: LineageView): string {
  const lines = ["digraph dagx {", "  rankdir=LR;", '  node [shape=box, style=rounded, fontname="Helvetica"];'];
  for (const [group, nodes] of byGroup(view)) {
    lines.push(`  subgraph ${quote(`cluster_${group}`)} {`, `    label=${quote(group)};`, '    style="rounded,dashed";');
    for (const n of nodes) {
      const attrs = view.selected.has(n.key) ? ' [style="rounded,filled,bold", fillcolor="#ffe08a"]' : "";
      lines.push(`    ${quote(n.key)}${attrs};`);
    }
    lines.push("  }");
  }
  for (const e of view.edges) lines.push(`  ${quote(e.from)} -> ${quote(e.to)};`);
  lines.push("}");
  return lines.join("\n");
}

const MERMAID_RESERVED = new Set(["end", "graph", "subgraph", "flowchart", "click", "style", "class", "classdef", "linkstyle", "direction", "default", "call", "href"]);

/** Mermaid ids: letters, digits, `_`; unique; never a keyword. */
function mermaidIds(): (raw: string) => string {
  const used = new Set<string>();
  return (raw) => {
    let id = raw.replace(/[^A-Za-z0-9_]/g, "_");
    if (/^[0-9]/.test(id) || MERMAID_RESERVED.has(id.toLowerCase())) id = `n_${id}`;
    let unique = id;
    for (let i = 2; used.has(unique); i++) unique = `${id}_${i}`;
    used.add(unique);
    return unique;
  };
}

/** Mermaid flowchart (`graph LR`): one subgraph per group, labels keep the real key. */
export function renderMermaid(view: LineageView): string {
  const alloc = mermaidIds();
  const ids = new Map(view.nodes.map((n) => [n.key, alloc(n.key)]));
  const label = (s: string) => `["${s.replaceAll('"', "#quot;")}"]`;
  const lines = ["graph LR"];
  for (const [group, nodes] of byGroup(view)) {
    lines.push(`  subgraph ${alloc(`group_${group}`)}${label(group)}`);
    for (const n of nodes) lines.push(`    ${ids.get(n.key)}${label(n.key)}`);
    lines.push("  end");
  }
  for (const e of view.edges) lines.push(`  ${ids.get(e.from)} --> ${ids.get(e.to)}`);
  const sel = view.nodes.filter((n) => view.selected.has(n.key)).map((n) => ids.get(n.key));
  if (sel.length > 0) lines.push("  classDef selected fill:#ffe08a,stroke:#b7791f,stroke-width:2px", `  class ${sel.join(",")} selected`);
  return lines.join("\n");
}
