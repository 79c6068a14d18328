/**
 * Runs in the DuckDB state store: `runs` (one row per run, `assets` as a JSON list) and `run_tags`
 * (one row per tag, see migration 5), so `dagx runs --tag k=v` filters in SQL. Each function runs
 * inside its caller's session.
 */
import type { DuckDBConnection, DuckDBValue } from "@duckdb/node-api";
import type { RunRecord, RunStatus, StateStore } from "../../core/types.ts";
import { insert, jsonOrNull, numberOrNull, rows, stringList, transaction, type Row } from "./_sql.ts";

export type RunFilter = NonNullable<Parameters<StateStore["listRuns"]>[0]>;

/** Insert a run and its tags in one transaction. */
export async function insertRun(conn: DuckDBConnection, run: RunRecord): Promise<void> {
  await transaction(conn, async () => {
    await conn.run(
      "INSERT INTO runs (run_id, status, selection, trigger, pid, host, started_at, ended_at, heartbeat_at, assets) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
      [run.runId, run.status, run.selection, run.trigger, run.pid, run.host, run.startedAt, run.endedAt, run.heartbeatAt, run.assets ? JSON.stringify(run.assets) : null],
    );
    await insert(conn, "run_tags", Object.entries(run.tags ?? {}).map(([key, value]) => [run.runId, key, value]));
  });
}

/** Runs newest first, filtered by status and tags (every given key = value) before the limit. */
export async function selectRuns(conn: DuckDBConnection, filter: RunFilter): Promise<RunRecord[]> {
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
  if (filter.limit !== undefined) values.push(Math.max(0, Math.floor(filter.limit)));
  const sql = `SELECT * FROM runs${where.length ? ` WHERE ${where.join(" AND ")}` : ""} ORDER BY started_at DESC, run_id DESC${filter.limit !== undefined ? " LIMIT ?" : ""}`;
  return withTags(conn, (await rows(conn, sql, values)).map(toRun));
}

/** One run, or null. */
export async function selectRun(conn: DuckDBConnection, runId: string): Promise<RunRecord | null> {
  const [row] = await rows(conn, "SELECT * FROM runs WHERE run_id = ?", [runId]);
  return row ? (await withTags(conn, [toRun(row)]))[0]! : null;
}

/** Attach each run's tags (one query for all of them). */
async function withTags(conn: DuckDBConnection, runs: RunRecord[]): Promise<RunRecord[]> {
  if (runs.length === 0) return runs;
  const ids = stringList(runs.map((r) => r.runId));
  const tags = await rows(conn, "SELECT run_id, key, value FROM run_tags WHERE run_id IN (SELECT unnest(?)) ORDER BY run_id, key", [ids.value], [ids.type]);
  const byRun = new Map<string, Record<string, string>>();
  for (const t of tags) {
    const id = String(t.run_id);
    (byRun.get(id) ?? byRun.set(id, {}).get(id)!)[String(t.key)] = String(t.value);
  }
  for (const r of runs) {
    const t = byRun.get(r.runId);
    if (t) r.tags = t;
  }
  return runs;
}

function toRun(r: Row): RunRecord {
  const run: RunRecord = {
    runId: String(r.run_id), status: String(r.status) as RunStatus, selection: String(r.selection), trigger: String(r.trigger),
    pid: Number(r.pid), host: String(r.host), startedAt: Number(r.started_at), endedAt: numberOrNull(r.ended_at), heartbeatAt: Number(r.heartbeat_at),
  };
  const assets = jsonOrNull<string[]>(r.assets);
  if (assets) run.assets = assets;
  return run;
}
