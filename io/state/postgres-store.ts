/**
 * `StateStore` in PostgreSQL (DESIGN §16; issue 17 item 1), composed like the DuckDB one
 * (duckdb-store.ts) of one part per concern — postgres-runs.ts, postgres-materializations.ts,
 * postgres-backfills.ts, postgres-instigators.ts, postgres-alerts.ts — plus what spans them
 * (`write`, `gc`, `adoptCodeVersions`, `close`), here. It passes the same contract suites
 * (tests/io/state/*.contract.ts).
 *
 * Concurrency: every method is one statement or one transaction (read committed). Where the DuckDB
 * file relied on its exclusive session for check-then-insert, Postgres gets it from constraints
 * (`ON CONFLICT` upserts of the latest rows, unique indexes on run keys and open incidents) and, for
 * the transactions that read before they write (ticks, incidents, code-version adoption), a
 * transaction-level advisory lock. Any number of processes on any number of machines may share it.
 */
import type { CheckResult, EventRecord, GcCounts, MaterializationRecord } from "../../core/types.ts";
import type { StateStore } from "../../core/state-store.ts";
import { type Columns, createPgOps, insertRows, changed, type PgOpsOptions, type PgTx } from "./_pg-client.ts";
import { LOCKS } from "./_pg-schema.ts";
import { newestPerKey, toFailure } from "./_records.ts";
import { postgresAlertStore } from "./postgres-alerts.ts";
import { postgresBackfillStore } from "./postgres-backfills.ts";
import { postgresChanges } from "./postgres-changes.ts";
import { postgresInstigatorStore } from "./postgres-instigators.ts";
import { checkRow, insertCheckRows, MATERIALIZATION_COLUMNS, materializationRow, newerWins, postgresMaterializationStore } from "./postgres-materializations.ts";
import { newestPerCheck } from "./_records.ts";
import { postgresRunStore } from "./postgres-runs.ts";

export type PostgresStateStoreOptions = PgOpsOptions;

const EVENT_COLUMNS: Columns = [["run_id", "text"], ["seq", "int"], ["ts", "bigint"], ["type", "text"], ["asset_key", "text"], ["partition_key", "text"], ["payload", "text"]];
const FAILURE_COLUMNS: Columns = [["asset_key", "text"], ["partition_key", "text"], ["run_id", "text"], ["ts", "bigint"], ["error", "text"], ["ordinal", "bigint"]];

/**
 * Open the state store in the Postgres database of `url` (postgres://user:password@host:port/db,
 * optional `?schema=NAME`, default `dagx`). Nothing connects before the first call, which creates
 * or migrates the schema; the password is known to the redactor from here on.
 */
export function createPostgresStateStore(url: string, options: PostgresStateStoreOptions = {}): StateStore {
  const ops = createPgOps(url, options);
  const { tx } = ops;
  return {
    ...postgresRunStore(ops),
    ...postgresMaterializationStore(ops),
    ...postgresBackfillStore(ops),
    ...postgresInstigatorStore(ops),
    ...postgresAlertStore(ops),
    ...postgresChanges(ops),
    backend: "postgres",

    write: ({ events = [], materializations = [] }) => {
      if (events.length + materializations.length === 0) return Promise.resolve();
      let rows: Batch;
      try {
        rows = batchRows(events, materializations); // JSON encoding fails here, before anything is written
      } catch (error) {
        return ops.op("write events", () => Promise.reject(error));
      }
      return tx("write events", (q) => writeBatch(q, rows));
    },

    adoptCodeVersions: (scheme, candidates, now) =>
      tx("adopt code versions", async (q) => {
        await q.unsafe("SELECT pg_advisory_xact_lock($1)", [LOCKS.write.toString()]);
        const [r] = await q.unsafe("SELECT coalesce(max(scheme), 1) AS scheme FROM code_version_scheme");
        if (Number(r?.scheme ?? 1) >= scheme) return null;
        let adopted = 0;
        for (const c of candidates()) {
          for (const from of new Set(c.legacy)) {
            if (from === c.codeVersion) continue;
            const n = changed(await q.unsafe("UPDATE latest_materializations SET code_version = $1 WHERE asset_key = $2 AND code_version = $3", [c.codeVersion, c.assetKey, from]));
            if (n === 0) continue;
            adopted += n;
            await q.unsafe("INSERT INTO code_version_adoptions VALUES ($1, $2, $3, $4, $5)", [c.assetKey, from, c.codeVersion, n, now]);
          }
        }
        await q.unsafe("INSERT INTO code_version_scheme VALUES ($1, $2)", [scheme, now]);
        return adopted;
      }),

    gc: (before, options) =>
      tx("collect garbage", async (q) => {
        const counts = await deleteOld(q, before);
        // a dry run: the same statements, then the transaction rolls back (its counts are the real run's)
        if (options?.dryRun) await q.unsafe("ROLLBACK AND CHAIN");
        return counts;
      }),

    close: () => ops.close(),
  };
}

