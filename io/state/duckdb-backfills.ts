/**
 * `BackfillStore` over the DuckDB state file: `backfills` (one row per backfill) and
 * `backfill_partitions` (one row per backfill, asset and partition; upserted by delete + insert in
 * one transaction, no index). Every method is one short job (_ops.ts), so `dagx backfill cancel`
 * in another process can flag a running backfill between two of its writes.
 */
import type { DuckDBConnection, DuckDBValue } from "@duckdb/node-api";
import { StateStoreError } from "../../core/errors.ts";
import type { BackfillCounts, BackfillPartitionRecord, BackfillPartitionStatus, BackfillRecord } from "../../core/types.ts";
import type { BackfillStore } from "../../core/state-store.ts";
import type { StateOps } from "./_ops.ts";
import { clampLimit, tallyBackfill } from "./_records.ts";
import { insert, jsonRows, rows, stringList, transaction, type Row } from "./_sql.ts";

type BackfillPatch = Parameters<BackfillStore["updateBackfill"]>[1];

/** The backfills part of a DuckDB store (`ops` is shared with its other parts). */
export function duckdbBackfillStore({ op }: StateOps): BackfillStore {
  return {
    createBackfill: (backfill, partitions) => op("create backfill", (conn) => insertBackfill(conn, backfill, partitions)),
    updateBackfill: (backfillId, patch) => op("update backfill", (conn) => patchBackfill(conn, backfillId, patch)),
    updateBackfillPartitions: (partitions) =>
      partitions.length === 0 ? Promise.resolve() : op("update backfill partitions", (conn) => upsertBackfillPartitions(conn, partitions)),
    getBackfill: (backfillId) => op("read backfill", (conn) => selectBackfill(conn, backfillId)),
    listBackfills: (options = {}) => op("list backfills", (conn) => selectBackfills(conn, options.limit)),
    countBackfillPartitions: (backfillIds) =>
      backfillIds.length === 0 ? Promise.resolve(new Map()) : op("count backfill partitions", (conn) => countBackfillPartitions(conn, backfillIds)),
  };
}

/** Insert a backfill and its partitions in one transaction; a duplicate id fails. */
async function insertBackfill(
  conn: DuckDBConnection,
  b: BackfillRecord,
  partitions: readonly BackfillPartitionRecord[],
): Promise<void> {
  await transaction(conn, async () => {
    const [dup] = await rows(conn, "SELECT 1 AS x FROM backfills WHERE backfill_id = ?", [b.backfillId]);
    if (dup) throw new StateStoreError(`Cannot create backfill "${b.backfillId}": a backfill with this id exists`);
    await conn.run("INSERT INTO backfills VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", [
      b.backfillId, b.status, b.selection, b.partitions, b.pid, b.host, b.createdAt, b.updatedAt, b.cancelRequested, JSON.stringify(b.options),
    ]);
    await insert(conn, "backfill_partitions", lastPerSlot(partitions).map(partitionValues));
  });
}

/** Patch the given fields of a backfill; an unknown id fails. */
async function patchBackfill(conn: DuckDBConnection, backfillId: string, patch: BackfillPatch): Promise<void> {
  const fields = {
    status: patch.status, updated_at: patch.updatedAt, cancel_requested: patch.cancelRequested, pid: patch.pid, host: patch.host,
  };
  const set = Object.entries(fields).filter(([, value]) => value !== undefined);
  const found =
    set.length > 0
      ? (await conn.run(`UPDATE backfills SET ${set.map(([c]) => `${c} = ?`).join(", ")} WHERE backfill_id = ?`, [
          ...set.map(([, value]) => value as DuckDBValue),
          backfillId,
        ])).rowsChanged
      : (await rows(conn, "SELECT 1 AS x FROM backfills WHERE backfill_id = ?", [backfillId])).length;
  if (found === 0) throw new StateStoreError(`Cannot update backfill "${backfillId}": no such backfill`);
}

