/**
 * From the asset list to what the graph draws: which assets are shown (all, or a selection's),
 * which groups are open, the layout request (web/graph/layout.ts) and the edges between groups.
 * Pure: no DOM.
 */
import type { ApiAsset } from "../../core/ui-api.ts";
import type { LayoutRequest } from "./layout.ts";

/** A project with more assets than this opens with every group closed. */
export const OPEN_ALL_UP_TO = 300;
/** A group with more shown assets than this stays closed (drawing it would take too long): filter with a selection instead. */
export const MAX_OPEN_GROUP = 1500;
/** The name of the group of assets without one (as Dagster's). */
export const DEFAULT_GROUP = "default";

/** The group an asset is drawn in. */
export const groupOf = (a: ApiAsset): string => a.group ?? DEFAULT_GROUP;

/** An end of an edge between groups: an asset (its group is open) or a closed group. */
export type EdgeEnd = { kind: "node"; id: string } | { kind: "group"; id: string };

export interface GraphModel {
  /** Assets shown, by group (in the list's order). */
  groups: Map<string, ApiAsset[]>;
  /** Groups drawn open. */
  open: Set<string>;
  /** Groups too large to open. */
  tooLarge: Set<string>;
  request: LayoutRequest;
  /** Same string ⇔ same layout: statuses may change without a new layout. */
  signature: string;
  /** Edges whose ends are in different groups (or closed groups), deduplicated. */
  crossEdges: [EdgeEnd, EdgeEnd][];
  /** Edges inside open groups (drawn along their dagre route). */
  innerEdges: [string, string][];
  shown: number;
}

/** Which groups open by default: all in a small project (or a small selection), none in a large one. */
export function defaultOpenGroups(assets: readonly ApiAsset[], shown: ReadonlySet<string> | null): Set<string> {
  const list = shown ? assets.filter((a) => shown.has(a.key)) : assets;
  const groups = new Set(list.map(groupOf));
  return list.length <= OPEN_ALL_UP_TO || groups.size <= 1 ? groups : new Set();
}

/** Build the model of the assets `shown` (null: all) with the groups `open`. */
export function buildGraphModel(assets: readonly ApiAsset[], shown: ReadonlySet<string> | null, open: ReadonlySet<string>): GraphModel {
  const visible = shown ? assets.filter((a) => shown.has(a.key)) : [...assets];
  const byKey = new Map(visible.map((a) => [a.key, a]));
  const groups = new Map<string, ApiAsset[]>();
  for (const a of visible) {
    const g = groupOf(a);
    let list = groups.get(g);
    if (!list) groups.set(g, (list = []));
    list.push(a);
  }
  const tooLarge = new Set([...groups].filter(([, m]) => m.length > MAX_OPEN_GROUP).map(([g]) => g));
  const isOpen = (g: string) => open.has(g) && !tooLarge.has(g);
  const boxed = groups.size > 1 || tooLarge.size > 0;
  const inner = new Map<string, [string, string][]>();
  const innerEdges: [string, string][] = [];
  const cross = new Map<string, [EdgeEnd, EdgeEnd]>();
  const groupEdges = new Set<string>();
  for (const b of visible) {
    const gb = groupOf(b);
    for (const dep of b.deps) {
      const a = byKey.get(dep);
      if (!a) continue;
      const ga = groupOf(a);
      if (!boxed || (ga === gb && isOpen(ga))) {
        let list = inner.get(gb);
        if (!list) inner.set(gb, (list = []));
        list.push([a.key, b.key]);
        innerEdges.push([a.key, b.key]);
        continue;
      }
      if (ga === gb) continue; // inside a closed group
      groupEdges.add(`${ga}\u0000${gb}`);
      const from: EdgeEnd = isOpen(ga) ? { kind: "node", id: a.key } : { kind: "group", id: ga };
      const to: EdgeEnd = isOpen(gb) ? { kind: "node", id: b.key } : { kind: "group", id: gb };
      cross.set(`${from.kind}:${from.id}\u0000${to.kind}:${to.id}`, [from, to]);
    }
  }
  const request: LayoutRequest = {
    boxed,
    groups: [...groups].map(([id, members]) => ({ id, open: isOpen(id), members: isOpen(id) || !boxed ? members.map((m) => m.key) : [], edges: inner.get(id) ?? [] })),
    groupEdges: [...groupEdges].map((e) => e.split("\u0000") as [string, string]),
  };
  const signature = JSON.stringify(request);
  return { groups, open: new Set([...groups.keys()].filter(isOpen)), tooLarge, request, signature, crossEdges: [...cross.values()], innerEdges, shown: visible.length };
}
