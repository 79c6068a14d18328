/**
 * Versions a reader of a partitioned upstream records (and status compares against): one
 * formula each, shared by the run engine that records them and the status engine that checks them.
 */
import type { MaterializationRecord } from "../types.ts";

/** The version an all-partitions reader records of a partitioned upstream: from the state's content fingerprint. */
export function wholeAssetVersion(fingerprint: string | null, hash: (text: string) => string): string {
  // a fingerprint not read is a bug in deciding what to read (wholeReaders), never a version
  if (fingerprint === null) throw new Error("internal error: the content fingerprint of a partitioned asset read whole was not read from state");
  return hash(`all:${fingerprint}`);
}

/** The version of a read of these upstream partitions: the data version of one, a hash over several. */
export function partitionsReadVersion(records: readonly MaterializationRecord[], hash: (text: string) => string): string {
  return records.length === 1 ? records[0]!.dataVersion : hash(records.map((r) => `${r.partitionKey}=${r.dataVersion}`).join("\n"));
}
