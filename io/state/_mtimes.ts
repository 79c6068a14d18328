/** Confirmed output mtimes (`output_mtimes`, migration 5): see io/status/output-drift.ts for why they exist. */
import type { DuckDBConnection } from "@duckdb/node-api";
import type { OutputMtimeRecord } from "../../core/types.ts";
import { rows, stringList, transaction, upsertNewest } from "./_sql.ts";

export async function selectConfirmedMtimes(conn: DuckDBConnection, keys: readonly string[] | undefined): Promise<OutputMtimeRecord[]> {
  const order = " ORDER BY asset_key, partition_key";
  const list = keys ? stringList([...new Set(keys)]) : null;
  const found = list
    ? await rows(conn, `SELECT * FROM output_mtimes WHERE asset_key IN (SELECT unnest(?))${order}`, [list.value], [list.type])
    : await rows(conn, `SELECT * FROM output_mtimes${order}`);
  return found.map((r) => ({ assetKey: String(r.asset_key), partitionKey: String(r.partition_key), runId: String(r.run_id), at: Number(r.ts), mtimeMs: Number(r.mtime_ms) }));
}

export function upsertConfirmedMtimes(conn: DuckDBConnection, records: readonly OutputMtimeRecord[]): Promise<void> {
  const incoming = records.map((r) => ({ key: [r.assetKey, r.partitionKey], ts: r.at, values: [r.assetKey, r.partitionKey, r.runId, r.at, r.mtimeMs] }));
  return transaction(conn, () => upsertNewest(conn, "output_mtimes", ["asset_key", "partition_key"], incoming));
}