interface Batch {
  events: unknown[][];
  history: unknown[][];
  latest: unknown[][];
  failures: unknown[][];
}

function batchRows(events: readonly EventRecord[], mats: readonly MaterializationRecord[]): Batch {
  return {
    events: events.map((e) => [e.runId, e.seq, e.at, e.type, e.assetKey, e.partitionKey, JSON.stringify(e.payload)]),
    history: mats.map(materializationRow),
    latest: newestPerKey(mats).map(materializationRow),
    failures: newestPerKey(events.flatMap((e) => toFailure(e) ?? [])).map((f) => [f.assetKey, f.partitionKey, f.runId, f.at, f.error, f.ordinal ?? null]),
  };
}

/** Events, history and the latest materialization and failure per (asset, partition), inside the caller's transaction. */
async function writeBatch(q: PgTx, b: Batch): Promise<void> {
  await insertRows(q, "events", EVENT_COLUMNS, b.events);
  await insertRows(q, "materializations", MATERIALIZATION_COLUMNS, b.history);
  await insertRows(q, "latest_materializations", MATERIALIZATION_COLUMNS, b.latest, newerWins("latest_materializations", ["asset_key", "partition_key"], MATERIALIZATION_COLUMNS));
  await insertRows(q, "latest_failures", FAILURE_COLUMNS, b.failures, newerWins("latest_failures", ["asset_key", "partition_key"], FAILURE_COLUMNS));
}

async function deleteOld(q: PgTx, before: number): Promise<GcCounts> {
  const n = async (sql: string) => changed(await q.unsafe(sql, [before]));
  const old = "SELECT run_id FROM runs WHERE status <> 'running' AND ended_at IS NOT NULL AND ended_at < $1";
  const events = await n(`DELETE FROM events WHERE run_id IN (${old})`);
  await n(`DELETE FROM run_tags WHERE run_id IN (${old})`);
  await n(`DELETE FROM queue_items WHERE run_id IN (${old})`);
  await n(`DELETE FROM queue_runs WHERE run_id IN (${old})`);
  const runs = await n("DELETE FROM runs WHERE status <> 'running' AND ended_at IS NOT NULL AND ended_at < $1");
  // history rows that are the latest of their partition stay (same asset, partition, run, time)
  const materializations = await n(`DELETE FROM materializations m WHERE m.ts < $1 AND NOT EXISTS (
    SELECT 1 FROM latest_materializations l WHERE l.asset_key = m.asset_key AND l.partition_key = m.partition_key AND l.run_id = m.run_id AND l.ts = m.ts)`);
  const ticks = await n("DELETE FROM ticks WHERE evaluated_at < $1");
  const runRequests = await n("DELETE FROM run_requests WHERE status <> 'requested' AND updated_at < $1");
  await n("DELETE FROM backfill_partitions WHERE backfill_id IN (SELECT backfill_id FROM backfills WHERE status <> 'running' AND updated_at < $1)");
  const backfills = await n("DELETE FROM backfills WHERE status <> 'running' AND updated_at < $1");
  // workers that stopped, or whose heartbeat is older than the cutoff (a worker killed long ago)
  await n("DELETE FROM queue_workers WHERE (stopped_at IS NOT NULL AND stopped_at < $1) OR heartbeat_at < to_timestamp($1 / 1000.0)");
  return { runs, events, materializations, ticks, runRequests, backfills };
}

/**
 * What one step of a queued run records (io/queue: the commit fenced by the step's lease), written
 * inside the caller's transaction: events, materializations (history and latest), latest failures
 * and check results. Rows are encoded before the first statement: a value JSON cannot encode fails
 * the call with nothing written.
 */
export async function writeStepResultsInTx(q: PgTx, r: { events: readonly EventRecord[]; materializations: readonly MaterializationRecord[]; checks: readonly CheckResult[] }): Promise<void> {
  const rows = batchRows(r.events, r.materializations);
  const checks = r.checks.map(checkRow);
  const latestChecks = newestPerCheck(r.checks).map(checkRow);
  await writeBatch(q, rows);
  if (checks.length) await insertCheckRows(q, checks, latestChecks);
}
