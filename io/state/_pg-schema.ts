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

/** The NOTIFY channel of state changes (payload: the schema); shared by every schema of a database. */
export const CHANGE_CHANNEL = "dagx_changes";
/** The tables whose changes the UI's feed hears of (what `changeMarks` reads). */
const CHANGE_TABLES = ["runs", "events", "latest_materializations", "latest_failures", "latest_check_results", "backfills", "backfill_partitions", "instigators", "ticks", "alert_incidents", "alert_deliveries"];

/**
 * Migration 3. `partition_buckets`: per asset, bucket of 1,024 ordinals (`ordinal >> 10`), code
 * version and config hash ('' for none), the count, min, max, sum and sum of squares of the offsets in
 * the bucket of the time partitions' latest rows. `partition_fingerprints`: per asset, the count and
 * the XOR of `hashtextextended(key=data_version)` of its partitions' latest rows (every partition, time
 * or key-list). Statement triggers with transition tables keep both:
 * - new partitions (INSERT) add to their bucket's row: counts and sums add up, min and max widen;
 * - a newer materialization with the same code, config and ordinal (UPDATE) leaves the buckets alone;
 * - a row that left a group (DELETE; UPDATE with new code or config) has its buckets recomputed from
 *   `latest_materializations` (≤ 1,024 rows through the (asset_key, ordinal) index): min and max
 *   have no inverse;
 * - all of it under a transaction lock per asset taken in key order, so two writers of one asset
 *   update its buckets one after the other, the second seeing the first's rows (each statement of a
 *   plpgsql function takes a new snapshot);
 * - the functions carry the schema's search_path (`SET search_path FROM CURRENT`): a writer whose
 *   session points elsewhere (an admin's DELETE) still reaches this schema's tables;
 * - the fingerprint takes the XOR of the rows that left and came (XOR is its own inverse, and the
 *   deltas of concurrent writers commute under the row lock of the update).
 */
