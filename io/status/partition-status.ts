/**
 * Status of partitioned assets: counts and compact ranges of materialized, failed, missing and
 * stale partitions. Staleness per partition: a materialized partition is stale when its code
 * changed, or when the upstream partitions its mapping reads now hold other data than it read —
 * so re-materializing one upstream partition makes only the mapped downstream partitions stale.
 */
import { mappingOf, type ProjectGraph } from "../../core/graph.ts";
import { formatRanges, IndexSet, mapToUpstream, type PartitionSpace } from "../../core/partitions/index.ts";
import type { AssetStatus } from "../../core/staleness.ts";
import type { MaterializationRecord } from "../../core/types.ts";
import type { MaterializationStore } from "../../core/state-store.ts";
import { hashText } from "../storage/index.ts";
import type { AssetPartitions } from "./partition-state.ts";

/** Above this many materialized partitions, upstream staleness is not checked per partition. */
export const UPSTREAM_CHECK_LIMIT = 20_000;

export interface PartitionStatusInfo {
  key: string;
  space: PartitionSpace;
  total: number;
  materialized: IndexSet;
  failed: IndexSet;
  missing: IndexSet;
  stale: IndexSet;
  status: AssetStatus;
  causes: string[];
  last: MaterializationRecord | null;
}

/** What an all-partitions reader records as the version of partitioned `u` (see partition-inputs). */
export function wholeAssetVersion(u: Pick<AssetPartitions, "fingerprint">): string {
  return hashText(`all:${u.fingerprint}`);
}

export async function computePartitionStatuses(
  graph: ProjectGraph,
  store: MaterializationStore,
  parts: ReadonlyMap<string, AssetPartitions>,
  latestUnpartitioned: ReadonlyMap<string, MaterializationRecord>,
  keys: Iterable<string>,
  /** Status of unpartitioned upstreams: a stale or failed one makes every materialized partition stale. */
  plainStatus: (key: string) => AssetStatus | undefined = () => undefined,
): Promise<Map<string, PartitionStatusInfo>> {
  const out = new Map<string, PartitionStatusInfo>();
  const records = new Map<string, Map<string, MaterializationRecord>>();
  const recordsOf = async (key: string) => {
    let m = records.get(key);
    if (!m) {
      m = new Map((await store.latestMaterializations([key])).filter((r) => r.partitionKey !== "").map((r) => [r.partitionKey, r]));
      records.set(key, m);
    }
    return m;
  };
  // called upstream first (see the loop at the end): a partition reading a stale upstream partition is stale too
  const compute = async (key: string): Promise<void> => {
    const p = parts.get(key)!;
    const a = graph.assets.get(key)!;
    const all = IndexSet.range(0, p.space.size);
    const materialized = p.materialized.intersect(all);
    const failed = p.failed.intersect(all);
    let stale = p.codeChanged.intersect(materialized);
    const causes: string[] = [];
    if (!stale.isEmpty) causes.push(`code changed in ${stale.size} partition(s)`);
    const partitionedUps = a.deps.filter((u) => parts.has(u));
    const plainUps = a.deps.filter((u) => !parts.has(u));
    for (const u of plainUps) {
      const us = plainStatus(u);
      if ((us === "stale" || us === "failed") && !materialized.isEmpty) {
        causes.push(`upstream "${u}" is ${us === "stale" ? "stale" : "failed its last run"}`);
        stale = stale.union(materialized);
      }
    }
    if (!materialized.isEmpty && a.deps.length > 0) {
      if (materialized.size > UPSTREAM_CHECK_LIMIT) causes.push(`upstream changes not checked per partition (over ${UPSTREAM_CHECK_LIMIT.toLocaleString("en-US")} partitions)`);
      else {
        const mine = await recordsOf(key);
        for (const u of [...plainUps, ...partitionedUps]) {
          const changed: number[] = [];
          const upstreamStale: number[] = [];
          const up = graph.assets.get(u)!;
          const uParts = parts.get(u);
          const uStale = uParts ? (out.get(u)?.stale ?? IndexSet.EMPTY) : IndexSet.EMPTY;
          const uRecords = uParts ? await recordsOf(u) : null;
          const mapping = uParts ? mappingOf(a, up) : null;
          for (const [pk, m] of mine) {
            const i = p.space.indexOf(pk);
            if (i < 0) continue;
            let current: string | undefined;
            let needed = IndexSet.EMPTY;
            if (!uParts) current = latestUnpartitioned.get(u)?.dataVersion;
            else if (mapping!.kind === "all") {
              current = wholeAssetVersion(uParts);
              needed = uParts.materialized;
            } else {
              needed = mapToUpstream(mapping!, p.space, uParts.space, i).intersect(uParts.materialized);
              const recs = [...needed].map((j) => uRecords!.get(uParts.space.keyAt(j))).filter((r): r is MaterializationRecord => r !== undefined);
              current = recs.length === 1 ? recs[0]!.dataVersion : hashText(recs.map((r) => `${r.partitionKey}=${r.dataVersion}`).join("\n"));
            }
            if (current !== undefined && m.inputVersions[u] !== current) changed.push(i);
            else if (!uStale.isEmpty && !needed.intersect(uStale).isEmpty) upstreamStale.push(i);
          }
          if (changed.length) {
            const set = IndexSet.fromIndices(changed);
            causes.push(`upstream "${u}" has newer data for ${formatRanges(set, p.space, { maxRanges: 3 })}`);
            stale = stale.union(set);
          }
          if (upstreamStale.length) {
            const set = IndexSet.fromIndices(upstreamStale);
            causes.push(`upstream "${u}" is stale for ${formatRanges(set, p.space, { maxRanges: 3 })}`);
            stale = stale.union(set);
          }
        }
      }
    }
    const missing = all.difference(materialized).difference(failed);
    const status: AssetStatus = !failed.isEmpty ? "failed" : !stale.isEmpty ? "stale" : !missing.isEmpty ? "missing" : "fresh";
    if (!failed.isEmpty) causes.unshift(`${formatRanges(failed, p.space, { maxRanges: 3 })} failed`);
    if (!missing.isEmpty) causes.push(`${missing.size.toLocaleString("en-US")} of ${p.space.size.toLocaleString("en-US")} partition(s) missing`);
    const info: PartitionStatusInfo = { key, space: p.space, total: p.space.size, materialized, failed, missing, stale, status, causes, last: p.last };
    out.set(key, info);
  };
  // the keys and their partitioned upstream, in graph order: a loop, not recursion (a 30,000-long chain overflowed the stack)
  const needed = new Set<string>();
  const todo = [...keys].filter((k) => parts.has(k));
  while (todo.length > 0) {
    const k = todo.pop()!;
    if (needed.has(k)) continue;
    needed.add(k);
    for (const u of graph.assets.get(k)!.deps) if (parts.has(u) && !needed.has(u)) todo.push(u);
  }
  for (const key of graph.order) if (needed.has(key)) await compute(key);
  return out;
}
