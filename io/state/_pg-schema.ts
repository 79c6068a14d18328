/**
 * DDL of the Postgres state store and its forward-only migrations (the DuckDB file's are in
 * _schema.ts; the two are versioned apart, each from 1). Tables and columns carry the same names
 * and meanings as the DuckDB file's, with what Postgres does better than DuckDB used where it pays:
 * - PRIMARY KEYs on the `latest_*` tables (one row per asset and partition, or per check), so a
 *   write upserts with `ON CONFLICT … DO UPDATE … WHERE newer` in one statement, atomic across
 *   processes (DuckDB's file lock serialised a delete + insert instead). B-tree indexes cost
 *   Postgres nothing like the checkpoint rewrite they cost DuckDB.
 * - `seq` columns are identities (insertion order across processes without a max + 1).
 * - Time partitions keep their `ordinal` (BIGINT), indexed with the asset, so the partition summary
 *   reads one asset's ordinals in index order and returns ranges (_pg-partitions.ts).
 * - JSON stays text (as in the file), parsed by the reader.
 */
import { CODE_VERSION_SCHEME } from "../../core/state-store.ts";

const MATERIALIZATION_COLUMNS = `
  asset_key TEXT NOT NULL,
  partition_key TEXT NOT NULL,
  run_id TEXT NOT NULL,
  ts BIGINT NOT NULL,
  data_version TEXT NOT NULL,
  code_version TEXT NOT NULL,
  input_versions TEXT NOT NULL,
  path TEXT NOT NULL,
  format TEXT NOT NULL,
  row_count BIGINT,
  byte_count BIGINT,
  output_schema TEXT,
  metadata TEXT,
  ordinal BIGINT,
  config_hash TEXT`;

const CHECK_COLUMNS = `
  run_id TEXT NOT NULL,
  asset_key TEXT NOT NULL,
  partition_key TEXT NOT NULL,
  check_name TEXT NOT NULL,
  ts BIGINT NOT NULL,
  passed BOOLEAN NOT NULL,
  severity TEXT NOT NULL,
  metadata TEXT,
  blocking BOOLEAN,
  description TEXT,
  sample TEXT,
  error TEXT`;