const PARTITION_AGGREGATES: readonly string[] = [
  `CREATE TABLE partition_buckets (
    asset_key TEXT NOT NULL, b BIGINT NOT NULL, code_version TEXT NOT NULL, config_hash TEXT NOT NULL,
    n BIGINT NOT NULL, lo BIGINT NOT NULL, hi BIGINT NOT NULL, s BIGINT NOT NULL, s2 BIGINT NOT NULL,
    PRIMARY KEY (asset_key, b, code_version, config_hash))`,
  "CREATE TABLE partition_fingerprints (asset_key TEXT PRIMARY KEY, n BIGINT NOT NULL, fp BIGINT NOT NULL)",
  `CREATE FUNCTION lock_partition_aggregates(keys TEXT[]) RETURNS void LANGUAGE sql AS $$
    SELECT pg_advisory_xact_lock(${0x64616779}, hashtext(k)) FROM (SELECT DISTINCT unnest(keys) AS k ORDER BY 1) t $$`,
  // enable_seqscan off: a table filled by the same statement has no statistics yet, and the planner then
  // joined each bucket to a scan of the whole table (1M rows × 1,000 buckets); one index range per bucket
  `CREATE FUNCTION bucket_rows(keys TEXT[], bs BIGINT[]) RETURNS void LANGUAGE plpgsql SET search_path FROM CURRENT SET enable_seqscan = off AS $$
    BEGIN
      PERFORM lock_partition_aggregates(keys);
      DELETE FROM partition_buckets p USING unnest(keys, bs) AS a(k, b) WHERE p.asset_key = a.k AND p.b = a.b;
      INSERT INTO partition_buckets
        SELECT a.k, a.b, x.code_version, x.config_hash, x.n, x.lo, x.hi, x.s, x.s2
        FROM (SELECT DISTINCT k, b FROM unnest(keys, bs) AS u(k, b)) a,
        LATERAL (SELECT l.code_version, coalesce(l.config_hash, '') AS config_hash, count(*) AS n, min(l.ordinal) AS lo, max(l.ordinal) AS hi,
            sum((l.ordinal & 1023)::int4) AS s, sum(((l.ordinal & 1023) * (l.ordinal & 1023))::int4) AS s2
          FROM latest_materializations l WHERE l.asset_key = a.k AND l.ordinal BETWEEN a.b * 1024 AND a.b * 1024 + 1023 GROUP BY 1, 2) x;
    END $$`,
  `CREATE FUNCTION fingerprint_delta(keys TEXT[], hs BIGINT[], signs INT[]) RETURNS void LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
    BEGIN
      INSERT INTO partition_fingerprints AS f
        SELECT k, sum(sign), coalesce(bit_xor(h), 0) FROM unnest(keys, hs, signs) AS d(k, h, sign) GROUP BY k ORDER BY k
        ON CONFLICT (asset_key) DO UPDATE SET n = f.n + excluded.n, fp = f.fp # excluded.fp;
    END $$`,
  `CREATE FUNCTION keep_partition_aggregates() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
    DECLARE keys TEXT[]; bs BIGINT[]; fk TEXT[]; fh BIGINT[]; fs INT[];
    BEGIN
      IF TG_OP = 'INSERT' THEN
        -- new partitions only add to their groups: counts and sums add up, min and max widen
        PERFORM lock_partition_aggregates(ARRAY(SELECT DISTINCT asset_key FROM new_rows WHERE ordinal IS NOT NULL));
        INSERT INTO partition_buckets AS p
          SELECT asset_key, ordinal >> 10, code_version, coalesce(config_hash, ''), count(*), min(ordinal), max(ordinal),
            sum((ordinal & 1023)::int4), sum(((ordinal & 1023) * (ordinal & 1023))::int4)
          FROM new_rows WHERE ordinal IS NOT NULL GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4
          ON CONFLICT (asset_key, b, code_version, config_hash) DO UPDATE SET
            n = p.n + excluded.n, lo = least(p.lo, excluded.lo), hi = greatest(p.hi, excluded.hi), s = p.s + excluded.s, s2 = p.s2 + excluded.s2;
        SELECT array_agg(asset_key), array_agg(hashtextextended(partition_key || '=' || data_version, 0)), array_agg(1) INTO fk, fh, fs FROM new_rows WHERE partition_key <> '';
      ELSIF TG_OP = 'DELETE' THEN
        SELECT array_agg(asset_key), array_agg(b) INTO keys, bs FROM (SELECT DISTINCT asset_key, ordinal >> 10 AS b FROM old_rows WHERE ordinal IS NOT NULL) t;
        SELECT array_agg(asset_key), array_agg(hashtextextended(partition_key || '=' || data_version, 0)), array_agg(-1) INTO fk, fh, fs FROM old_rows WHERE partition_key <> '';
      ELSE
        -- a newer materialization of a partition with the same code and config leaves its bucket as it was;
        -- rows that moved (new code, config or ordinal) have their old and new buckets recomputed
        SELECT array_agg(asset_key), array_agg(b) INTO keys, bs FROM (SELECT DISTINCT asset_key, ordinal >> 10 AS b FROM (
          (SELECT asset_key, partition_key, ordinal, code_version, coalesce(config_hash, '') FROM new_rows
            EXCEPT SELECT asset_key, partition_key, ordinal, code_version, coalesce(config_hash, '') FROM old_rows)
          UNION ALL
          (SELECT asset_key, partition_key, ordinal, code_version, coalesce(config_hash, '') FROM old_rows
            EXCEPT SELECT asset_key, partition_key, ordinal, code_version, coalesce(config_hash, '') FROM new_rows)) moved
          WHERE ordinal IS NOT NULL) t;
        SELECT array_agg(asset_key), array_agg(h), array_agg(sign) INTO fk, fh, fs FROM (
          SELECT asset_key, hashtextextended(partition_key || '=' || data_version, 0) AS h, 1 AS sign FROM new_rows WHERE partition_key <> ''
          UNION ALL SELECT asset_key, hashtextextended(partition_key || '=' || data_version, 0), -1 FROM old_rows WHERE partition_key <> '') t;
      END IF;
      IF keys IS NOT NULL THEN PERFORM bucket_rows(keys, bs); END IF;
      IF fk IS NOT NULL THEN PERFORM fingerprint_delta(fk, fh, fs); END IF;
      RETURN NULL;
    END $$`,
  "CREATE TRIGGER partition_aggregates_insert AFTER INSERT ON latest_materializations REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION keep_partition_aggregates()",
  "CREATE TRIGGER partition_aggregates_update AFTER UPDATE ON latest_materializations REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION keep_partition_aggregates()",
  "CREATE TRIGGER partition_aggregates_delete AFTER DELETE ON latest_materializations REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION keep_partition_aggregates()",
  // a state made before: its aggregates from what it holds
  `SELECT bucket_rows(array_agg(asset_key), array_agg(b)) FROM (SELECT DISTINCT asset_key, ordinal >> 10 AS b FROM latest_materializations WHERE ordinal IS NOT NULL) t HAVING count(*) > 0`,
  `INSERT INTO partition_fingerprints SELECT asset_key, count(*), coalesce(bit_xor(hashtextextended(partition_key || '=' || data_version, 0)), 0)
    FROM latest_materializations WHERE partition_key <> '' GROUP BY asset_key`,
];

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
  // 2: change notifications for the UI's live feed (io/state/postgres-changes.ts). One statement-level
  // trigger per table the UI shows sends NOTIFY dagx_changes with the schema's name, on commit; the
  // notifications of one transaction collapse into one. Every writer is covered, whatever its version.
  [
    `CREATE FUNCTION notify_change() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN PERFORM pg_notify('${CHANGE_CHANNEL}', TG_TABLE_SCHEMA); RETURN NULL; END $$`,
    ...CHANGE_TABLES.map((t) => `CREATE TRIGGER notify_change AFTER INSERT OR UPDATE OR DELETE ON ${t} FOR EACH STATEMENT EXECUTE FUNCTION notify_change()`),
  ],
  // 3: partition aggregates kept by the writes (_pg-partitions.ts), so a summary reads ~1 row per
  // bucket of 1,024 time partitions instead of scanning them all, and the fingerprint is one row
  PARTITION_AGGREGATES,
  // 4: daemon leader election (issue 17 item 3; postgres-leader.ts) ─────────────────────────────
  // One row: the elected daemon and its term (the fence every tick's transaction checks), plus
  // one row per daemon process (leader or standby) for `dagx daemon status`. Times are the
  // server's clock in epoch ms, so machines with skewed clocks agree on staleness.
  [
    `CREATE TABLE daemon_leader (
      id INTEGER PRIMARY KEY CHECK (id = 1), term BIGINT NOT NULL, daemon_id TEXT, host TEXT, pid INTEGER, backend_pid INTEGER,
      elected_at BIGINT, beat_at BIGINT, timeout_ms BIGINT)`,
    "INSERT INTO daemon_leader (id, term) VALUES (1, 0)",
    `CREATE TABLE daemons (
      daemon_id TEXT PRIMARY KEY, host TEXT NOT NULL, pid INTEGER NOT NULL, role TEXT NOT NULL, started_at BIGINT NOT NULL,
      beat_at BIGINT NOT NULL, timeout_ms BIGINT NOT NULL)`,
  ],
  // ── end of daemon leader election ───────────────────────────────────────────────────────────
  // 5: the work queue of runs executed by `dagx worker` processes (io/queue, docs/workers.md)
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
  // 6: concurrency pools across workers (docs/workers.md, "Pools"): an item's pool and the limits
  // the submitter's config gave (pools.NAME, workers.maxSteps), counted over claimed items at claim time
  [
    "ALTER TABLE queue_items ADD COLUMN pool TEXT, ADD COLUMN pool_limit INTEGER, ADD COLUMN total_limit INTEGER",
    "CREATE INDEX queue_items_claimed ON queue_items (pool) WHERE status = 'claimed'",
    // the backfill a queued run belongs to: its partition statuses are recorded by the fenced commits (backfill --queue --detach)
    "ALTER TABLE queue_runs ADD COLUMN backfill_id TEXT",
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
export const versionOf = async (q: { unsafe(text: string, params?: unknown[]): Promise<unknown> }, schema: string): Promise<number> => {
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
