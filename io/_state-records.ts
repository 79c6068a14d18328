/** Record helpers shared by the DuckDB store and its in-memory twin (same semantics in both). */
import type { EventRecord, FailureRecord } from "../core/types.ts";

interface Keyed {
  assetKey: string;
  partitionKey: string;
  at: number;
}

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

/** The failure a `step_failed` event of an asset records, else null. */
export function toFailure(event: EventRecord): FailureRecord | null {
  if (event.type !== "step_failed" || event.assetKey === null) return null;
  const error = event.payload.error;
  return {
    assetKey: event.assetKey,
    partitionKey: event.partitionKey ?? "",
    runId: event.runId,
    at: event.at,
    error: typeof error === "string" ? error : JSON.stringify(error ?? null),
  };
}
