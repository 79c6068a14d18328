/**
 * What postgresTable runs inside Postgres: each is one `DO` block, so it is one statement and one
 * transaction (read committed) — all of it happens, or (on any error) none of it. Values are
 * written into the block as literals; the block's own quote tag is chosen so that no value can
 * end it. A block reports why it refused by raising `dagx-<reason>:<detail>`, which
 * postgres-table.ts turns into a message (see `refusal`).
 *
 * Names: the asset's table, its ownership record `<schema>._dagx_owned` (every table dagx
 * created in the schema and its asset), the `_dagx_partition` column of partitioned tables, and
 * `_dagx_tmp_<ms>_<random>` tables a write builds before it swaps them in, and `_dagx_claims`:
 * the claim order of queue workers' swaps when the state is in another database (swapSql's lease).
 */
import type { LeaseFence } from "../../core/attempt-outputs.ts";

/** The column holding each row's partition key in a partitioned asset's table. */
export const PARTITION_COL = "_dagx_partition";
/** The ownership record of a schema. */
export const OWNED_TABLE = "_dagx_owned";
/** Where workers' swaps into a database other than the state's record the claim that made each output (table|partition): swaps go in claim order. */
export const FENCE_TABLE = "_dagx_claims";
/** Prefix of the tables a write builds before it swaps them in. */
export const TEMP_PREFIX = "_dagx_tmp_";
/** A temp table older than this is a leftover of a killed run, dropped by the next write to the schema. */
const STALE_TEMP_MS = 24 * 60 * 60 * 1000;

/** Where an asset's table is; `json`: the one-row (per partition) table of a JSON value. */
export interface PgLocation {
  schema: string;
  table: string;
  json: boolean;
}

const PREFIX = "postgres:";
const JSON_PREFIX = "postgres-json:";

export function formatLocation(l: PgLocation): string {
  return `${l.json ? JSON_PREFIX : PREFIX}${encodeURIComponent(l.schema)}/${encodeURIComponent(l.table)}`;
}

/** The table a location names, or null when postgresTable did not write it. */
export function parseLocation(location: string): PgLocation | null {
  const json = location.startsWith(JSON_PREFIX);
  if (!json && !location.startsWith(PREFIX)) return null;
  const parts = location.slice(json ? JSON_PREFIX.length : PREFIX.length).split("/");
  if (parts.length !== 2 || parts.some((p) => p === "")) return null;
  try {
    return { schema: decodeURIComponent(parts[0]!), table: decodeURIComponent(parts[1]!), json };
  } catch {
    return null;
  }
}

/** The table of asset `key`: its key with "/" as "__" (`analytics/daily` → `analytics__daily`). */
export function tableNameOf(key: string): string {
  return key.replaceAll("/", "__");
}

/** A fresh temp table name; its creation time is in it, so a later write knows a leftover. */
export function tempName(now: number): string {
  return `${TEMP_PREFIX}${now}_${crypto.randomUUID().slice(0, 8)}`;
}

/** A Postgres string literal (standard_conforming_strings on, as since 9.1; E'' when a backslash could matter). */
function lit(s: string): string {
  const q = `'${s.replaceAll("'", "''")}'`;
  return s.includes("\\") ? `E${q.replaceAll("\\", "\\\\")}` : q;
}

/** `DO $tag$ … $tag$` with a tag no value inside contains. */
function block(declare: string, body: string, values: readonly string[]): string {
  let tag = "dagx";
  while (values.some((v) => v.includes(`$${tag}$`)) || body.includes(`$${tag}$`)) tag += "_";
  return `DO $${tag}$\nDECLARE\n${declare}\nBEGIN\n${body}\nEND $${tag}$`;
}

/**
 * Create the schema and its ownership record when missing. Only when missing: `CREATE SCHEMA IF
 * NOT EXISTS` needs the CREATE privilege on the database even when the schema exists, which a
 * user writing into a schema made for them may not have.
 */
