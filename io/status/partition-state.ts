/**
 * Partition facts for the assets of a graph: their spaces (definitions evaluated now, with
 * dynamic keys from state) and what state knows per partition, as IndexSets built from the
 * ordinal ranges state aggregates in SQL — never one object per partition.
 */
import type { ProjectGraph } from "../../core/graph.ts";
import { createPartitionSpace, IndexSet, ordinalBase, type PartitionSpace, type PartitionsDef } from "../../core/partitions/index.ts";
import type { AssetPartitions } from "../../core/status/index.ts";
import type { OrdinalRange, PartitionSummary } from "../../core/types.ts";
import type { MaterializationStore } from "../../core/state-store.ts";

/** Names of dynamic partition sets a definition uses. */
function dynamicNames(def: PartitionsDef, out = new Set<string>()): Set<string> {
  if (def.kind === "dynamic") out.add(def.name);
  if (def.kind === "multi") for (const d of Object.values(def.dimensions)) dynamicNames(d, out);
  return out;
}

/** Build a partition space for every partitioned asset (dynamic keys read from state once per name). */
export async function loadSpaces(graph: ProjectGraph, store: MaterializationStore, now: number): Promise<Map<string, PartitionSpace>> {
  const names = new Set<string>();
  for (const a of graph.assets.values()) if (a.partitionsDef) dynamicNames(a.partitionsDef, names);
  const dynamic = new Map<string, readonly string[]>(await Promise.all([...names].map(async (n) => [n, await store.listDynamicPartitions(n)] as const)));
  const spaces = new Map<string, PartitionSpace>();
  for (const a of graph.assets.values()) {
    if (a.partitionsDef) spaces.set(a.key, createPartitionSpace(a.partitionsDef, { now, dynamicKeys: (n) => dynamic.get(n) ?? [] }));
  }
  return spaces;
}

/** Turn a SQL summary into IndexSets of `space`. */
export function summaryToSets(space: PartitionSpace, s: PartitionSummary): Omit<AssetPartitions, "space" | "fingerprint"> & { fingerprint: string } {
  const base = ordinalBase(space);
  const toSet = (ranges: OrdinalRange[], keys: string[]): IndexSet => {
    const fromRanges = base === null ? IndexSet.EMPTY : IndexSet.fromRanges(ranges.map(([a, z]) => [a - base, z - base + 1] as [number, number])).clip(0, space.size);
    const indices = keys.map((k) => space.indexOf(k)).filter((i) => i >= 0);
    return indices.length ? fromRanges.union(IndexSet.fromIndices(indices)) : fromRanges;
  };
  return {
    materialized: toSet(s.materialized, s.materializedKeys),
    failed: toSet(s.failed, s.failedKeys),
    codeChanged: toSet(s.codeChanged, s.codeChangedKeys),
    ...(s.configChanged ? { configChanged: toSet(s.configChanged, s.configChangedKeys ?? []) } : {}),
    last: s.last,
    fingerprint: s.fingerprint,
  };
}

/**
 * Spaces plus state per partitioned asset among `keys` (all when omitted). `fingerprint` says which
 * assets need their content fingerprint (default: all); the others get `fingerprint: null`.
 */
export async function readPartitionState(
  graph: ProjectGraph,
  store: MaterializationStore,
  now: number,
  keys?: Iterable<string>,
  fingerprint: (key: string) => boolean = () => true,
  /** The config hash a plain run of each asset would record (io/status/snapshot.ts `plainConfigHashes`): partitions that recorded another are config-changed. */
  configHashes?: ReadonlyMap<string, string>,
): Promise<Map<string, AssetPartitions>> {
  const spaces = await loadSpaces(graph, store, now);
  const wanted = [...(keys ?? spaces.keys())].filter((k) => spaces.has(k));
  const summaries = await Promise.all(
    wanted.map((k) => store.partitionSummary(k, graph.assets.get(k)!.codeVersion, { fingerprint: fingerprint(k), configHash: configHashes?.get(k) ?? null })),
  );
  return new Map(
    wanted.map((k, i) => {
      const sets = summaryToSets(spaces.get(k)!, summaries[i]!);
      return [k, { space: spaces.get(k)!, ...sets, fingerprint: fingerprint(k) ? sets.fingerprint : null }];
    }),
  );
}

/** The absolute ordinal of partition `key` in `space`, or null (not time-based / not a member). */
export function ordinalOf(space: PartitionSpace, key: string): number | null {
  const base = ordinalBase(space);
  if (base === null) return null;
  const i = space.indexOf(key);
  return i < 0 ? null : base + i;
}
