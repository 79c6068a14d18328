/**
 * DDL of `.dagx/state.duckdb` and its forward-only migrations.
 *
 * Decisions (measured on DuckDB 1.5, see io/state/duckdb-store.ts):
 * - No ART indexes on the big tables: DuckDB rewrites index storage at the checkpoint every
 *   close performs, so a PRIMARY KEY on a 1,000,000-row table made each open→write→close
 *   2.5× slower (~75 ms vs ~30 ms). Lookups rely on scans + zonemaps instead.
 * - `latest_materializations` / `latest_failures` hold one row per (asset, partition) and are
 *   maintained by every write (delete-older + insert), so status queries read one row per
 *   partition and never scan the history in `materializations` / `events`.
 * - JSON columns are VARCHAR holding JSON text (no dependency on the json extension). The one
 *   exception is `latest_materializations.input_map` (migration 9), a MAP copy of `input_versions`
 *   that per-partition staleness reads for 1,000,000 rows at a time.
 * - `at` is a reserved word in DuckDB, so time columns are `ts` (epoch ms BIGINT).
 */
import type { DuckDBConnection } from "@duckdb/node-api";
import { CODE_VERSION_SCHEME } from "../../core/state-store.ts";

const MATERIALIZATION_COLUMNS = `
  asset_key VARCHAR NOT NULL,
  partition_key VARCHAR NOT NULL,
  run_id VARCHAR NOT NULL,
  ts BIGINT NOT NULL,
  data_version VARCHAR NOT NULL,
  code_version VARCHAR NOT NULL,
  input_versions VARCHAR NOT NULL,
  path VARCHAR NOT NULL,
  format VARCHAR NOT NULL,
  row_count BIGINT,
  byte_count BIGINT,
  output_schema VARCHAR,
  metadata VARCHAR`;

