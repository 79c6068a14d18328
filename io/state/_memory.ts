/**
 * Helpers of the in-memory store's parts (memory-runs.ts, memory-materializations.ts,
 * memory-backfills.ts, memory-instigators.ts): the JSON round trip every record takes in and out,
 * the closed-store check, filters and orders the DuckDB store gets from SQL.
 */
import { StateStoreError } from "../../core/errors.ts";

/**
 * A deep copy through JSON, exactly like the DuckDB store (which keeps payloads as JSON text): what
 * is not JSON throws (so a bad record fails its whole call), `undefined` vanishes.
 */
export const copy = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

/** Throws "Cannot <action>: …closed" once the store is closed; every method calls it first. */
export type OpenCheck = (action: string) => void;

/** The check of a store whose `isClosed()` says so. */
export function openCheck(isClosed: () => boolean): OpenCheck {
  return (action) => {
    if (isClosed()) throw new StateStoreError(`Cannot ${action}: the in-memory state store is closed`);
  };
}

type Slot = { assetKey: string; partitionKey: string };

/** Order by asset key, then partition key (SQL's `ORDER BY asset_key, partition_key`). */
export const byKey = (a: Slot, b: Slot): number =>
  a.assetKey < b.assetKey ? -1 : a.assetKey > b.assetKey ? 1 : a.partitionKey < b.partitionKey ? -1 : a.partitionKey > b.partitionKey ? 1 : 0;

/** A filter keeping records of the given assets (every record when `keys` is omitted). */
export function wanted(keys: readonly string[] | undefined): (r: { assetKey: string }) => boolean {
  const set = keys ? new Set(keys) : null;
  return (r) => !set || set.has(r.assetKey);
}

/** Put `record` under `slot` unless a newer one (by `at`) is there; a tie goes to the later write. */
export function keepNewer<T extends { at: number }>(into: Map<string, T>, slot: string, record: T): void {
  const seen = into.get(slot);
  if (!seen || record.at >= seen.at) into.set(slot, record);
}
