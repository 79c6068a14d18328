/**
 * `dagx state migrate --to postgres://…`: copy a project's DuckDB state file into an empty Postgres
 * state (issue 17 item 1), so a project that outgrew one machine keeps its history. One DuckDB session
 * reads every table (the file's own migrations run first: an old file is brought up to date), and one
 * Postgres transaction writes them: the copy is all or nothing, and a state that holds anything
 * already is refused rather than merged.
 *
 * Columns are matched by name: the Postgres tables carry the file's columns (_pg-schema.ts) plus
 * identities (`seq`, `id`) that number rows in insertion order, so rows are copied in the file's
 * order (its `seq`, events by run and seq, history by time). `latest_materializations.input_map`
 * (a DuckDB MAP copy of `input_versions`) has no Postgres column: the JSON text is read instead.
 */
import { StateStoreError } from "../../core/errors.ts";
import { createPgOps, insertRows, type PgTx } from "./_pg-client.ts";
import { createStateOps } from "./_ops.ts";
import { rows } from "./_sql.ts";

/** Tables copied, in order, with the ORDER BY that keeps the file's insertion order. */
const TABLES: readonly (readonly [table: string, order: string])[] = [
  ["runs", "started_at, run_id"],
  ["run_tags", "run_id, key"],
  ["events", "run_id, seq"],
  ["materializations", "ts, asset_key, partition_key"],
  ["latest_materializations", "asset_key, partition_key"],
  ["latest_failures", "asset_key, partition_key"],
  ["check_results", "ts"],
  ["latest_check_results", "asset_key, partition_key, check_name"],
  ["output_mtimes", "asset_key, partition_key"],
  ["dynamic_partitions", "seq, added_at"],
  ["backfills", "created_at, backfill_id"],
  ["backfill_partitions", "backfill_id, asset_key, partition_key"],
  ["instigators", "name"],
  ["ticks", "seq"],
  ["run_requests", "seq"],
  ["code_version_scheme", "applied_at"],
  ["code_version_adoptions", "adopted_at"],
  ["alert_incidents", "opened_at, incident_id"],
  ["alert_deliveries", "ts, rowid"],
];

/** Rows per INSERT (one JSON parameter each). */
const CHUNK = 5_000;

/** How many rows of each table were copied. */
export type CopyCounts = Record<string, number>;

/**
 * Copy the DuckDB state file at `dbPath` into the Postgres state at `url` (created or migrated
 * first). Rejects with StateStoreError when the Postgres state holds runs, materializations or
 * backfills already.
 */
export async function copyStateToPostgres(dbPath: string, url: string): Promise<CopyCounts> {
  const pg = createPgOps(url);
  try {
    const columns = await pg.op("read the Postgres tables", async (q) => {
      const found = await q.unsafe(
        `SELECT table_name, column_name, data_type FROM information_schema.columns
         WHERE table_schema = $1 AND is_identity = 'NO' ORDER BY table_name, ordinal_position`,
        [pg.target.schema],
      );
      const byTable = new Map<string, [string, string][]>();
      for (const r of found) {
        const list = byTable.get(String(r.table_name)) ?? byTable.set(String(r.table_name), []).get(String(r.table_name))!;
        list.push([String(r.column_name), String(r.data_type)]);
      }
      return byTable;
    });
    const duck = createStateOps(dbPath, 30_000);
    let data: Map<string, unknown[][]>;
    try {
      data = await duck.op("read the state file", async (conn) => {
        const out = new Map<string, unknown[][]>();
        for (const [table, order] of TABLES) {
          const cols = columns.get(table);
          if (!cols) throw new StateStoreError(`Cannot copy table ${table}: the Postgres state has no such table`);
          const found = await rows(conn, `SELECT ${cols.map(([c]) => c).join(", ")} FROM ${table} ORDER BY ${order}`);
          out.set(table, found.map((r) => cols.map(([c]) => plain(r[c]))));
        }
        return out;
      });
    } finally {
      await duck.close();
    }
    return await pg.tx("copy the state into Postgres", async (q) => {
      await refuseNonEmpty(q, pg.target.shown);
      await q.unsafe("DELETE FROM code_version_scheme"); // the file's schemes replace the new state's
      const counts: CopyCounts = {};
      for (const [table] of TABLES) {
        const values = data.get(table)!;
        const cols = columns.get(table)!;
        for (let i = 0; i < values.length; i += CHUNK) await insertRows(q, table, cols, values.slice(i, i + CHUNK));
        counts[table] = values.length;
      }
      return counts;
    });
  } finally {
    await pg.close();
  }
}

/** A DuckDB value as JSON can carry it (BIGINT comes back as bigint). */
const plain = (v: unknown): unknown => (typeof v === "bigint" ? Number(v) : v);

async function refuseNonEmpty(q: PgTx, shown: string): Promise<void> {
  const [r] = await q.unsafe(`SELECT (SELECT count(*) FROM runs) + (SELECT count(*) FROM latest_materializations) + (SELECT count(*) FROM backfills) AS n`);
  if (Number(r?.n ?? 0) > 0) {
    throw new StateStoreError(`Cannot copy the state into ${shown}: it holds runs, materializations or backfills already — copy into an empty database (or a new ?schema=NAME); nothing was changed`);
  }
}