/** Migration n (1-based) is `PG_MIGRATIONS[n - 1]`; append only, never edit a shipped entry. */
export const PG_MIGRATIONS: readonly (readonly string[])[] = [
  [
    `CREATE TABLE runs (
      run_id TEXT PRIMARY KEY, status TEXT NOT NULL, selection TEXT NOT NULL, trigger TEXT NOT NULL, pid INTEGER NOT NULL,
      host TEXT NOT NULL, started_at BIGINT NOT NULL, ended_at BIGINT, heartbeat_at BIGINT NOT NULL, assets TEXT, config TEXT,
      cancel_requested_at BIGINT)`,
    "CREATE INDEX runs_started ON runs (started_at DESC, run_id DESC)",
    "CREATE INDEX runs_status ON runs (status)",
    "CREATE TABLE run_tags (run_id TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY (run_id, key))",
    "CREATE INDEX run_tags_kv ON run_tags (key, value)",
    `CREATE TABLE events (
      run_id TEXT NOT NULL, seq INTEGER NOT NULL, ts BIGINT NOT NULL, type TEXT NOT NULL, asset_key TEXT, partition_key TEXT,
      payload TEXT NOT NULL, id BIGINT GENERATED ALWAYS AS IDENTITY)`,
    "CREATE INDEX events_run ON events (run_id, seq)",
    `CREATE TABLE materializations (${MATERIALIZATION_COLUMNS}, id BIGINT GENERATED ALWAYS AS IDENTITY)`,
    "CREATE INDEX materializations_slot ON materializations (asset_key, partition_key)",
    "CREATE INDEX materializations_ts ON materializations (ts)",
    `CREATE TABLE latest_materializations (${MATERIALIZATION_COLUMNS}, PRIMARY KEY (asset_key, partition_key))`,
    "CREATE INDEX latest_materializations_ordinal ON latest_materializations (asset_key, ordinal)",
    "CREATE INDEX latest_materializations_path ON latest_materializations (path)",
    "CREATE INDEX latest_materializations_ts ON latest_materializations (asset_key, ts DESC, partition_key DESC)",
    `CREATE TABLE latest_failures (
      asset_key TEXT NOT NULL, partition_key TEXT NOT NULL, run_id TEXT NOT NULL, ts BIGINT NOT NULL, error TEXT NOT NULL, ordinal BIGINT,
      PRIMARY KEY (asset_key, partition_key))`,
    `CREATE TABLE check_results (${CHECK_COLUMNS})`,
    "CREATE INDEX check_results_asset ON check_results (asset_key)",
    `CREATE TABLE latest_check_results (${CHECK_COLUMNS}, PRIMARY KEY (asset_key, partition_key, check_name))`,
    `CREATE TABLE output_mtimes (
      asset_key TEXT NOT NULL, partition_key TEXT NOT NULL, run_id TEXT NOT NULL, ts BIGINT NOT NULL, mtime_ms DOUBLE PRECISION NOT NULL,
      PRIMARY KEY (asset_key, partition_key))`,
    `CREATE TABLE dynamic_partitions (
      partitions_def TEXT NOT NULL, partition_key TEXT NOT NULL, added_at BIGINT NOT NULL, seq BIGINT GENERATED ALWAYS AS IDENTITY,
      PRIMARY KEY (partitions_def, partition_key))`,
    `CREATE TABLE backfills (
      backfill_id TEXT PRIMARY KEY, status TEXT NOT NULL, selection TEXT NOT NULL, partitions TEXT NOT NULL, pid INTEGER NOT NULL,
      host TEXT NOT NULL, created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL, cancel_requested BOOLEAN NOT NULL, options TEXT NOT NULL)`,
    `CREATE TABLE backfill_partitions (
      backfill_id TEXT NOT NULL, asset_key TEXT NOT NULL, partition_key TEXT NOT NULL, status TEXT NOT NULL, run_id TEXT, error TEXT,
      updated_at BIGINT NOT NULL, PRIMARY KEY (backfill_id, asset_key, partition_key))`,
    `CREATE TABLE instigators (
      name TEXT PRIMARY KEY, kind TEXT NOT NULL, status TEXT NOT NULL, created_at BIGINT NOT NULL, last_tick_at BIGINT, cursor TEXT,
      data TEXT NOT NULL, updated_at BIGINT NOT NULL)`,
    `CREATE TABLE ticks (
      name TEXT NOT NULL, kind TEXT NOT NULL, tick_at BIGINT NOT NULL, evaluated_at BIGINT NOT NULL, status TEXT NOT NULL, reason TEXT,
      request_ids TEXT NOT NULL, seq BIGINT GENERATED ALWAYS AS IDENTITY)`,
    "CREATE INDEX ticks_name ON ticks (name, evaluated_at DESC)",
    `CREATE TABLE run_requests (
      request_id TEXT PRIMARY KEY, source TEXT NOT NULL, kind TEXT NOT NULL, run_key TEXT, selection TEXT NOT NULL, partitions TEXT,
      status TEXT NOT NULL, run_id TEXT, reason TEXT, created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL, tags TEXT, as_of BIGINT,
      config TEXT, seq BIGINT GENERATED ALWAYS AS IDENTITY)`,
    "CREATE UNIQUE INDEX run_requests_run_key ON run_requests (run_key) WHERE run_key IS NOT NULL",
    "CREATE TABLE code_version_scheme (scheme INTEGER NOT NULL, applied_at BIGINT NOT NULL)",
    `CREATE TABLE code_version_adoptions (
      asset_key TEXT NOT NULL, from_version TEXT NOT NULL, to_version TEXT NOT NULL, partitions BIGINT NOT NULL, adopted_at BIGINT NOT NULL)`,
    `CREATE TABLE alert_incidents (
      incident_id TEXT PRIMARY KEY, incident_key TEXT NOT NULL, kind TEXT NOT NULL, asset_key TEXT, partition_key TEXT, check_name TEXT,
      instigator TEXT, run_id TEXT, message TEXT NOT NULL, opened_at BIGINT NOT NULL, resolved_at BIGINT, resolved_by TEXT)`,
    // at most one open incident per key, across every process: the index says so, not only the transaction
    "CREATE UNIQUE INDEX alert_incidents_open ON alert_incidents (incident_key) WHERE resolved_at IS NULL",
    `CREATE TABLE alert_deliveries (
      incident_id TEXT NOT NULL, alert TEXT NOT NULL, target TEXT NOT NULL, event TEXT NOT NULL, status TEXT NOT NULL, attempts INTEGER NOT NULL,
      error TEXT, ts BIGINT NOT NULL, seq BIGINT GENERATED ALWAYS AS IDENTITY)`,
  ],
  // 2: the work queue of runs executed by `dagx worker` processes (io/queue, docs/workers.md)
  [
    // one row per queued run: its options, and the next event seq of the run (workers of several machines append events)
    `CREATE TABLE queue_runs (
      run_id TEXT PRIMARY KEY, queue TEXT NOT NULL, status TEXT NOT NULL, options TEXT NOT NULL, next_seq INTEGER NOT NULL,
      submitted_at BIGINT NOT NULL, ended_at BIGINT)`,
    // one row per unit of work: the plan steps run by one call (one step, or the outs of one multi-asset call);
    // waiting = upstream items not yet succeeded; a claim sets worker, lease and epoch + 1 (Postgres' clock: machines' clocks may differ)
    `CREATE TABLE queue_items (
      run_id TEXT NOT NULL, item_id TEXT NOT NULL, queue TEXT NOT NULL, status TEXT NOT NULL, steps TEXT NOT NULL,
      code_versions TEXT NOT NULL, downstream TEXT NOT NULL, waiting INTEGER NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,
      max_attempts INTEGER NOT NULL, epoch BIGINT NOT NULL DEFAULT 0, worker_id TEXT, lease_until TIMESTAMPTZ, not_before TIMESTAMPTZ,
      refused_by TEXT[] NOT NULL DEFAULT '{}', error TEXT, seq BIGINT GENERATED ALWAYS AS IDENTITY, PRIMARY KEY (run_id, item_id))`,
    "CREATE INDEX queue_items_open ON queue_items (queue, seq) WHERE status IN ('ready', 'claimed')",
    `CREATE TABLE queue_workers (
      worker_id TEXT PRIMARY KEY, queue TEXT NOT NULL, host TEXT NOT NULL, pid INTEGER NOT NULL, concurrency INTEGER NOT NULL,
      started_at BIGINT NOT NULL, heartbeat_at TIMESTAMPTZ NOT NULL, stopped_at BIGINT)`,
  ],
];

