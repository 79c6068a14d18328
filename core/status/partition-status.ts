/**
 * Status of a partitioned asset: counts and compact ranges of materialized, failed, missing and
 * stale partitions. A materialized partition is stale when its code or config changed, when an unpartitioned
 * upstream is stale or failed, or when the upstream partitions its mapping reads now hold other
 * data than it read (or are stale themselves) — so re-materializing one upstream partition makes
 * only the mapped downstream partitions stale.
 */
import { formatRanges, IndexSet } from "../partitions/index.ts";
import { readersOf } from "./staleness.ts";
import type { AssetStatus, PartitionStatusInfo, StatusSnapshot } from "./types.ts";

/** What the engine already decided about the upstreams of the asset being computed. */
export interface DecidedUpstream {
  /** Status of an unpartitioned upstream. */
  plain(key: string): AssetStatus | undefined;
  /** Partition status of a partitioned upstream. */
  partitioned(key: string): PartitionStatusInfo | undefined;
}

/** Status of partitioned `key` (in `s.parts`), its upstreams decided. */
export function partitionStatus(key: string, s: StatusSnapshot, decided: DecidedUpstream): PartitionStatusInfo {
  const p = s.parts.get(key)!;
  const all = IndexSet.range(0, p.space.size);
  const materialized = p.materialized.intersect(all);
  const failed = p.failed.intersect(all);
  let stale = p.codeChanged.intersect(materialized);
  const causes: string[] = [];
  if (!stale.isEmpty) causes.push(`code changed in ${stale.size} partition(s)`);
  const configChanged = (p.configChanged ?? IndexSet.EMPTY).intersect(materialized);
  if (!configChanged.isEmpty) {
    causes.push(`config changed in ${configChanged.size} partition(s)`);
    stale = stale.union(configChanged);
  }
  const deps = s.graph.upstream.get(key) ?? [];
  const plainUps = deps.filter((u) => !s.parts.has(u));
  const partitionedUps = deps.filter((u) => s.parts.has(u));
  for (const u of plainUps) {
    const us = decided.plain(u);
    if ((us === "stale" || us === "failed") && !materialized.isEmpty) {
      causes.push(`upstream "${u}" is ${us === "stale" ? "stale" : "failed its last run"}`);
      stale = stale.union(materialized);
    }
  }
  if (!materialized.isEmpty && deps.length > 0) {
    for (const u of [...plainUps, ...partitionedUps]) {
      const changed = (s.changed.get(key)?.get(u) ?? IndexSet.EMPTY).intersect(materialized);
      const upstreamStale = readingStale(key, u, s, decided, materialized.difference(changed));
      if (!changed.isEmpty) {
        causes.push(`upstream "${u}" has newer data for ${formatRanges(changed, p.space, { maxRanges: 3 })}`);
        stale = stale.union(changed);
      }
      if (!upstreamStale.isEmpty) {
        causes.push(`upstream "${u}" is stale for ${formatRanges(upstreamStale, p.space, { maxRanges: 3 })}`);
        stale = stale.union(upstreamStale);
      }
    }
  }
  const missing = all.difference(materialized).difference(failed);
  const status: AssetStatus = !failed.isEmpty ? "failed" : !stale.isEmpty ? "stale" : !missing.isEmpty ? "missing" : "fresh";
  if (!failed.isEmpty) causes.unshift(`${formatRanges(failed, p.space, { maxRanges: 3 })} failed`);
  if (!missing.isEmpty) causes.push(`${missing.size.toLocaleString("en-US")} of ${p.space.size.toLocaleString("en-US")} partition(s) missing`);
  return { key, space: p.space, total: p.space.size, materialized, failed, missing, stale, status, causes, last: p.last };
}

/** Among `candidates` (materialized, not changed), the partitions of `key` that read a stale partition of upstream `u`. */
function readingStale(key: string, u: string, s: StatusSnapshot, decided: DecidedUpstream, candidates: IndexSet): IndexSet {
  const p = s.parts.get(key)!;
  const uParts = s.parts.get(u);
  if (!uParts) return IndexSet.EMPTY;
  const uStale = (decided.partitioned(u)?.stale ?? IndexSet.EMPTY).intersect(uParts.materialized);
  return readersOf(s.graph.mapping(key, u), p.space, uParts.space, uStale, candidates);
}
