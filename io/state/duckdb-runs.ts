/**
 * `RunStore` over the DuckDB state file: `runs` (one row per run, `assets` as a JSON list),
 * `run_tags` (one row per tag, see migration 6, so `dagx runs --tag k=v` filters in SQL) and
 * `events` (written by the store's `write`, duckdb-store.ts). Each method is one job of a short
 * session (_ops.ts); the SQL functions below run inside it.
 */
import type { DuckDBConnection, DuckDBValue } from "@duckdb/node-api";
import { StateStoreError } from "../../core/errors.ts";
import type { EventRecord, RunRecord } from "../../core/types.ts";
import type { RunStore } from "../../core/state-store.ts";
import type { StateOps } from "./_ops.ts";
import { clampLimit } from "./_records.ts";
import type { SessionInfo } from "./_session.ts";
import { attachTags, insert, marks, rows, stringList, toEvent, toRun, transaction } from "./_sql.ts";

type RunFilter = NonNullable<Parameters<RunStore["listRuns"]>[0]>;
type RunPatch = Parameters<RunStore["updateRun"]>[1];

/** The runs part of a DuckDB store (`ops` is shared with its other parts). */
export function duckdbRunStore({ op, dbPath }: StateOps): RunStore {
  return {
    createRun: (run) => op("create run", (conn) => insertRun(conn, run)),
    updateRun: (runId, patch) => op("update run", (conn) => patchRun(conn, dbPath, runId, patch)),
    listRuns: (options = {}) => op("list runs", (conn) => selectRuns(conn, options)),
    getRun: (runId) => op("read run", (conn) => selectRun(conn, runId)),
    getEvents: (runId) => op("read events", (conn) => selectEvents(conn, runId)),
    markAbandoned: (isAlive, now) => op("mark abandoned runs", (conn, info) => markDeadRuns(conn, info, isAlive, now)),
    requestRunCancel: (runId, now) => op("request run cancel", (conn) => flagCancel(conn, runId, now)),
  };
}

/** Insert a run and its tags in one transaction. */
async function insertRun(conn: DuckDBConnection, run: RunRecord): Promise<void> {
  await transaction(conn, async () => {
    await conn.run(
      "INSERT INTO runs (run_id, status, selection, trigger, pid, host, started_at, ended_at, heartbeat_at, assets, config, cancel_requested_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
      [run.runId, run.status, run.selection, run.trigger, run.pid, run.host, run.startedAt, run.endedAt, run.heartbeatAt, run.assets ? JSON.stringify(run.assets) : null, run.config ? JSON.stringify(run.config) : null, run.cancelRequestedAt ?? null],
    );
    await insert(conn, "run_tags", Object.entries(run.tags ?? {}).map(([key, value]) => [run.runId, key, value]));
  });
}

/** Runs newest first, filtered by status and tags (every given key = value) before the limit. */
async function selectRuns(conn: DuckDBConnection, filter: RunFilter): Promise<RunRecord[]> {
  const where: string[] = [];
  const values: DuckDBValue[] = [];
  if (filter.status !== undefined) {
    where.push("status = ?");
    values.push(filter.status);
  }
  for (const [key, value] of Object.entries(filter.tags ?? {})) {
    where.push("run_id IN (SELECT run_id FROM run_tags WHERE key = ? AND value = ?)");
    values.push(key, value);
  }
  if (filter.limit !== undefined) values.push(clampLimit(filter.limit));
  const sql = `SELECT * FROM runs${where.length ? ` WHERE ${where.join(" AND ")}` : ""} ORDER BY started_at DESC, run_id DESC${filter.limit !== undefined ? " LIMIT ?" : ""}`;
  return withTags(conn, (await rows(conn, sql, values)).map(toRun));
}

/** One run, or null. */
async function selectRun(conn: DuckDBConnection, runId: string): Promise<RunRecord | null> {
  const [row] = await rows(conn, "SELECT * FROM runs WHERE run_id = ?", [runId]);
  return row ? (await withTags(conn, [toRun(row)]))[0]! : null;
}

/** Patch the given fields of a run; an unknown id fails. */
async function patchRun(conn: DuckDBConnection, dbPath: string, runId: string, patch: RunPatch): Promise<void> {
  const fields = { status: patch.status, ended_at: patch.endedAt, heartbeat_at: patch.heartbeatAt };
  const set = Object.entries(fields).filter(([, value]) => value !== undefined);
  const sets = set.map(([column]) => `${column} = ?`);
  const values = set.map(([, value]) => value as DuckDBValue);
  const sql = sets.length > 0 ? `UPDATE runs SET ${sets.join(", ")} WHERE run_id = ?` : "SELECT 1 FROM runs WHERE run_id = ?";
  const found = sets.length > 0 ? (await conn.run(sql, [...values, runId])).rowsChanged : (await rows(conn, sql, [runId])).length;
  if (found === 0) throw new StateStoreError(`Cannot update run "${runId}": no such run in "${dbPath}"`);
}

/** Mark the running runs that `isAlive` rejects as abandoned, in one transaction; returns their ids (by id). */
function markDeadRuns(conn: DuckDBConnection, { readOnly }: SessionInfo, isAlive: (run: RunRecord) => boolean, now: number): Promise<string[]> {
  return transaction(conn, async () => {
    // a read-only state file is only read: its dead runs stay "running" until a writable session
    if (readOnly) return [];
    const running = (await selectRuns(conn, { status: "running" })).sort((a, b) => (a.runId < b.runId ? -1 : 1));
    const dead = running.filter((run) => !isAlive(run)).map((run) => run.runId);
    if (dead.length > 0) {
      await conn.run(`UPDATE runs SET status = 'abandoned', ended_at = ? WHERE run_id IN (${marks(dead.length)})`, [now, ...dead]);
    }
    return dead;
  });
}

/** Set the cancel flag of a running run that has none yet; the run as it is after, or null. */
async function flagCancel(conn: DuckDBConnection, runId: string, now: number): Promise<RunRecord | null> {
  return transaction(conn, async () => {
    await conn.run("UPDATE runs SET cancel_requested_at = ? WHERE run_id = ? AND status = 'running' AND cancel_requested_at IS NULL", [now, runId]);
    return selectRun(conn, runId);
  });
}

/** The events of one run in `seq` order. */
async function selectEvents(conn: DuckDBConnection, runId: string): Promise<EventRecord[]> {
  return (await rows(conn, "SELECT * FROM events WHERE run_id = ? ORDER BY seq", [runId])).map(toEvent);
}

/** Attach each run's tags (one query for all of them). */
async function withTags(conn: DuckDBConnection, runs: RunRecord[]): Promise<RunRecord[]> {
  if (runs.length === 0) return runs;
  const ids = stringList(runs.map((r) => r.runId));
  const tags = await rows(conn, "SELECT run_id, key, value FROM run_tags WHERE run_id IN (SELECT unnest(?)) ORDER BY run_id, key", [ids.value], [ids.type]);
  return attachTags(runs, tags);
}
