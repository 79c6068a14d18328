/**
 * Splitting a dbt project's nodes into `dbt build` steps (pure). One step per contiguous run of dbt
 * nodes: when a dagx asset sits between two dbt nodes (model A → TS asset X reading A → a source
 * tied to X → model B), A and B go to different steps, so X runs between the two builds instead of
 * forming a cycle with a single step. Nodes whose partitions (or backfill policy) differ go to
 * different steps too, as a step has one partitions definition.
 *
 * Each node gets a stage: the most dagx assets (or partition changes) on any path from the start of
 * the graph down to it; nodes with the same stage and the same partitions form one step. Every edge
 * between two steps then goes from a lower stage to a higher one, so the steps never form a cycle.
 */
import { DefinitionError } from "../errors.ts";

/** A dbt node as the split sees it. */
export interface SplitNode {
  readonly key: string;
  /** Keys of its upstream dbt nodes and sources (tied sources carry the dagx asset's key). */
  readonly deps: readonly string[];
  /** What must be equal within one step: its partitions and backfill policy ("" for none). */
  readonly signature: string;
  /** Left out by select/exclude: not built by dagx, but the graph still runs through it. */
  readonly selected: boolean;
}

/** One step: its node keys (in the order given) and their shared signature. */
export interface DbtStepGroup {
  readonly keys: readonly string[];
  readonly signature: string;
  /** Keys outside the step that its nodes read: other steps' nodes and dagx assets. */
  readonly deps: readonly string[];
}

/**
 * Splits `nodes` into steps. `upstreamOf(key)` gives the upstream keys of a dagx asset that is not
 * a node of this project (undefined for a key dagx does not define). A cycle through dagx assets
 * that no split can break is a DefinitionError naming its path (`what` names the dbt project).
 */
export function splitDbtNodes(
  nodes: readonly SplitNode[],
  upstreamOf: (key: string) => readonly string[] | undefined,
  what: string,
): DbtStepGroup[] {
  const byKey = new Map(nodes.map((n) => [n.key, n]));
  // upstreams with the unselected nodes collapsed away (dagx builds them never, but order follows them)
  const collapsed = new Map<string, string[]>();
  const through = (keys: readonly string[], seen: Set<string> = new Set()): string[] => {
    const out: string[] = [];
    for (const k of keys) {
      const n = byKey.get(k);
      if (n && !n.selected) {
        if (seen.has(k)) continue;
        seen.add(k);
        out.push(...through(n.deps, seen));
      } else out.push(k);
    }
    return [...new Set(out)];
  };
  const ups = (key: string): readonly string[] => {
    let c = collapsed.get(key);
    if (c === undefined) {
      const n = byKey.get(key);
      c = through(n ? n.deps : (upstreamOf(key) ?? []));
      collapsed.set(key, c);
    }
    return c;
  };
  const isNode = (k: string) => byKey.get(k)?.selected === true;

  // stage of a node; for a dagx asset, the highest stage of a node upstream of it (-1 for none)
  const level = new Map<string, number>();
  const visiting: string[] = [];
  const onPath = new Set<string>();
  const visit = (key: string): number => {
    const done = level.get(key);
    if (done !== undefined) return done;
    if (onPath.has(key)) {
      const cycle = [...visiting.slice(visiting.indexOf(key)), key].reverse();
      throw new DefinitionError(
        "DEFINITION_CYCLE",
        `Cycle through the dbt project ${what}: ${cycle.join(" → ")} — a dbt node cannot be both upstream and downstream of the same dagx asset: remove that asset's dep on the dbt model, or the meta.dagx.key that ties the dbt source to it`,
      );
    }
    onPath.add(key);
    visiting.push(key);
    let l: number;
    if (isNode(key)) {
      const sig = byKey.get(key)!.signature;
      l = 0;
      for (const u of ups(key)) {
        const lu = visit(u);
        if (isNode(u)) l = Math.max(l, lu + (byKey.get(u)!.signature === sig ? 0 : 1));
        else if (lu >= 0) l = Math.max(l, lu + 1);
      }
    } else {
      l = -1;
      for (const u of ups(key)) l = Math.max(l, visit(u));
    }
    visiting.pop();
    onPath.delete(key);
    level.set(key, l);
    return l;
  };
  const groups = new Map<string, { stage: number; signature: string; keys: string[] }>();
  for (const n of nodes) {
    if (!n.selected) continue;
    const stage = visit(n.key);
    const id = `${stage}\0${n.signature}`;
    const g = groups.get(id) ?? { stage, signature: n.signature, keys: [] };
    g.keys.push(n.key);
    groups.set(id, g);
  }
  return [...groups.values()]
    .sort((a, b) => a.stage - b.stage || (a.signature < b.signature ? -1 : a.signature > b.signature ? 1 : 0))
    .map((g) => {
      const inside = new Set(g.keys);
      const deps = new Set<string>();
      for (const k of g.keys) for (const u of ups(k)) if (!inside.has(u)) deps.add(u);
      return { keys: g.keys, signature: g.signature, deps: [...deps] };
    });
}
