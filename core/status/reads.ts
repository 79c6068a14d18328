/**
 * Which partition records a status snapshot must hold, decided from the partition sets alone, so
 * io reads them all at once before the engine runs (never one query per asset in the middle).
 * Per-partition comparisons need no records: the store answers them (see staleness.ts).
 */
import { IndexSet } from "../partitions/index.ts";
import type { StatusGraph, StatusSnapshot } from "./types.ts";

export interface PartitionReads {
  /** Assets whose every latest partition record is needed (one batched read). */
  whole: string[];
  /** Assets of which only these partition keys are needed. */
  some: Map<string, string[]>;
}

/**
 * The records the engine reads: the last partition of a partitioned asset an unpartitioned one
 * reads through `lastPartition()` (by key).
 */
export function partitionReads(s: Pick<StatusSnapshot, "graph" | "parts" | "perPartition">): PartitionReads {
  const needed = new Map<string, IndexSet>();
  const need = (key: string, set: IndexSet) => needed.set(key, (needed.get(key) ?? IndexSet.EMPTY).union(set));
  for (const key of s.graph.order) {
    if (s.parts.has(key)) continue;
    for (const u of s.graph.upstream.get(key) ?? []) {
      const up = s.parts.get(u);
      if (up && up.space.size > 0 && s.graph.mapping(key, u).kind === "last") need(u, IndexSet.of(up.space.size - 1));
    }
  }
  const some = new Map<string, string[]>();
  for (const [key, set] of needed) some.set(key, [...set].map((i) => s.parts.get(key)!.space.keyAt(i)));
  return { whole: [], some };
}

/**
 * The partitioned assets some reader reads whole, so status needs their content fingerprint
 * (`wholeAssetVersion`): those with an unpartitioned downstream (but through `lastPartition()`) or a
 * partitioned one through `allPartitions()`. Every other fingerprint is left unread (hashing each
 * partition's key and version is the costliest part of a partition summary).
 */
export function wholeReads(graph: Pick<StatusGraph, "order" | "upstream" | "mapping">, partitioned: (key: string) => boolean): Set<string> {
  const out = new Set<string>();
  for (const key of graph.order) {
    for (const u of graph.upstream.get(key) ?? []) {
      if (!partitioned(u)) continue;
      const kind = graph.mapping(key, u).kind;
      if (partitioned(key) ? kind === "all" : kind !== "last") out.add(u);
    }
  }
  return out;
}
