/**
 * Which partition records a status snapshot must hold, decided from the partition sets alone, so
 * io reads them all at once before the engine runs (never one query per asset in the middle).
 */
import { IndexSet, mapToUpstream } from "../partitions/index.ts";
import { UPSTREAM_CHECK_LIMIT } from "./partition-status.ts";
import type { StatusSnapshot } from "./types.ts";

export interface PartitionReads {
  /** Assets whose every latest partition record is needed (one batched read). */
  whole: string[];
  /** Assets of which only these partition keys are needed. */
  some: Map<string, string[]>;
}

/**
 * The records the engine reads: with `perPartition`, those of each partitioned asset it checks
 * partition by partition (some materialized, at most UPSTREAM_CHECK_LIMIT, with upstreams) and the
 * upstream partitions their mappings read; always, the last partition of a partitioned asset an
 * unpartitioned one reads through `lastPartition()`. An upstream with few partitions is read
 * whole; one with many, by key.
 */
export function partitionReads(s: Pick<StatusSnapshot, "graph" | "parts" | "perPartition">): PartitionReads {
  const whole = new Set<string>();
  const needed = new Map<string, IndexSet>();
  const need = (key: string, set: IndexSet) => needed.set(key, (needed.get(key) ?? IndexSet.EMPTY).union(set));
  for (const key of s.graph.order) {
    const p = s.parts.get(key);
    const ups = s.graph.upstream.get(key) ?? [];
    if (!p) {
      for (const u of ups) {
        const up = s.parts.get(u);
        if (up && up.space.size > 0 && s.graph.mapping(key, u).kind === "last") need(u, IndexSet.of(up.space.size - 1));
      }
      continue;
    }
    if (!s.perPartition || p.materialized.isEmpty || p.materialized.size > UPSTREAM_CHECK_LIMIT || ups.length === 0) continue;
    whole.add(key);
    for (const u of ups) {
      const up = s.parts.get(u);
      const mapping = up ? s.graph.mapping(key, u) : null;
      if (!up || mapping!.kind === "all") continue;
      need(u, mapToUpstream(mapping!, p.space, up.space, p.materialized).intersect(up.materialized));
    }
  }
  const some = new Map<string, string[]>();
  for (const [key, set] of needed) {
    if (whole.has(key) || set.isEmpty) continue;
    const p = s.parts.get(key)!;
    if (p.materialized.size <= UPSTREAM_CHECK_LIMIT) whole.add(key);
    else some.set(key, [...set].map((i) => p.space.keyAt(i)));
  }
  return { whole: [...whole], some };
}
