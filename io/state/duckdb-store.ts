/**
 * `StateStore` over `.dagx/state.duckdb`. Every method is one transaction inside a short session
 * (attach → transactions → detach, see io/_state-session.ts), so any number of dagx processes can
 * share the file. Writes also maintain `latest_materializations` / `latest_failures` (one row per
 * asset and partition: older rows deleted, newer inserted) so status reads never scan history.
 *
 * Never open the same file with `DuckDBInstance` directly in a process that uses this store while
 * it may be attached (before `close()` resolves): two handles in one process corrupt the file.
 */
import type { DuckDBConnection, DuckDBValue } from "@duckdb/node-api";
import { StateStoreError } from "../../core/errors.ts";
import type { EventRecord, FailureRecord, MaterializationRecord, StateStore } from "../../core/types.ts";
import { countBackfillPartitions, insertBackfill, patchBackfill, selectBackfill, selectBackfills, upsertBackfillPartitions } from "./_backfills.ts";
import {
  deleteDynamicPartitions,
  insertDynamicPartitions,
  selectDynamicPartitions,
  selectPartitionMaterializations,
  selectLatestSchemas,
  batchSummaries,
  selectPartitionSummaries,
} from "./_partitions.ts";
import { insertMissingInstigators, insertTick, patchInstigator, patchRunRequest, selectInstigators, selectRunRequests, selectTicks } from "./_instigators.ts";
import { insertCheckResults, selectLatestCheckResults } from "./_checks.ts";
import { newestPerKey, toFailure } from "./_records.ts";
import { collectGarbage } from "./_gc.ts";
import { selectConfirmedMtimes, upsertConfirmedMtimes } from "./_mtimes.ts";
import { stateFileError } from "./_errors.ts";
import { insertRun, selectRun, selectRuns } from "./_runs.ts";
import { type SessionInfo, whenStateIdle, withStateConnection } from "./_session.ts";
import {
  insert,
  upsertNewest,
  marks,
  materializationValues,
  numberOrNull,
  rows,
  stringList,
  toMaterialization,
  transaction,
  type Row,
} from "./_sql.ts";

export interface DuckDBStateStoreOptions {
  /** How long an operation waits for other processes holding the file before it fails. @default 30000 */
  lockTimeoutMs?: number;
}

/**
 * Open the state store kept in the DuckDB file at `dbPath` (created with its folder, owner-only
 * permissions, on first use; migrated forward on open). Nothing is held open between calls.
 */