export function prepareSql(schema: string): string {
  const body = `  IF to_regnamespace(s) IS NULL THEN EXECUTE format('CREATE SCHEMA %I', s); END IF;
  IF to_regclass(format('%I.${OWNED_TABLE}', s)) IS NULL THEN
    EXECUTE format('CREATE TABLE %I.${OWNED_TABLE} (table_name text PRIMARY KEY, asset_key text NOT NULL, created_at timestamptz NOT NULL DEFAULT now())', s);
  END IF;`;
  return block(`  s text := ${lit(schema)};`, body, [schema]);
}

const COMMON_DECLARE = `  s text := %SCHEMA%;
  t text := %TABLE%;
  k text := %KEY%;
  owner text;
  exists_t boolean;
  partitioned boolean;`;

/** Lock the ownership record (swaps of one schema take turns; reads go on) and find who holds the table. */
const COMMON_CHECK = `  PERFORM set_config('lock_timeout', %LOCK%, true);
  EXECUTE format('LOCK TABLE %I.${OWNED_TABLE} IN SHARE ROW EXCLUSIVE MODE', s);
  EXECUTE format('SELECT asset_key FROM %I.${OWNED_TABLE} WHERE table_name = $1', s) INTO owner USING t;
  exists_t := to_regclass(format('%I.%I', s, t)) IS NOT NULL;
  IF exists_t AND owner IS NULL THEN RAISE EXCEPTION 'dagx-foreign:%', t; END IF;
  IF owner IS NOT NULL AND owner <> k THEN RAISE EXCEPTION 'dagx-other:%', owner; END IF;
  partitioned := exists_t AND EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = to_regclass(format('%I.%I', s, t)) AND attname = '${PARTITION_COL}' AND NOT attisdropped);`;

/** What every block is told: the table, its asset, and how long it may wait for a lock (ms; 0: no limit). */
export interface BlockValues {
  schema: string;
  table: string;
  assetKey: string;
  lockTimeoutMs: number;
}

function fill(text: string, v: BlockValues): string {
  return text
    .replace("%SCHEMA%", () => lit(v.schema))
    .replace("%TABLE%", () => lit(v.table))
    .replace("%KEY%", () => lit(v.assetKey))
    .replaceAll("%LOCK%", () => lit(`${Math.round(v.lockTimeoutMs)}ms`));
}

/** Refuse (raise) unless `assetKey` may write `schema.table`: it is free, or dagx's table of that asset. */
export function checkSql(v: BlockValues): string {
  return block(fill(COMMON_DECLARE, v), fill(COMMON_CHECK, v), [v.schema, v.table, v.assetKey]);
}

/**
 * Swap the built table `tmp` in, in one transaction:
 * - a partition into dagx's table of partitions: add the columns it lacks, delete the partition's
 *   rows, insert the new ones (by column name);
 * - anything else: drop the old table and rename the new one to its name — or, when views of the
 *   user's depend on the old table (Postgres refuses to drop it), replace its rows instead, which
 *   needs the same columns.
 * Leftover temp tables of killed runs (older than a day) are dropped on the way. With a worker's
 * `lease`: refused (`dagx-lease`) when that lease is lost (the state's database) or when a later
 * claim already swapped this output (another database: `_dagx_claims`).
 */