/** Migration n (1-based) is `MIGRATIONS[n - 1]`; append only, never edit a shipped entry. */
export const MIGRATIONS: readonly (readonly string[])[] = [
  [
    `CREATE TABLE runs (
      run_id VARCHAR PRIMARY KEY,
      status VARCHAR NOT NULL,
      selection VARCHAR NOT NULL,
      trigger VARCHAR NOT NULL,
      pid INTEGER NOT NULL,
      host VARCHAR NOT NULL,
      started_at BIGINT NOT NULL,
      ended_at BIGINT,
      heartbeat_at BIGINT NOT NULL)`,
    `CREATE TABLE events (
      run_id VARCHAR NOT NULL,
      seq INTEGER NOT NULL,
      ts BIGINT NOT NULL,
      type VARCHAR NOT NULL,
      asset_key VARCHAR,
      partition_key VARCHAR,
      payload VARCHAR NOT NULL)`,
    `CREATE TABLE materializations (${MATERIALIZATION_COLUMNS})`,
    `CREATE TABLE latest_materializations (${MATERIALIZATION_COLUMNS})`,
    `CREATE TABLE latest_failures (
      asset_key VARCHAR NOT NULL,
      partition_key VARCHAR NOT NULL,
      run_id VARCHAR NOT NULL,
      ts BIGINT NOT NULL,
      error VARCHAR NOT NULL)`,
    `CREATE TABLE check_results (
      run_id VARCHAR NOT NULL,
      asset_key VARCHAR NOT NULL,
      partition_key VARCHAR NOT NULL,
      check_name VARCHAR NOT NULL,
      ts BIGINT NOT NULL,
      passed BOOLEAN NOT NULL,
      severity VARCHAR NOT NULL,
      metadata VARCHAR)`,
    `CREATE TABLE backfills (
      backfill_id VARCHAR PRIMARY KEY,
      status VARCHAR NOT NULL,
      selection VARCHAR NOT NULL,
      created_at BIGINT NOT NULL,
      updated_at BIGINT NOT NULL)`,
    `CREATE TABLE backfill_partitions (
      backfill_id VARCHAR NOT NULL,
      partition_key VARCHAR NOT NULL,
      status VARCHAR NOT NULL,
      run_id VARCHAR,
      updated_at BIGINT NOT NULL)`,
    `CREATE TABLE ticks (
      name VARCHAR NOT NULL,
      kind VARCHAR NOT NULL,
      ts BIGINT NOT NULL,
      status VARCHAR NOT NULL,
      run_ids VARCHAR,
      cursor VARCHAR,
      error VARCHAR)`,
    `CREATE TABLE cursors (
      name VARCHAR PRIMARY KEY,
      value VARCHAR NOT NULL,
      updated_at BIGINT NOT NULL)`,
    `CREATE TABLE dynamic_partitions (
      partitions_def VARCHAR NOT NULL,
      partition_key VARCHAR NOT NULL,
      added_at BIGINT NOT NULL)`,
  ],
  // 2: partition ordinals (time partitions as numbers, for range queries in SQL), backfills with
  // their full records, and an insertion-order column for dynamic partitions.
  [
    "ALTER TABLE materializations ADD COLUMN ordinal BIGINT",
    "ALTER TABLE latest_materializations ADD COLUMN ordinal BIGINT",
    "ALTER TABLE latest_failures ADD COLUMN ordinal BIGINT",
    // Never written by migration-1 builds: recreated rather than altered.
    "DROP TABLE backfill_partitions",
    "DROP TABLE backfills",
    `CREATE TABLE backfills (
      backfill_id VARCHAR PRIMARY KEY,
      status VARCHAR NOT NULL,
      selection VARCHAR NOT NULL,
      partitions VARCHAR NOT NULL,
      pid INTEGER NOT NULL,
      host VARCHAR NOT NULL,
      created_at BIGINT NOT NULL,
      updated_at BIGINT NOT NULL,
      cancel_requested BOOLEAN NOT NULL,
      options VARCHAR NOT NULL)`,
    // Keyed by (backfill_id, asset_key, partition_key) without an index: upserts delete + insert.
    `CREATE TABLE backfill_partitions (
      backfill_id VARCHAR NOT NULL,
      asset_key VARCHAR NOT NULL,
      partition_key VARCHAR NOT NULL,
      status VARCHAR NOT NULL,
      run_id VARCHAR,
      error VARCHAR,
      updated_at BIGINT NOT NULL)`,
    // Insertion order within one added_at (and across clock steps): a per-file counter.
    "ALTER TABLE dynamic_partitions ADD COLUMN seq BIGINT",
    "UPDATE dynamic_partitions SET seq = rowid",
  ],
  // 3: schedules, sensors and automation. Migration 1's `ticks` and `cursors` were never written:
  // replaced by `instigators` (one row per schedule/sensor/automation, cursor included), `ticks`
  // (evaluation history) and `run_requests` (the daemon's queue; `run_key` dedupes, no index).
  // `seq` numbers rows in insertion order (per table, max + 1): rowid is not stable across vacuums.
  [
    "DROP TABLE ticks",
    "DROP TABLE cursors",
    `CREATE TABLE instigators (
      name VARCHAR PRIMARY KEY,
      kind VARCHAR NOT NULL,
      status VARCHAR NOT NULL,
      created_at BIGINT NOT NULL,
      last_tick_at BIGINT,
      cursor VARCHAR,
      data VARCHAR NOT NULL,
      updated_at BIGINT NOT NULL)`,
    `CREATE TABLE ticks (
      name VARCHAR NOT NULL,
      kind VARCHAR NOT NULL,
      tick_at BIGINT NOT NULL,
      evaluated_at BIGINT NOT NULL,
      status VARCHAR NOT NULL,
      reason VARCHAR,
      request_ids VARCHAR NOT NULL,
      seq BIGINT NOT NULL)`,
    `CREATE TABLE run_requests (
      request_id VARCHAR NOT NULL,
      source VARCHAR NOT NULL,
      kind VARCHAR NOT NULL,
      run_key VARCHAR,
      selection VARCHAR NOT NULL,
      partitions VARCHAR,
      status VARCHAR NOT NULL,
      run_id VARCHAR,
      reason VARCHAR,
      created_at BIGINT NOT NULL,
      updated_at BIGINT NOT NULL,
      seq BIGINT NOT NULL)`,
  ],
  // 4: asset checks. Migration 1's `check_results` (never written) gains what a result carries, and
  // `latest_check_results` keeps the newest per (asset, partition, check), as latest_materializations
  // does, so status never scans the history. Same column order in both (one insert shape).
  [
    "ALTER TABLE check_results ADD COLUMN blocking BOOLEAN",
    "ALTER TABLE check_results ADD COLUMN description VARCHAR",
    "ALTER TABLE check_results ADD COLUMN sample VARCHAR",
    "ALTER TABLE check_results ADD COLUMN error VARCHAR",
    `CREATE TABLE latest_check_results (
      run_id VARCHAR NOT NULL,
      asset_key VARCHAR NOT NULL,
      partition_key VARCHAR NOT NULL,
      check_name VARCHAR NOT NULL,
      ts BIGINT NOT NULL,
      passed BOOLEAN NOT NULL,
      severity VARCHAR NOT NULL,
      metadata VARCHAR,
      blocking BOOLEAN,
      description VARCHAR,
      sample VARCHAR,
      error VARCHAR)`,
  ],
  // 5: output mtimes a content hash confirmed (a copied or touched project): status trusts a file
  // whose mtime is newer than its row only after hashing it once, and records the mtime here so the
  // next status does not hash again. One row per (asset, partition), valid while (run_id, ts) are
  // those of the latest materialization; `ts` 4th, as upsertNewest expects.
  [
    `CREATE TABLE output_mtimes (
      asset_key VARCHAR NOT NULL,
      partition_key VARCHAR NOT NULL,
      run_id VARCHAR NOT NULL,
      ts BIGINT NOT NULL,
      mtime_ms DOUBLE NOT NULL)`,
  ],
  // 6: run tags (`run_tags`, one row per tag, so `dagx runs --tag k=v` filters in SQL), the assets a
  // run materializes (JSON list: automation sees runs in progress from any process), and on run
  // requests their tags and the instant their partitions are resolved at (`as_of`, the tick).
  [
    "ALTER TABLE runs ADD COLUMN assets VARCHAR",
    `CREATE TABLE run_tags (
      run_id VARCHAR NOT NULL,
      key VARCHAR NOT NULL,
      value VARCHAR NOT NULL)`,
    "ALTER TABLE run_requests ADD COLUMN tags VARCHAR",
    "ALTER TABLE run_requests ADD COLUMN as_of BIGINT",
  ],
  // 7: the code-version scheme of the recorded code versions (none recorded: scheme 1, every build
  // up to schema 6, which hashed Bun's printing of functions; a new file gets this build's scheme in
  // migrate()), and which latest materializations a newer scheme adopted because the code was the
  // same (io/state/_code-versions.ts).
  [
    `CREATE TABLE code_version_scheme (
      scheme INTEGER NOT NULL,
      applied_at BIGINT NOT NULL)`,
    `CREATE TABLE code_version_adoptions (
      asset_key VARCHAR NOT NULL,
      from_version VARCHAR NOT NULL,
      to_version VARCHAR NOT NULL,
      partitions BIGINT NOT NULL,
      adopted_at BIGINT NOT NULL)`,
  ],
  // 8: per-run config (core/run-config.ts): the run's resolved config by asset key (JSON, secrets
  // redacted), and on each materialization the hash of the config it ran with (NULL: the asset
  // declared no config schema, or the row predates this migration), which status compares with
  // what a plain run would use now ("config changed"); a sensor's run request carries its config too.
  [
    "ALTER TABLE runs ADD COLUMN config VARCHAR",
    "ALTER TABLE materializations ADD COLUMN config_hash VARCHAR",
    "ALTER TABLE latest_materializations ADD COLUMN config_hash VARCHAR",
    "ALTER TABLE run_requests ADD COLUMN config VARCHAR",
  ],
  // 9: the input versions of each latest materialization as a typed map (upstream key → the data
  // version it read), beside the JSON text, so per-partition staleness reads one upstream's version
  // without parsing JSON (io/state/_staleness.ts). Rows written before this migration keep NULL and
  // are answered from `input_versions` as before: no backfill, the state file may be large. History
  // (`materializations`) does not need it.
  ["ALTER TABLE latest_materializations ADD COLUMN input_map MAP(VARCHAR, VARCHAR)"],
  // alerts: incidents (one open per incident_key, enforced by the store's transaction, not an
  // index: the tables stay small and an ART index slows every checkpoint) and the deliveries about
  // them (io/state/duckdb-alerts.ts)
  [
    `CREATE TABLE alert_incidents (
      incident_id VARCHAR NOT NULL,
      incident_key VARCHAR NOT NULL,
      kind VARCHAR NOT NULL,
      asset_key VARCHAR,
      partition_key VARCHAR,
      check_name VARCHAR,
      instigator VARCHAR,
      run_id VARCHAR,
      message VARCHAR NOT NULL,
      opened_at BIGINT NOT NULL,
      resolved_at BIGINT,
      resolved_by VARCHAR
    )`,
    `CREATE TABLE alert_deliveries (
      incident_id VARCHAR NOT NULL,
      alert VARCHAR NOT NULL,
      target VARCHAR NOT NULL,
      event VARCHAR NOT NULL,
      status VARCHAR NOT NULL,
      attempts INTEGER NOT NULL,
      error VARCHAR,
      ts BIGINT NOT NULL
    )`,
  ],
  // 11: a cross-process cancel for single runs (`dagx cancel RUN`, the UI's Cancel button): when a
  // cancel was first asked for, NULL when never. The run's process polls it (io/run/materialize.ts).
  ["ALTER TABLE runs ADD COLUMN cancel_requested_at BIGINT"],
];

