/** Record helpers shared by the DuckDB store and its in-memory twin (same semantics in both). */
import type { BackfillCounts, BackfillPartitionStatus, CheckResult, EventRecord, FailureRecord, MaterializationRecord, OrdinalRange, PartitionSummary } from "../../core/types.ts";

interface Keyed {
  assetKey: string;
  partitionKey: string;
  at: number;
}

/** Backfill counts from (status, how many) pairs: the one tally behind every backfill count shown. */
export function tallyBackfill(pairs: Iterable<readonly [BackfillPartitionStatus, number]>): BackfillCounts {
  const counts: BackfillCounts = { total: 0, success: 0, failed: 0, pending: 0, skipped: 0, canceled: 0 };
  for (const [status, n] of pairs) {
    counts[status] += n;
    counts.total += n;
  }
  return counts;
}

/** A limit as the stores apply it: a non-negative integer. */
export const clampLimit = (limit: number): number => Math.max(0, Math.floor(limit));

/** Identity of an (asset, partition) pair as one string. */
export const slotKey = (r: { assetKey: string; partitionKey: string }): string => `${r.assetKey}\u0000${r.partitionKey}`;

/** The newest record per (asset, partition); on equal times the later one in the list wins. */
export function newestPerKey<T extends Keyed>(records: readonly T[]): T[] {
  const newest = new Map<string, T>();
  for (const record of records) {
    const key = slotKey(record);
    const seen = newest.get(key);
    if (!seen || record.at >= seen.at) newest.set(key, record);
  }
  return [...newest.values()];
}

/** Identity of an (asset, partition, check) triple as one string. */
export const checkSlot = (r: { assetKey: string; partitionKey: string; checkName: string }): string => `${r.assetKey}\u0000${r.partitionKey}\u0000${r.checkName}`;

/** The newest result per (asset, partition, check); on equal times the later one in the list wins. */
export function newestPerCheck(results: readonly CheckResult[]): CheckResult[] {
  const newest = new Map<string, CheckResult>();
  for (const r of results) {
    const seen = newest.get(checkSlot(r));
    if (!seen || r.at >= seen.at) newest.set(checkSlot(r), r);
  }
  return [...newest.values()];
}

/** A finite number, else null. */
export const ordinalOf = (value: unknown): number | null => (typeof value === "number" && Number.isFinite(value) ? value : null);

/** The ordinal the stores keep for a record: a finite number of a partitioned record ("" has none), else null. */
export const storedOrdinal = (r: { partitionKey: string; ordinal?: unknown }): number | null => (r.partitionKey === "" ? null : ordinalOf(r.ordinal));

/** The record as the stores return it: `ordinal` present only when stored (see {@link storedOrdinal}). */
export function withOrdinal<T extends { partitionKey: string; ordinal?: number | null }>(record: T): T {
  const ordinal = storedOrdinal(record);
  const { ordinal: _drop, ...rest } = record;
  return (ordinal === null ? rest : { ...rest, ordinal }) as T;
}

/** The failure a `step_failed` event of an asset records (`ordinal` from `payload.ordinal`), else null. */
export function toFailure(event: EventRecord): FailureRecord | null {
  if (event.type !== "step_failed" || event.assetKey === null) return null;
  const error = event.payload.error;
  const failure: FailureRecord = {
    assetKey: event.assetKey,
    partitionKey: event.partitionKey ?? "",
    runId: event.runId,
    at: event.at,
    error: typeof error === "string" ? error : JSON.stringify(error ?? null),
  };
  const ordinal = storedOrdinal({ partitionKey: failure.partitionKey, ordinal: event.payload.ordinal });
  if (ordinal !== null) failure.ordinal = ordinal;
  return failure;
}

/** Runs of consecutive integers in `ordinals` (any order, duplicates allowed), ascending. */
export function islands(ordinals: readonly number[]): OrdinalRange[] {
  const sorted = [...ordinals].sort((a, b) => a - b);
  const out: OrdinalRange[] = [];
  for (const n of sorted) {
    const last = out[out.length - 1];
    if (last && n <= last[1] + 1) last[1] = Math.max(last[1], n);
    else out.push([n, n]);
  }
  return out;
}

const byText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * PartitionSummary of one asset from its latest records — the in-memory twin of the SQL in
 * io/state/_partitions.ts (same rules: partition "" is not a partition; a failure counts when newer
 * than its partition's materialization; a failure without ordinal takes its materialization's).
 */
export function summarizePartitions(
  latest: readonly MaterializationRecord[],
  failures: readonly FailureRecord[],
  assetKey: string,
  codeVersion: string,
  configHash?: string | null,
): PartitionSummary {
  const mine = latest.filter((m) => m.assetKey === assetKey);
  const parts = new Map(mine.filter((m) => m.partitionKey !== "").map((m) => [m.partitionKey, m]));
  const failed = failures
    .filter((f) => f.assetKey === assetKey && f.partitionKey !== "")
    .flatMap((f) => {
      const m = parts.get(f.partitionKey);
      return m && f.at <= m.at ? [] : [{ partitionKey: f.partitionKey, ordinal: ordinalOf(f.ordinal) ?? ordinalOf(m?.ordinal) }];
    });
  const changed = [...parts.values()].filter((m) => m.codeVersion !== codeVersion);
  const split = (list: readonly { partitionKey: string; ordinal?: number | null }[]): [OrdinalRange[], string[]] => [
    islands(list.flatMap((r) => ordinalOf(r.ordinal) ?? [])),
    list.filter((r) => ordinalOf(r.ordinal) === null).map((r) => r.partitionKey).sort(byText),
  ];
  const [materialized, materializedKeys] = split([...parts.values()]);
  const [failedRanges, failedKeys] = split(failed);
  const [codeChanged, codeChangedKeys] = split(changed);
  const newest = mine.reduce<MaterializationRecord | null>(
    (best, m) => (!best || m.at > best.at || (m.at === best.at && m.partitionKey > best.partitionKey) ? m : best),
    null,
  );
  let fp = 0n;
  for (const m of parts.values()) fp ^= BigInt.asUintN(64, BigInt(Bun.hash(`${m.partitionKey}=${m.dataVersion}`)));
  const summary: PartitionSummary = {
    materialized, materializedKeys, failed: failedRanges, failedKeys, codeChanged, codeChangedKeys,
    materializedCount: parts.size, fingerprint: `${parts.size}:${fp}`, last: newest,
  };
  if (typeof configHash === "string") {
    [summary.configChanged, summary.configChangedKeys] = split([...parts.values()].filter((m) => typeof m.configHash === "string" && m.configHash !== configHash));
  }
  return summary;
}