export function swapSql(v: BlockValues & { tmp: string; partitionKey: string; now: number; lease?: LeaseFence }): string {
  const l = v.lease;
  const declare = `${fill(COMMON_DECLARE, v)}
  tmp text := ${lit(v.tmp)};
  pk text := ${lit(v.partitionKey)};
  cols text;
  col record;
  replaced boolean := false;${l ? `
  ls text := ${lit(l.stateSchema)};
  lease_run bigint;
  lease_held integer;
  fence_key text := ${lit(`${v.table}|${v.partitionKey}`)};
  fence_prev numeric;` : ""}`;
  // a worker's swap, in the database holding the state (its queue tables there, readable by this
  // user, holding this run): only while its lease is held, and holding the lease's row until it
  // commits (no other worker can claim the step meanwhile). Elsewhere (another database, or no
  // right to those tables): in claim order, the claim's txid on the state server (_dagx_claims).
  const fence = l
    ? `
  IF to_regclass(format('%I.queue_items', ls)) IS NOT NULL AND to_regclass(format('%I.queue_runs', ls)) IS NOT NULL
    AND has_table_privilege(format('%I.queue_items', ls), 'UPDATE') AND has_table_privilege(format('%I.queue_runs', ls), 'SELECT') THEN
    EXECUTE format('SELECT count(*) FROM %I.queue_runs WHERE run_id = $1', ls) INTO lease_run USING ${lit(l.runId)};
    IF lease_run > 0 THEN
      EXECUTE format('SELECT 1 FROM %I.queue_items WHERE run_id = $1 AND item_id = $2 AND epoch = $3 AND worker_id = $4 AND status = ''claimed'' AND lease_until >= clock_timestamp() FOR UPDATE', ls)
        INTO lease_held USING ${lit(l.runId)}, ${lit(l.itemId)}, ${Math.trunc(l.epoch)}::bigint, ${lit(l.workerId)};
      IF lease_held IS NULL THEN RAISE EXCEPTION 'dagx-lease:%', t; END IF;
    END IF;
  END IF;${l.claimOrder && /^[0-9]{1,20}$/.test(l.claimOrder) ? `
  IF lease_run IS NULL OR lease_run = 0 THEN
    -- another database: swaps go in claim order (${FENCE_TABLE}), so one of a claim the state gave up never replaces a later claim's
    IF to_regclass(format('%I.${FENCE_TABLE}', s)) IS NULL THEN
      EXECUTE format('CREATE TABLE %I.${FENCE_TABLE} (output text PRIMARY KEY, claim_order numeric NOT NULL, run_id text NOT NULL, epoch bigint NOT NULL)', s);
    END IF;
    EXECUTE format('SELECT claim_order FROM %I.${FENCE_TABLE} WHERE output = $1 FOR UPDATE', s) INTO fence_prev USING fence_key;
    IF fence_prev IS NOT NULL AND fence_prev > ${l.claimOrder} THEN RAISE EXCEPTION 'dagx-lease:%', t; END IF;
    EXECUTE format('INSERT INTO %I.${FENCE_TABLE} (output, claim_order, run_id, epoch) VALUES ($1, $2, $3, $4) ON CONFLICT (output) DO UPDATE SET claim_order = EXCLUDED.claim_order, run_id = EXCLUDED.run_id, epoch = EXCLUDED.epoch', s)
      USING fence_key, ${l.claimOrder}::numeric, ${lit(l.runId)}, ${Math.trunc(l.epoch)}::bigint;
  END IF;` : ""}`
    : "";
  const body = `${fill(COMMON_CHECK, v)}${fence}
  IF pk <> '' AND partitioned THEN
    FOR col IN SELECT a.attname, format_type(a.atttypid, a.atttypmod) AS typ FROM pg_attribute a
      WHERE a.attrelid = to_regclass(format('%I.%I', s, tmp)) AND a.attnum > 0 AND NOT a.attisdropped
        AND a.attname NOT IN (SELECT b.attname FROM pg_attribute b WHERE b.attrelid = to_regclass(format('%I.%I', s, t)) AND b.attnum > 0 AND NOT b.attisdropped)
      ORDER BY a.attnum
    LOOP
      EXECUTE format('ALTER TABLE %I.%I ADD COLUMN %I %s', s, t, col.attname, col.typ);
    END LOOP;
    EXECUTE format('DELETE FROM %I.%I WHERE ${PARTITION_COL} = $1', s, t) USING pk;
    SELECT string_agg(quote_ident(attname), ', ' ORDER BY attnum) INTO cols FROM pg_attribute WHERE attrelid = to_regclass(format('%I.%I', s, tmp)) AND attnum > 0 AND NOT attisdropped;
    EXECUTE format('INSERT INTO %I.%I (%s) SELECT %s FROM %I.%I', s, t, cols, cols, s, tmp);
    EXECUTE format('DROP TABLE %I.%I', s, tmp);
  ELSE
    IF exists_t THEN
      BEGIN
        EXECUTE format('DROP TABLE %I.%I', s, t);
      EXCEPTION WHEN dependent_objects_still_exist THEN
        IF (SELECT string_agg(attname || ' ' || format_type(atttypid, atttypmod), ', ' ORDER BY attnum) FROM pg_attribute WHERE attrelid = to_regclass(format('%I.%I', s, t)) AND attnum > 0 AND NOT attisdropped)
          IS DISTINCT FROM (SELECT string_agg(attname || ' ' || format_type(atttypid, atttypmod), ', ' ORDER BY attnum) FROM pg_attribute WHERE attrelid = to_regclass(format('%I.%I', s, tmp)) AND attnum > 0 AND NOT attisdropped) THEN
          RAISE EXCEPTION 'dagx-dependents:%', t;
        END IF;
        EXECUTE format('TRUNCATE %I.%I', s, t);
        EXECUTE format('INSERT INTO %I.%I SELECT * FROM %I.%I', s, t, s, tmp);
        EXECUTE format('DROP TABLE %I.%I', s, tmp);
        replaced := true;
      END;
    END IF;
    IF NOT replaced THEN
      EXECUTE format('ALTER TABLE %I.%I RENAME TO %I', s, tmp, t);
    END IF;
  END IF;
  EXECUTE format('DELETE FROM %I.${OWNED_TABLE} WHERE table_name = $1', s) USING t;
  EXECUTE format('INSERT INTO %I.${OWNED_TABLE} (table_name, asset_key) VALUES ($1, $2)', s) USING t, k;
  FOR col IN SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = s AND c.relkind = 'r' AND c.relname LIKE '${TEMP_PREFIX.replaceAll("_", "\\_")}%' AND c.relname <> tmp
      AND split_part(c.relname, '_', 4) ~ '^[0-9]{1,15}$' AND split_part(c.relname, '_', 4)::bigint < ${v.now - STALE_TEMP_MS}
  LOOP
    EXECUTE format('DROP TABLE IF EXISTS %I.%I', s, col.relname);
  END LOOP;`;
  return block(declare, body, [v.schema, v.table, v.assetKey, v.tmp, v.partitionKey, ...(l ? [l.stateSchema, l.runId, l.itemId, l.workerId] : [])]);
}