export function createDuckDBStateStore(dbPath: string, options: DuckDBStateStoreOptions = {}): StateStore {
  const timeoutMs = options.lockTimeoutMs ?? 30_000;
  const pending = new Set<Promise<unknown>>();
  let closed = false;

  function op<T>(label: string, fn: (conn: DuckDBConnection, info: SessionInfo) => Promise<T>): Promise<T> {
    if (closed) return Promise.reject(new StateStoreError(`Cannot ${label}: the state store "${dbPath}" is closed`));
    const promise = withStateConnection(dbPath, timeoutMs, async (conn, info) => {
      try {
        return await fn(conn, info);
      } catch (error) {
        if (error instanceof StateStoreError) throw error;
        // a damaged file can surface on any read; a write to a read-only file on any write
        const known = stateFileError(dbPath, error, label);
        if (known) throw known;
        const detail = error instanceof Error ? error.message : String(error);
        throw new StateStoreError(`Cannot ${label} in state file "${dbPath}": ${detail}`, { cause: error });
      }
    });
    pending.add(promise);
    const forget = () => pending.delete(promise);
    promise.then(forget, forget);
    return promise;
  }

  return {
    createRun: (run) => op("create run", (conn) => insertRun(conn, run)),

    updateRun: (runId, patch) =>
      op("update run", async (conn) => {
        const fields = { status: patch.status, ended_at: patch.endedAt, heartbeat_at: patch.heartbeatAt };
        const set = Object.entries(fields).filter(([, value]) => value !== undefined);
        const sets = set.map(([column]) => `${column} = ?`);
        const values = set.map(([, value]) => value as DuckDBValue);
        const sql = sets.length > 0 ? `UPDATE runs SET ${sets.join(", ")} WHERE run_id = ?` : "SELECT 1 FROM runs WHERE run_id = ?";
        const found = sets.length > 0 ? (await conn.run(sql, [...values, runId])).rowsChanged : (await rows(conn, sql, [runId])).length;
        if (found === 0) throw new StateStoreError(`Cannot update run "${runId}": no such run in "${dbPath}"`);
      }),

    write: ({ events = [], materializations = [] }) =>
      events.length + materializations.length === 0
        ? Promise.resolve()
        : op("write events", (conn) => transaction(conn, () => writeBatch(conn, events, materializations))),

    latestMaterializations: (keys, options) =>
      keys?.length === 0
        ? Promise.resolve([])
        : op("read materializations", async (conn) => (await latestOf(conn, "latest_materializations", keys, options?.unpartitioned)).map(toMaterialization)),

    latestFailures: (keys, options) =>
      keys?.length === 0
        ? Promise.resolve([])
        : op("read failures", async (conn) => (await latestOf(conn, "latest_failures", keys, options?.unpartitioned)).map(toFailureRecord)),

    listRuns: (options = {}) => op("list runs", (conn) => selectRuns(conn, options)),

    getRun: (runId) => op("read run", (conn) => selectRun(conn, runId)),

    getEvents: (runId) =>
      op("read events", async (conn) => (await rows(conn, "SELECT * FROM events WHERE run_id = ? ORDER BY seq", [runId])).map(toEvent)),

    markAbandoned: (isAlive, now) =>
      op("mark abandoned runs", (conn, { readOnly }) =>
        transaction(conn, async () => {
          // a read-only state file is only read: its dead runs stay "running" until a writable session
          if (readOnly) return [];
          const running = (await selectRuns(conn, { status: "running" })).sort((a, b) => (a.runId < b.runId ? -1 : 1));
          const dead = running.filter((run) => !isAlive(run)).map((run) => run.runId);
          if (dead.length > 0) {
            await conn.run(`UPDATE runs SET status = 'abandoned', ended_at = ? WHERE run_id IN (${marks(dead.length)})`, [now, ...dead]);
          }
          return dead;
        }),
      ),

    latestPartitionMaterializations: (assetKey, partitionKeys) =>
      partitionKeys.length === 0
        ? Promise.resolve([])
        : op("read partition materializations", (conn) => selectPartitionMaterializations(conn, assetKey, partitionKeys)),

    latestSchemas: (assetKey) => op("read output schemas", (conn) => selectLatestSchemas(conn, assetKey)),

    partitionSummary: batchSummaries((assets) => op("summarize partitions", (conn) => selectPartitionSummaries(conn, assets))),

    listDynamicPartitions: (name) => op("list dynamic partitions", (conn) => selectDynamicPartitions(conn, name)),

    addDynamicPartitions: (name, keys, now) =>
      keys.length === 0 ? Promise.resolve(0) : op("add dynamic partitions", (conn) => insertDynamicPartitions(conn, name, keys, now)),

    removeDynamicPartitions: (name, keys) =>
      keys.length === 0 ? Promise.resolve(0) : op("remove dynamic partitions", (conn) => deleteDynamicPartitions(conn, name, keys)),

    createBackfill: (backfill, partitions) => op("create backfill", (conn) => insertBackfill(conn, backfill, partitions)),

    updateBackfill: (backfillId, patch) => op("update backfill", (conn) => patchBackfill(conn, backfillId, patch)),

    updateBackfillPartitions: (partitions) =>
      partitions.length === 0 ? Promise.resolve() : op("update backfill partitions", (conn) => upsertBackfillPartitions(conn, partitions)),

    getBackfill: (backfillId) => op("read backfill", (conn) => selectBackfill(conn, backfillId)),

    listBackfills: (options = {}) => op("list backfills", (conn) => selectBackfills(conn, options.limit)),

    countBackfillPartitions: (backfillIds) =>
      backfillIds.length === 0 ? Promise.resolve(new Map()) : op("count backfill partitions", (conn) => countBackfillPartitions(conn, backfillIds)),

    // Schedules, sensors, automation: io/_state-instigators.ts (recordTick is one transaction).
    listInstigators: () => op("list instigators", selectInstigators),
    ensureInstigators: (states) => (states.length === 0 ? Promise.resolve() : op("add instigators", (conn) => insertMissingInstigators(conn, states))),
    updateInstigator: (name, patch) => op("update instigator", (conn) => patchInstigator(conn, name, patch)),
    recordTick: (tick, requests, patch) => op("record tick", (conn) => insertTick(conn, tick, requests, patch)),
    listTicks: (options = {}) => op("list ticks", (conn) => selectTicks(conn, options)),
    listRunRequests: (options = {}) => op("list run requests", (conn) => selectRunRequests(conn, options)),
    updateRunRequest: (requestId, patch) => op("update run request", (conn) => patchRunRequest(conn, requestId, patch)),

    gc: (before, options) => op("collect garbage", (conn) => collectGarbage(conn, before, options?.dryRun)),

    recordCheckResults: (results) => (results.length === 0 ? Promise.resolve() : op("record check results", (conn) => insertCheckResults(conn, results))),

    latestCheckResults: (keys, options) => (keys?.length === 0 ? Promise.resolve([]) : op("read check results", (conn) => selectLatestCheckResults(conn, keys, options))),

    confirmedMtimes: (keys) => (keys?.length === 0 ? Promise.resolve([]) : op("read confirmed mtimes", (conn) => selectConfirmedMtimes(conn, keys))),

    confirmMtimes: (records) => (records.length === 0 ? Promise.resolve() : op("record confirmed mtimes", (conn) => upsertConfirmedMtimes(conn, records))),

    wipe: (keys, partitionKeys) =>
      keys.length === 0 || partitionKeys?.length === 0
        ? Promise.resolve(0)
        : op("wipe materializations", (conn) =>
            transaction(conn, async () => {
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
            }),
          ),

    /** Waits for this store's calls, then until the file is detached (safe to open elsewhere). */
    async close() {
      closed = true;
      await Promise.allSettled([...pending]);
      await whenStateIdle(dbPath);
    },
  };
}

