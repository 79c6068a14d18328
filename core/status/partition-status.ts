/**
 * Status of a partitioned asset: counts and compact ranges of materialized, failed, missing and
 * stale partitions. A materialized partition is stale when its code changed, when an unpartitioned
 * upstream is stale or failed, or when the upstream partitions its mapping reads now hold other
 * data than it read (or are stale themselves) — so re-materializing one upstream partition makes
 * only the mapped downstream partitions stale.
 */
import { formatRanges, IndexSet, mapToUpstream } from "../partitions/index.ts";
import type { MaterializationRecord } from "../types.ts";
import type { AssetStatus, PartitionStatusInfo, StatusSnapshot } from "./types.ts";
import { partitionsReadVersion, wholeAssetVersion } from "./versions.ts";

/** Above this many materialized partitions, upstream changes are not checked per partition (status stays within budget). */
export const UPSTREAM_CHECK_LIMIT = 20_000;

/** What the engine already decided about the upstreams of the asset being computed. */
export interface DecidedUpstream {
  /** Status of an unpartitioned upstream. */
  plain(key: string): AssetStatus | undefined;
  /** Partition status of a partitioned upstream. */
  partitioned(key: string): PartitionStatusInfo | undefined;
}

const NO_RECORDS: ReadonlyMap<string, MaterializationRecord> = new Map();

/** Status of partitioned `key` (in `s.parts`), its upstreams decided. */
export function partitionStatus(key: string, s: StatusSnapshot, decided: DecidedUpstream): PartitionStatusInfo {
  const p = s.parts.get(key)!;
  const all = IndexSet.range(0, p.space.size);
  const materialized = p.materialized.intersect(all);
  const failed = p.failed.intersect(all);
  let stale = p.codeChanged.intersect(materialized);
  const causes: string[] = [];
  if (!stale.isEmpty) causes.push(`code changed in ${stale.size} partition(s)`);
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
    if (materialized.size > UPSTREAM_CHECK_LIMIT) causes.push(`upstream changes not checked per partition (over ${UPSTREAM_CHECK_LIMIT.toLocaleString("en-US")} partitions)`);
    else {
      for (const u of [...plainUps, ...partitionedUps]) {
        const { changed, upstreamStale } = changedPartitions(key, u, s, decided);
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
  }
  const missing = all.difference(materialized).difference(failed);
  const status: AssetStatus = !failed.isEmpty ? "failed" : !stale.isEmpty ? "stale" : !missing.isEmpty ? "missing" : "fresh";
  if (!failed.isEmpty) causes.unshift(`${formatRanges(failed, p.space, { maxRanges: 3 })} failed`);
  if (!missing.isEmpty) causes.push(`${missing.size.toLocaleString("en-US")} of ${p.space.size.toLocaleString("en-US")} partition(s) missing`);
  return { key, space: p.space, total: p.space.size, materialized, failed, missing, stale, status, causes, last: p.last };
}

/**
 * The materialized partitions of `key` that read other data of upstream `u` than they recorded
 * (`changed`), and, among the others, those that read a stale partition of `u` (`upstreamStale`).
 */
function changedPartitions(key: string, u: string, s: StatusSnapshot, decided: DecidedUpstream): { changed: IndexSet; upstreamStale: IndexSet } {
  const p = s.parts.get(key)!;
  const uParts = s.parts.get(u);
  const uStale = uParts ? (decided.partitioned(u)?.stale ?? IndexSet.EMPTY) : IndexSet.EMPTY;
  const uRecords = s.records.get(u) ?? NO_RECORDS;
  const mapping = uParts ? s.graph.mapping(key, u) : null;
  const whole = uParts && mapping!.kind === "all" ? wholeAssetVersion(uParts.fingerprint, s.hash) : undefined;
  const changed: number[] = [];
  const upstreamStale: number[] = [];
  for (const [pk, m] of s.records.get(key) ?? NO_RECORDS) {
    const i = p.space.indexOf(pk);
    if (i < 0) continue;
    let current: string | undefined;
    let needed = IndexSet.EMPTY;
    if (!uParts) current = s.latest.get(u)?.dataVersion;
    else if (mapping!.kind === "all") {
      current = whole;
      needed = uParts.materialized;
    } else {
      needed = mapToUpstream(mapping!, p.space, uParts.space, i).intersect(uParts.materialized);
      const recs = [...needed].map((j) => uRecords.get(uParts.space.keyAt(j))).filter((r): r is MaterializationRecord => r !== undefined);
      current = partitionsReadVersion(recs, s.hash);
    }
    if (current !== undefined && m.inputVersions[u] !== current) changed.push(i);
    else if (!uStale.isEmpty && !needed.intersect(uStale).isEmpty) upstreamStale.push(i);
  }
  return { changed: IndexSet.fromIndices(changed), upstreamStale: IndexSet.fromIndices(upstreamStale) };
}
