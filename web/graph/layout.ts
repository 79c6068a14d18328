/**
 * Left-to-right layout of the asset graph with @dagrejs/dagre, in two levels so that it stays fast:
 * each open group is laid out on its own (its assets and the edges inside it), then the groups —
 * open ones as boxes of their laid-out size, closed ones as one small box — are laid out as a graph
 * of groups. (One dagre "compound" graph of 1,000 assets takes ~25 s; two levels take well under
 * one.) Edges between groups are drawn by the view from node to node; edges inside a group keep
 * dagre's route. Pure: runs in the layout worker (web/graph/layout-worker.ts) or, as a fallback,
 * on the page.
 */
import dagre, { type Graph } from "@dagrejs/dagre";

/** Node and group sizes, in CSS pixels. */
export const NODE_W = 200;
export const NODE_H = 46;
export const GROUP_CLOSED_W = 260;
export const GROUP_CLOSED_H = 70;
/** Space above a group's assets for its title bar. */
export const GROUP_HEADER = 30;
const GROUP_PAD = 14;

/** What to lay out: groups (open or closed), their members, edges inside each group, edges between groups. */
export interface LayoutRequest {
  /** Draw group boxes (false: one flat graph, the project has one group). */
  boxed: boolean;
  groups: { id: string; open: boolean; members: string[]; edges: [string, string][] }[];
  /** Edges between groups (deduplicated, by group id). */
  groupEdges: [string, string][];
}

export interface Point {
  x: number;
  y: number;
}

/** Positions are top-left corners in one coordinate space starting at (0, 0). */
export interface LayoutResult {
  width: number;
  height: number;
  groups: Record<string, { x: number; y: number; w: number; h: number; open: boolean }>;
  nodes: Record<string, Point>;
  /** Routes of the edges inside open groups, as `from→to` (absolute points). */
  routes: Record<string, Point[]>;
}

function newGraph(ranksep: number, nodesep: number, margin: number): Graph {
  const g = new dagre.graphlib.Graph({ multigraph: false, compound: false });
  g.setGraph({ rankdir: "LR", ranksep, nodesep, marginx: margin, marginy: margin });
  g.setDefaultEdgeLabel(() => ({}));
  return g;
}

/** Lay out the members of one group (a flat dagre graph); positions relative to the group's box. */
function layoutMembers(members: string[], edges: [string, string][], top: number): { w: number; h: number; nodes: Record<string, Point>; routes: Record<string, Point[]> } {
  const g = newGraph(56, 14, GROUP_PAD);
  for (const m of members) g.setNode(m, { width: NODE_W, height: NODE_H });
  for (const [a, b] of edges) if (a !== b) g.setEdge(a, b);
  dagre.layout(g);
  const nodes: Record<string, Point> = {};
  for (const m of members) {
    const n = g.node(m);
    nodes[m] = { x: n.x - NODE_W / 2, y: n.y - NODE_H / 2 + top };
  }
  const routes: Record<string, Point[]> = {};
  for (const e of g.edges()) {
    const pts = (g.edge(e) as { points?: Point[] }).points ?? [];
    routes[`${e.v}→${e.w}`] = pts.map((p) => ({ x: p.x, y: p.y + top }));
  }
  const label = g.graph() as { width?: number; height?: number };
  return { w: Math.max(label.width ?? 0, 160), h: (label.height ?? 0) + top, nodes, routes };
}

/** Compute the layout of a request (see the file note). */
export function computeLayout(req: LayoutRequest): LayoutResult {
  const result: LayoutResult = { width: 0, height: 0, groups: {}, nodes: {}, routes: {} };
  if (!req.boxed) {
    const all = req.groups.flatMap((g) => g.members);
    const edges = req.groups.flatMap((g) => g.edges);
    const inner = layoutMembers(all, edges, 0);
    return { width: inner.w, height: inner.h, groups: {}, nodes: inner.nodes, routes: inner.routes };
  }
  const inner = new Map<string, ReturnType<typeof layoutMembers>>();
  const outer = newGraph(70, 28, 10);
  for (const grp of req.groups) {
    if (grp.open && grp.members.length) {
      const l = layoutMembers(grp.members, grp.edges, GROUP_HEADER);
      inner.set(grp.id, l);
      outer.setNode(grp.id, { width: l.w, height: l.h });
    } else {
      outer.setNode(grp.id, { width: GROUP_CLOSED_W, height: GROUP_CLOSED_H });
    }
  }
  for (const [a, b] of req.groupEdges) if (a !== b && outer.hasNode(a) && outer.hasNode(b)) outer.setEdge(a, b);
  dagre.layout(outer);
  for (const grp of req.groups) {
    const n = outer.node(grp.id);
    const x = n.x - n.width / 2;
    const y = n.y - n.height / 2;
    const l = inner.get(grp.id);
    result.groups[grp.id] = { x, y, w: n.width, h: n.height, open: !!l };
    if (!l) continue;
    for (const [k, p] of Object.entries(l.nodes)) result.nodes[k] = { x: p.x + x, y: p.y + y };
    for (const [k, pts] of Object.entries(l.routes)) result.routes[k] = pts.map((p) => ({ x: p.x + x, y: p.y + y }));
  }
  const label = outer.graph() as { width?: number; height?: number };
  result.width = label.width ?? 0;
  result.height = label.height ?? 0;
  return result;
}