async function writeBatch(conn: DuckDBConnection, events: readonly EventRecord[], mats: readonly MaterializationRecord[]): Promise<void> {
  await insert(conn, "events", events.map((e) => [
    e.runId, e.seq, e.at, e.type, e.assetKey, e.partitionKey, JSON.stringify(e.payload),
  ]));
  if (mats.length > 0) {
    await insert(conn, "materializations", mats.map(materializationValues));
    await replaceLatest(conn, "latest_materializations", newestPerKey(mats).map(materializationValues));
  }
  const failures = newestPerKey(events.flatMap((e) => toFailure(e) ?? []));
  if (failures.length > 0) {
    await replaceLatest(conn, "latest_failures", failures.map((f) => [f.assetKey, f.partitionKey, f.runId, f.at, f.error, f.ordinal ?? null]));
  }
}

/** Upsert rows (columns in table order, `ts` 4th) into a latest_* table keyed by asset and partition. */
function replaceLatest(conn: DuckDBConnection, table: string, values: DuckDBValue[][]): Promise<void> {
  const incoming = values.map((row) => ({ key: [String(row[0]), String(row[1])], ts: Number(row[3]), values: row }));
  return upsertNewest(conn, table, ["asset_key", "partition_key"], incoming);
}

/** `SELECT * FROM table` of some assets (all when `keys` is omitted), by asset and partition. */
function latestOf(conn: DuckDBConnection, table: string, keys: readonly string[] | undefined, unpartitioned = false): Promise<Row[]> {
  const order = " ORDER BY asset_key, partition_key";
  const only = unpartitioned ? "partition_key = ''" : "TRUE";
  if (!keys) return rows(conn, `SELECT * FROM ${table} WHERE ${only}${order}`);
  const list = stringList([...new Set(keys)]);
  return rows(conn, `SELECT * FROM ${table} WHERE ${only} AND asset_key IN (SELECT unnest(?))${order}`, [list.value], [list.type]);
}

function toEvent(r: Row): EventRecord {
  return {
    runId: String(r.run_id), seq: Number(r.seq), at: Number(r.ts), type: String(r.type) as EventRecord["type"],
    assetKey: r.asset_key === null ? null : String(r.asset_key), partitionKey: r.partition_key === null ? null : String(r.partition_key),
    payload: JSON.parse(String(r.payload)) as Record<string, unknown>,
  };
}

function toFailureRecord(r: Row): FailureRecord {
  const failure: FailureRecord = {
    assetKey: String(r.asset_key), partitionKey: String(r.partition_key), runId: String(r.run_id), at: Number(r.ts), error: String(r.error),
  };
  const ordinal = numberOrNull(r.ordinal);
  if (ordinal !== null) failure.ordinal = ordinal;
  return failure;
}