/** The schema version this build writes. */
export const SCHEMA_VERSION = MIGRATIONS.length;

/** A state file written by a newer dagx than this one. */
export class SchemaTooNewError extends Error {
  constructor(readonly found: number) {
    super(`state schema version ${found} is newer than ${SCHEMA_VERSION}`);
  }
}

async function currentVersion(conn: DuckDBConnection): Promise<number> {
  try {
    const reader = await conn.runAndReadAll("SELECT coalesce(max(version), 0) AS v FROM schema_version");
    return Number(reader.getRowObjectsJS()[0]?.v ?? 0);
  } catch (error) {
    // A new file (querying duckdb_tables() instead costs ~4 ms on every open).
    if (/Table with name schema_version does not exist/.test(String(error))) return 0;
    throw error;
  }
}

/**
 * Bring the open file up to {@link SCHEMA_VERSION}. Each migration runs in its own transaction
 * together with its `schema_version` row. Concurrent first opens are safe because the caller holds
 * the file's exclusive lock (DuckDB's, plus our gate) for the whole session: a second process only
 * gets in after the first committed, and then sees the new version.
 */
export async function migrate(conn: DuckDBConnection, now: number): Promise<void> {
  const found = await currentVersion(conn);
  if (found === SCHEMA_VERSION) return;
  if (found > SCHEMA_VERSION) throw new SchemaTooNewError(found);
  if (found === 0) await conn.run("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL, applied_at BIGINT NOT NULL)");
  for (let version = found + 1; version <= SCHEMA_VERSION; version++) {
    await conn.run("BEGIN TRANSACTION");
    try {
      for (const sql of MIGRATIONS[version - 1] ?? []) await conn.run(sql);
      await conn.run("INSERT INTO schema_version VALUES (?, ?)", [version, now]);
      // a new file holds no code versions yet: those it will record are of this build's scheme
      if (found === 0 && version === SCHEMA_VERSION) await conn.run("INSERT INTO code_version_scheme VALUES (?, ?)", [CODE_VERSION_SCHEME, now]);
      await conn.run("COMMIT");
    } catch (error) {
      await conn.run("ROLLBACK").catch(() => {});
      throw error;
    }
  }
}