/** Upsert partition rows by (backfill, asset, partition); the last of duplicates in the list wins. */
async function upsertBackfillPartitions(conn: DuckDBConnection, partitions: readonly BackfillPartitionRecord[]): Promise<void> {
  const unique = lastPerSlot(partitions);
  if (unique.length === 0) return;
  await transaction(conn, async () => {
    const incoming = jsonRows({ backfill_id: "VARCHAR", asset_key: "VARCHAR", partition_key: "VARCHAR" }, unique.map((p) => [p.backfillId, p.assetKey, p.partitionKey]));
    await conn.run(
      `DELETE FROM backfill_partitions b USING ${incoming.sql} n
       WHERE b.backfill_id = n.backfill_id AND b.asset_key = n.asset_key AND b.partition_key = n.partition_key`,
      [incoming.param],
    );
    await insert(conn, "backfill_partitions", unique.map(partitionValues));
  });
}

/** A backfill with its partitions (by asset, then partition key), or null. */
async function selectBackfill(
  conn: DuckDBConnection,
  backfillId: string,
): Promise<{ backfill: BackfillRecord; partitions: BackfillPartitionRecord[] } | null> {
  return transaction(conn, async () => {
    const [row] = await rows(conn, "SELECT * FROM backfills WHERE backfill_id = ?", [backfillId]);
    if (!row) return null;
    const parts = await rows(conn, "SELECT * FROM backfill_partitions WHERE backfill_id = ? ORDER BY asset_key, partition_key", [backfillId]);
    return { backfill: toBackfill(row), partitions: parts.map(toBackfillPartition) };
  });
}

/** Backfills, newest first (ties by id, descending). */
async function selectBackfills(conn: DuckDBConnection, limit: number | undefined): Promise<BackfillRecord[]> {
  const bound = limit === undefined ? [] : [clampLimit(limit)];
  const sql = `SELECT * FROM backfills ORDER BY created_at DESC, backfill_id DESC${bound.length > 0 ? " LIMIT ?" : ""}`;
  return (await rows(conn, sql, bound)).map(toBackfill);
}

/** Partition counts per backfill (one GROUP BY over the ids; an id without rows counts zero). */
async function countBackfillPartitions(conn: DuckDBConnection, backfillIds: readonly string[]): Promise<Map<string, BackfillCounts>> {
  const ids = stringList(backfillIds);
  const found = await rows(
    conn,
    "SELECT backfill_id, status, count(*) AS n FROM backfill_partitions WHERE backfill_id IN (SELECT unnest(?)) GROUP BY ALL",
    [ids.value],
    [ids.type],
  );
  const pairs = new Map<string, [BackfillPartitionStatus, number][]>(backfillIds.map((id) => [id, []]));
  for (const r of found) pairs.get(String(r.backfill_id))?.push([String(r.status) as BackfillPartitionStatus, Number(r.n)]);
  return new Map([...pairs].map(([id, list]) => [id, tallyBackfill(list)]));
}

/** One record per (backfill, asset, partition): the last one listed. */
function lastPerSlot(partitions: readonly BackfillPartitionRecord[]): BackfillPartitionRecord[] {
  return [...new Map(partitions.map((p) => [`${p.backfillId}\u0000${p.assetKey}\u0000${p.partitionKey}`, p])).values()];
}

/** Column values in `backfill_partitions` order. */
function partitionValues(p: BackfillPartitionRecord): DuckDBValue[] {
  return [p.backfillId, p.assetKey, p.partitionKey, p.status, p.runId, p.error, p.updatedAt];
}

function toBackfill(r: Row): BackfillRecord {
  return {
    backfillId: String(r.backfill_id), status: String(r.status) as BackfillRecord["status"], selection: String(r.selection),
    partitions: String(r.partitions), pid: Number(r.pid), host: String(r.host), createdAt: Number(r.created_at),
    updatedAt: Number(r.updated_at), cancelRequested: Boolean(r.cancel_requested),
    options: JSON.parse(String(r.options)) as Record<string, unknown>,
  };
}

function toBackfillPartition(r: Row): BackfillPartitionRecord {
  return {
    backfillId: String(r.backfill_id), assetKey: String(r.asset_key), partitionKey: String(r.partition_key),
    status: String(r.status) as BackfillPartitionRecord["status"], runId: r.run_id === null ? null : String(r.run_id),
    error: r.error === null ? null : String(r.error), updatedAt: Number(r.updated_at),
  };
}