/**
 * Remove what dagx stored for `assetKey` (its partition when given): rows of a partition; the
 * table and its ownership record when nothing else is left. Anything dagx did not create for this
 * very asset is left as it is; so is a schema without a record.
 */
export function removeSql(v: BlockValues & { partitionKey: string }): string {
  const declare = `${fill(COMMON_DECLARE, v)}
  pk text := ${lit(v.partitionKey)};
  left_rows bigint;`;
  const body = `  IF to_regclass(format('%I.${OWNED_TABLE}', s)) IS NULL THEN RETURN; END IF;
  PERFORM set_config('lock_timeout', %LOCK%, true);
  EXECUTE format('LOCK TABLE %I.${OWNED_TABLE} IN SHARE ROW EXCLUSIVE MODE', s);
  EXECUTE format('SELECT asset_key FROM %I.${OWNED_TABLE} WHERE table_name = $1', s) INTO owner USING t;
  IF owner IS DISTINCT FROM k THEN RETURN; END IF;
  exists_t := to_regclass(format('%I.%I', s, t)) IS NOT NULL;
  partitioned := exists_t AND EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = to_regclass(format('%I.%I', s, t)) AND attname = '${PARTITION_COL}' AND NOT attisdropped);
  IF pk <> '' AND partitioned THEN
    EXECUTE format('DELETE FROM %I.%I WHERE ${PARTITION_COL} = $1', s, t) USING pk;
    EXECUTE format('SELECT count(*) FROM (SELECT 1 FROM %I.%I LIMIT 1) x', s, t) INTO left_rows;
    IF left_rows > 0 THEN RETURN; END IF;
  END IF;
  IF exists_t THEN EXECUTE format('DROP TABLE %I.%I', s, t); END IF;
  EXECUTE format('DELETE FROM %I.${OWNED_TABLE} WHERE table_name = $1', s) USING t;`;
  return block(declare, fill(body, v), [v.schema, v.table, v.assetKey, v.partitionKey]);
}

/** Why a block refused, from the error DuckDB passes on: [reason, detail], or null for any other error. */
export function refusal(message: string): [string, string] | null {
  const m = /ERROR:\s+dagx-(foreign|other|dependents|lease):([^\n]*)/.exec(message);
  return m ? [m[1]!, m[2]!.trim()] : null;
}
