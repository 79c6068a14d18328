/**
 * `RunStore` over Postgres: `runs`, `run_tags` and `events` (written by the store's `write`,
 * postgres-store.ts), as in the DuckDB file (duckdb-runs.ts), each method one statement or one
 * transaction on the pool (_pg-client.ts).
 */
import { StateStoreError } from "../../core/errors.ts";
import type { RunRecord } from "../../core/types.ts";
import type { RunStore } from "../../core/state-store.ts";
import { changed, insertRows, type Pg, type PgOps } from "./_pg-client.ts";
import { clampLimit } from "./_records.ts";
import { attachTags, toEvent, toRun } from "./_sql.ts";

type RunFilter = NonNullable<Parameters<RunStore["listRuns"]>[0]>;

/**
 * `createRun` inside a transaction of the caller's: the work queue records a queued run and its
 * queue rows in one transaction (io/queue), so a submitter that dies in between leaves neither.
 */
export async function createRunInTx(q: Pg, run: RunRecord): Promise<void> {
  const [dup] = await q.unsafe("SELECT 1 FROM runs WHERE run_id = $1", [run.runId]);
  if (dup) throw new StateStoreError(`Cannot create run "${run.runId}": a run with this id exists`);
  await q.unsafe(
    "INSERT INTO runs (run_id, status, selection, trigger, pid, host, started_at, ended_at, heartbeat_at, assets, config, cancel_requested_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
    [run.runId, run.status, run.selection, run.trigger, run.pid, run.host, run.startedAt, run.endedAt, run.heartbeatAt,
      run.assets ? JSON.stringify(run.assets) : null, run.config ? JSON.stringify(run.config) : null, run.cancelRequestedAt ?? null],
  );
  await insertRows(q, "run_tags", [["run_id", "text"], ["key", "text"], ["value", "text"]], Object.entries(run.tags ?? {}).map(([k, v]) => [run.runId, k, v]));
}

/** The runs part of a Postgres store (`ops` is shared with its other parts). */
export function postgresRunStore({ op, tx, target }: PgOps): RunStore {
  return {
    createRun: (run) => tx("create run", (q) => createRunInTx(q, run)),
    updateRun: (runId, patch) =>
      op("update run", async (q) => {
        const fields = Object.entries({ status: patch.status, ended_at: patch.endedAt, heartbeat_at: patch.heartbeatAt }).filter(([, v]) => v !== undefined);
        const found = fields.length > 0
          ? changed(await q.unsafe(`UPDATE runs SET ${fields.map(([c], i) => `${c} = $${i + 2}`).join(", ")} WHERE run_id = $1`, [runId, ...fields.map(([, v]) => v)]))
          : (await q.unsafe("SELECT 1 FROM runs WHERE run_id = $1", [runId])).length;
        if (found === 0) throw new StateStoreError(`Cannot update run "${runId}": no such run in ${target.shown}`);
      }),
    listRuns: (options = {}) => op("list runs", (q) => selectRuns(q, options)),
    getRun: (runId) => op("read run", (q) => selectRun(q, runId)),
    getEvents: (runId) => op("read events", async (q) => (await q.unsafe("SELECT * FROM events WHERE run_id = $1 ORDER BY seq, id", [runId])).map(toEvent)),
    markAbandoned: (isAlive, now) =>
      tx("mark abandoned runs", async (q) => {
        // the running rows locked: two processes marking at once mark each run once
        const running = await withTags(q, (await q.unsafe("SELECT * FROM runs WHERE status = 'running' ORDER BY run_id FOR UPDATE")).map(toRun));
        const dead = running.filter((run) => !isAlive(run)).map((run) => run.runId);
        if (dead.length > 0) await q.unsafe("UPDATE runs SET status = 'abandoned', ended_at = $1 WHERE run_id = ANY($2::text[])", [now, dead]);
        return dead;
      }),
    requestRunCancel: (runId, now) =>
      tx("request run cancel", async (q) => {
        await q.unsafe("UPDATE runs SET cancel_requested_at = $1 WHERE run_id = $2 AND status = 'running' AND cancel_requested_at IS NULL", [now, runId]);
        return selectRun(q, runId);
      }),
  };
}

async function selectRuns(q: Pg, filter: RunFilter): Promise<RunRecord[]> {
  const where: string[] = [];
  const values: unknown[] = [];
  if (filter.status !== undefined) {
    values.push(filter.status);
    where.push(`status = $${values.length}`);
  }
  for (const [key, value] of Object.entries(filter.tags ?? {})) {
    values.push(key, value);
    where.push(`run_id IN (SELECT run_id FROM run_tags WHERE key = $${values.length - 1} AND value = $${values.length})`);
  }
  let limit = "";
  if (filter.limit !== undefined) {
    values.push(clampLimit(filter.limit));
    limit = ` LIMIT $${values.length}`;
  }
  const sql = `SELECT * FROM runs${where.length ? ` WHERE ${where.join(" AND ")}` : ""} ORDER BY started_at DESC, run_id DESC${limit}`;
  return withTags(q, (await q.unsafe(sql, values)).map(toRun));
}

async function selectRun(q: Pg, runId: string): Promise<RunRecord | null> {
  const [row] = await q.unsafe("SELECT * FROM runs WHERE run_id = $1", [runId]);
  return row ? (await withTags(q, [toRun(row)]))[0]! : null;
}

async function withTags(q: Pg, runs: RunRecord[]): Promise<RunRecord[]> {
  if (runs.length === 0) return runs;
  const tags = await q.unsafe("SELECT run_id, key, value FROM run_tags WHERE run_id = ANY($1::text[]) ORDER BY run_id, key", [runs.map((r) => r.runId)]);
  return attachTags(runs, tags);
}