/** The Postgres schema version this build writes. */
export const PG_SCHEMA_VERSION = PG_MIGRATIONS.length;

/** A Postgres state written by a newer dagx than this one. */
export class PgSchemaTooNewError extends Error {
  readonly supported = PG_SCHEMA_VERSION;
  constructor(readonly found: number) {
    super(`Postgres state schema version ${found} is newer than ${PG_SCHEMA_VERSION}`);
  }
}

/** Advisory lock keys of the store (one 64-bit space per database; "dagx" in the high bits). */
export const LOCKS = { migrate: 0x64616778_0001n, write: 0x64616778_0002n } as const;

interface Migratable {
  unsafe(text: string, params?: unknown[]): Promise<unknown>;
  begin<T>(fn: (tx: { unsafe(text: string, params?: unknown[]): Promise<unknown> }) => Promise<T>): Promise<T>;
}

/**
 * The schema's version (0: none). The table is looked up by a scan of pg_class under the statement's
 * snapshot, not by name (`to_regclass` goes through the backend's catalog cache, which can still say
 * "no such table" after another process committed it: the advisory lock processes no invalidations).
 */
const versionOf = async (q: { unsafe(text: string, params?: unknown[]): Promise<unknown> }, schema: string): Promise<number> => {
  const [exists] = (await q.unsafe(
    "SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relname = 'schema_version') AS e",
    [schema],
  )) as { e: boolean }[];
  if (!exists?.e) return 0;
  const [row] = (await q.unsafe(`SELECT coalesce(max(version), 0) AS v FROM ${schema}.schema_version`)) as { v: unknown }[];
  return Number(row?.v ?? 0);
};

/**
 * Bring the schema up to {@link PG_SCHEMA_VERSION}, or refuse a newer one. Each migration runs in a
 * transaction with its `schema_version` row, under a transaction-level advisory lock: two processes
 * opening a new database at once migrate it once (the second waits, then sees the new version).
 */
export async function migratePostgres(sql: Migratable, schema: string, now: number): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await migrateOnce(sql, schema, now);
    } catch (error) {
      // another process created the same objects first and this one's cache had not seen them yet:
      // a new transaction sees them (42P07 relation, 42P06 schema, 42710 object, 23505 unique key)
      const code = String((error as { errno?: unknown } | null)?.errno ?? "");
      if (attempt < 3 && ["42P07", "42P06", "42710", "23505"].includes(code)) continue;
      throw error;
    }
  }
}

async function migrateOnce(sql: Migratable, schema: string, now: number): Promise<void> {
  const found = await versionOf(sql, schema);
  if (found === PG_SCHEMA_VERSION) return;
  if (found > PG_SCHEMA_VERSION) throw new PgSchemaTooNewError(found);
  await sql.begin(async (tx) => {
    await tx.unsafe("SELECT pg_advisory_xact_lock($1)", [LOCKS.migrate.toString()]);
    const current = await versionOf(tx, schema);
    if (current > PG_SCHEMA_VERSION) throw new PgSchemaTooNewError(current);
    if (current === PG_SCHEMA_VERSION) return;
    await tx.unsafe(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
    await tx.unsafe(`SET LOCAL search_path = ${schema}`);
    if (current === 0) await tx.unsafe("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL, applied_at BIGINT NOT NULL)");
    for (let version = current + 1; version <= PG_SCHEMA_VERSION; version++) {
      // one simple-protocol round trip per migration (statements one by one cost ~3 ms each)
      await tx.unsafe((PG_MIGRATIONS[version - 1] ?? []).join(";\n"));
      await tx.unsafe("INSERT INTO schema_version VALUES ($1, $2)", [version, now]);
    }
    // a new state holds no code versions yet: those it will record are of this build's scheme
    if (current === 0) await tx.unsafe("INSERT INTO code_version_scheme VALUES ($1, $2)", [CODE_VERSION_SCHEME, now]);
  });
}
