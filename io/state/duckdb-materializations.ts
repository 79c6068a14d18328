/**
 * `MaterializationStore` over the DuckDB state file. Status reads only the `latest_*` tables (one
 * row per asset and partition, maintained by the store's `write` in duckdb-store.ts), never the
 * `materializations` history. Each method is one job of a short session (_ops.ts); the SQL of
 * partitions is in _partitions.ts, of check results in _checks.ts, of confirmed mtimes in _mtimes.ts.
 */
import type { DuckDBConnection } from "@duckdb/node-api";
import type { FailureRecord } from "../../core/types.ts";
import type { MaterializationStore } from "../../core/state-store.ts";
import { insertCheckResults, selectLatestCheckResults } from "./_checks.ts";
import { selectConfirmedMtimes, upsertConfirmedMtimes } from "./_mtimes.ts";
import type { StateOps } from "./_ops.ts";
import {
  deleteDynamicPartitions,
  insertDynamicPartitions,
  selectDynamicPartitions,
  selectLatestSchemas,
  selectPartitionMaterializations,
  batchSummaries,
  selectPartitionSummaries,
} from "./_partitions.ts";
import { selectChangedPartitions } from "./_staleness.ts";
import { readCheckHistory, readMaterializationHistory } from "./ui-reads.ts";
import { LATEST_COLUMNS, numberOrNull, rows, stringList, toMaterialization, transaction, type Row } from "./_sql.ts";

/** The materializations part of a DuckDB store (`ops` is shared with its other parts). */
export function duckdbMaterializationStore({ op, dbPath }: StateOps): MaterializationStore {
  return {
    // the UI's reads: short sessions that never create the file (ui-reads.ts)
    materializationHistory: (assetKey, limit) => readMaterializationHistory(dbPath, assetKey, limit),
    checkHistory: (assetKey, limit) => readCheckHistory(dbPath, assetKey, limit),
    latestMaterializations: (keys, options) =>
      keys?.length === 0
        ? Promise.resolve([])
        : op("read materializations", async (conn) => (await latestOf(conn, "latest_materializations", keys, options?.unpartitioned, LATEST_COLUMNS)).map(toMaterialization)),

    latestFailures: (keys, options) =>
      keys?.length === 0
        ? Promise.resolve([])
        : op("read failures", async (conn) => (await latestOf(conn, "latest_failures", keys, options?.unpartitioned)).map(toFailureRecord)),

    latestPartitionMaterializations: (assetKey, partitionKeys) =>
      partitionKeys.length === 0
        ? Promise.resolve([])
        : op("read partition materializations", (conn) => selectPartitionMaterializations(conn, assetKey, partitionKeys)),

    latestSchemas: (assetKey) => op("read output schemas", (conn) => selectLatestSchemas(conn, assetKey)),

    partitionSummary: batchSummaries((assets) => op("summarize partitions", (conn) => selectPartitionSummaries(conn, assets))),

    changedPartitions: (query) => op("compare partitions with their upstream", (conn) => selectChangedPartitions(conn, query)),

    listDynamicPartitions: (name) => op("list dynamic partitions", (conn) => selectDynamicPartitions(conn, name)),

    addDynamicPartitions: (name, keys, now) =>
      keys.length === 0 ? Promise.resolve(0) : op("add dynamic partitions", (conn) => insertDynamicPartitions(conn, name, keys, now)),

    removeDynamicPartitions: (name, keys) =>
      keys.length === 0 ? Promise.resolve(0) : op("remove dynamic partitions", (conn) => deleteDynamicPartitions(conn, name, keys)),

    recordCheckResults: (results) => (results.length === 0 ? Promise.resolve() : op("record check results", (conn) => insertCheckResults(conn, results))),

    latestCheckResults: (keys, options) => (keys?.length === 0 ? Promise.resolve([]) : op("read check results", (conn) => selectLatestCheckResults(conn, keys, options))),

    confirmedMtimes: (keys) => (keys?.length === 0 ? Promise.resolve([]) : op("read confirmed mtimes", (conn) => selectConfirmedMtimes(conn, keys))),

    confirmMtimes: (records) => (records.length === 0 ? Promise.resolve() : op("record confirmed mtimes", (conn) => upsertConfirmedMtimes(conn, records))),

    supersededOutputs: (pathPrefix) =>
      op("read superseded outputs", async (conn) =>
        (await rows(conn, "SELECT * FROM materializations m WHERE starts_with(m.path, ?) AND NOT EXISTS (SELECT 1 FROM latest_materializations l WHERE l.path = m.path) ORDER BY m.ts", [pathPrefix])).map(toMaterialization)),

    wipe: (keys, partitionKeys) =>
      keys.length === 0 || partitionKeys?.length === 0 ? Promise.resolve(0) : op("wipe materializations", (conn) => deleteOutputs(conn, keys, partitionKeys)),
  };
}

/** `SELECT <columns> FROM table` of some assets (all when `keys` is omitted), by asset and partition. */
function latestOf(conn: DuckDBConnection, table: string, keys: readonly string[] | undefined, unpartitioned = false, columns = "*"): Promise<Row[]> {
  const order = " ORDER BY asset_key, partition_key";
  const only = unpartitioned ? "partition_key = ''" : "TRUE";
  if (!keys) return rows(conn, `SELECT ${columns} FROM ${table} WHERE ${only}${order}`);
  const list = stringList([...new Set(keys)]);
  return rows(conn, `SELECT ${columns} FROM ${table} WHERE ${only} AND asset_key IN (SELECT unnest(?))${order}`, [list.value], [list.type]);
}

/** wipe in one transaction: history, latest rows, latest check results and confirmed mtimes; returns the history rows deleted. */
function deleteOutputs(conn: DuckDBConnection, keys: readonly string[], partitionKeys: readonly string[] | undefined): Promise<number> {
  return transaction(conn, async () => {
    // Both lists as single list parameters: any number of assets and partitions.
    const assets = stringList([...new Set(keys)]);
    const parts = partitionKeys ? stringList([...new Set(partitionKeys)]) : null;
    const where = `WHERE asset_key IN (SELECT unnest(?))${parts ? " AND partition_key IN (SELECT unnest(?))" : ""}`;
    const values = parts ? [assets.value, parts.value] : [assets.value];
    const types = parts ? [assets.type, parts.type] : [assets.type];
    const gone = (await conn.run(`DELETE FROM materializations ${where}`, values, types)).rowsChanged;
    await conn.run(`DELETE FROM latest_materializations ${where}`, values, types);
    await conn.run(`DELETE FROM latest_failures ${where}`, values, types);
    await conn.run(`DELETE FROM latest_check_results ${where}`, values, types);
    await conn.run(`DELETE FROM output_mtimes ${where}`, values, types);
    return gone;
  });
}

function toFailureRecord(r: Row): FailureRecord {
  const failure: FailureRecord = {
    assetKey: String(r.asset_key), partitionKey: String(r.partition_key), runId: String(r.run_id), at: Number(r.ts), error: String(r.error),
  };
  const ordinal = numberOrNull(r.ordinal);
  if (ordinal !== null) failure.ordinal = ordinal;
  return failure;
}
