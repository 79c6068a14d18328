/**
 * SQL helpers of the DuckDB state store (duckdb-store.ts and its duckdb-* parts):
 * statements, bound list parameters, transactions and row ↔ record conversions.
 * Values reach SQL only as bound parameters (DESIGN §11); table names are constants of ours.
 */
import { type DuckDBAppender, type DuckDBConnection, type DuckDBType, DuckDBTypeId, type DuckDBValue, LIST, listValue, mapValue, VARCHAR } from "@duckdb/node-api";
import type { EventRecord, InstigatorKind, InstigatorState, MaterializationRecord, RunRecord, RunRequestRecord, RunStatus, TickRecord } from "../../core/types.ts";
import { storedOrdinal } from "./_records.ts";

export type Row = Record<string, unknown>;

/** Run a query and return its rows as plain objects (BIGINT as bigint). */
export async function rows(conn: DuckDBConnection, sql: string, values: readonly DuckDBValue[] = [], types?: DuckDBType[]): Promise<Row[]> {
  return (await conn.runAndReadAll(sql, [...values], types)).getRowObjectsJS() as Row[];
}

/**
 * Insert rows (values in table column order) through DuckDB's appender, inside the caller's
 * transaction (a ROLLBACK drops them; constraints are checked as for INSERT). A multi-row
 * `INSERT … VALUES (?, …)` costs ~13 µs per bound value (binding plus planning every value as an
 * expression): 200 materialization rows took ~32 ms that way and take ~2 ms appended.
 */
export async function insert(conn: DuckDBConnection, table: string, values: readonly DuckDBValue[][]): Promise<void> {
  if (values.length === 0) return;
  const appender = await conn.createAppender(table);
  try {
    const types = Array.from({ length: appender.columnCount }, (_, i) => appender.columnType(i));
    for (const row of values) {
      if (row.length !== types.length) throw new Error(`insert into ${table}: ${row.length} values for ${types.length} columns`);
      for (let i = 0; i < types.length; i++) appendOne(appender, row[i] ?? null, types[i]!);
      appender.endRow();
    }
    appender.closeSync(); // flushes: constraint errors surface here
  } catch (error) {
    try {
      appender.clear();
      appender.closeSync();
    } catch {
      // already closed by the failed flush
    }
    throw error;
  }
}

/** Append one value, converting the JS types the store uses (numbers, strings, booleans) like an INSERT would cast them. */
function appendOne(appender: DuckDBAppender, v: DuckDBValue, type: DuckDBType): void {
  if (v === null) return appender.appendNull();
  switch (type.typeId) {
    case DuckDBTypeId.VARCHAR:
      return appender.appendVarchar(typeof v === "string" ? v : String(v));
    case DuckDBTypeId.BIGINT:
      return appender.appendBigInt(typeof v === "bigint" ? v : BigInt(v as number));
    case DuckDBTypeId.INTEGER:
      return appender.appendInteger(Number(v));
    case DuckDBTypeId.DOUBLE:
      return appender.appendDouble(Number(v));
    case DuckDBTypeId.BOOLEAN:
      return appender.appendBoolean(Boolean(v));
    default:
      return appender.appendValue(v, type);
  }
}

/**
 * Rows of keys as ONE bound JSON parameter, read back as a table: use `sql` as a FROM item
 * (`${sql} n`) in joins / DELETE … USING. Any number of rows costs one parameter, where a
 * `(VALUES (?, ?), …)` list pays ~13 µs per bound value.
 */
export function jsonRows(columns: Readonly<Record<string, "VARCHAR" | "BIGINT">>, values: readonly (readonly unknown[])[]): { sql: string; param: string } {
  const names = Object.keys(columns);
  const structure = JSON.stringify([columns]).replaceAll("'", "''");
  const objects = values.map((row) => Object.fromEntries(names.map((name, i) => [name, typeof row[i] === "bigint" ? String(row[i]) : row[i] ?? null])));
  return { sql: `(SELECT unnest(from_json(?, '${structure}'), recursive := true))`, param: JSON.stringify(objects) };
}

/** A row for {@link upsertNewest}: its key values (in `keys` order), its time, and all its column values. */
export interface NewestRow {
  key: readonly string[];
  ts: number;
  values: DuckDBValue[];
}

/**
 * Upsert rows (one per key) into a latest_* table, keeping whichever row is newer by `ts`. Both
 * statements join the table against the few incoming keys (hash-built on the small side): ~10 ms
 * each at 1,000,000 rows, where an anti-join built a hash table over the whole table (~35 ms).
 * The keys travel as one JSON parameter (see jsonRows).
 */
export async function upsertNewest(conn: DuckDBConnection, table: string, keys: readonly string[], incoming: readonly NewestRow[]): Promise<void> {
  const columns = Object.fromEntries([...keys.map((k) => [k, "VARCHAR"] as const), ["ts", "BIGINT"] as const]);
  const n = jsonRows(columns, incoming.map((r) => [...r.key, r.ts]));
  const same = keys.map((k) => `l.${k} = n.${k}`).join(" AND ");
  const newer = await rows(conn, `SELECT ${keys.map((k) => `n.${k}`).join(", ")} FROM ${table} l JOIN ${n.sql} n ON ${same} WHERE l.ts > n.ts`, [n.param]);
  const blocked = new Set(newer.map((r) => keys.map((k) => String(r[k])).join("\u0000")));
  await conn.run(`DELETE FROM ${table} l USING ${n.sql} n WHERE ${same} AND l.ts <= n.ts`, [n.param]);
  await insert(conn, table, incoming.filter((r) => !blocked.has(r.key.join("\u0000"))).map((r) => r.values));
}

/** Run `fn` inside BEGIN … COMMIT, rolling back when it throws. */
export async function transaction<T>(conn: DuckDBConnection, fn: () => Promise<T>): Promise<T> {
  await conn.run("BEGIN TRANSACTION");
  try {
    const result = await fn();
    await conn.run("COMMIT");
    return result;
  } catch (error) {
    await conn.run("ROLLBACK").catch(() => {});
    throw error;
  }
}

/** `?, ?, …` with `n` marks. */
export const marks = (n: number): string => Array.from({ length: n }, () => "?").join(", ");

/**
 * A list of strings as ONE bound `VARCHAR[]` parameter: use it as `(SELECT unnest(?) AS k)` in a
 * join / IN, so any number of keys costs one parameter and DuckDB hashes the list (10,000 keys
 * against 1,000,000 rows: ~60–150 ms on one thread, where `IN (?, ?, …)` needs one mark per key).
 */
export function stringList(values: readonly string[]): { value: DuckDBValue; type: DuckDBType } {
  return { value: listValue([...values]), type: LIST(VARCHAR) };
}

export const numberOrNull = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));
export const jsonOrNull = <T>(v: unknown): T | null => (v === null || v === undefined ? null : (JSON.parse(String(v)) as T));
/** JSON text of a value, or null. */
export const jsonText = (v: unknown): string | null => (v === null || v === undefined ? null : JSON.stringify(v));

/** Column values of a materialization, in the column order of `materializations` / `latest_materializations`. */
export function materializationValues(m: MaterializationRecord): DuckDBValue[] {
  return [
    m.assetKey, m.partitionKey, m.runId, m.at, m.dataVersion, m.codeVersion, JSON.stringify(m.inputVersions), m.path, m.format,
    m.rows, m.bytes, jsonText(m.schema), jsonText(m.metadata), storedOrdinal(m), m.configHash ?? null,
  ];
}

/**
 * Column values of a `latest_materializations` row: those of `materializations`, then `input_map`
 * (migration 9), the input versions as a MAP — never NULL for a row written now (NULL marks a row
 * from before the migration, which readers answer from the JSON text).
 */
export function latestMaterializationValues(m: MaterializationRecord): DuckDBValue[] {
  return [...materializationValues(m), mapValue(Object.entries(m.inputVersions).map(([key, value]) => ({ key, value })))];
}

/** Every column of `latest_materializations` a record is read from: all but `input_map` (see latestMaterializationValues), which no record needs. */
export const LATEST_COLUMNS = "* EXCLUDE (input_map)";

/** A `materializations`-shaped row as a record; `ordinal` only when set (absent means none). */
export function toMaterialization(r: Row): MaterializationRecord {
  const record: MaterializationRecord = {
    assetKey: String(r.asset_key), partitionKey: String(r.partition_key), runId: String(r.run_id), at: Number(r.ts),
    dataVersion: String(r.data_version), codeVersion: String(r.code_version),
    inputVersions: JSON.parse(String(r.input_versions)) as Record<string, string>,
    path: String(r.path), format: String(r.format) as MaterializationRecord["format"],
    rows: numberOrNull(r.row_count), bytes: numberOrNull(r.byte_count),
    schema: jsonOrNull(r.output_schema), metadata: jsonOrNull(r.metadata),
  };
  const ordinal = numberOrNull(r.ordinal);
  if (ordinal !== null) record.ordinal = ordinal;
  if (r.config_hash !== null && r.config_hash !== undefined) record.configHash = String(r.config_hash);
  return record;
}

/** A `runs` row as a record (the DuckDB and Postgres stores store the same columns). */
export function toRun(r: Row): RunRecord {
  const run: RunRecord = {
    runId: String(r.run_id), status: String(r.status) as RunStatus, selection: String(r.selection), trigger: String(r.trigger),
    pid: Number(r.pid), host: String(r.host), startedAt: Number(r.started_at), endedAt: numberOrNull(r.ended_at), heartbeatAt: Number(r.heartbeat_at),
  };
  const assets = jsonOrNull<string[]>(r.assets);
  if (assets) run.assets = assets;
  const config = jsonOrNull<Record<string, unknown>>(r.config);
  if (config) run.config = config;
  const cancelAt = numberOrNull(r.cancel_requested_at);
  if (cancelAt !== null) run.cancelRequestedAt = cancelAt;
  return run;
}

/** An `events` row as a record. */
export function toEvent(r: Row): EventRecord {
  return {
    runId: String(r.run_id), seq: Number(r.seq), at: Number(r.ts), type: String(r.type) as EventRecord["type"],
    assetKey: r.asset_key === null ? null : String(r.asset_key), partitionKey: r.partition_key === null ? null : String(r.partition_key),
    payload: JSON.parse(String(r.payload)) as Record<string, unknown>,
  };
}

/** Give each run its tags from `run_tags` rows (run_id, key, value); mutates and returns `runs`. */
export function attachTags(runs: RunRecord[], tags: readonly Row[]): RunRecord[] {
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

/** `runs`-table style text column: null stays null. */
const textOrNull = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));

/** An `instigators` row as a record (the DuckDB and Postgres stores store the same columns). */
export function toInstigator(r: Row): InstigatorState {
  return {
    name: String(r.name), kind: String(r.kind) as InstigatorKind, status: String(r.status) as InstigatorState["status"],
    createdAt: Number(r.created_at), lastTickAt: numberOrNull(r.last_tick_at), cursor: textOrNull(r.cursor),
    data: JSON.parse(String(r.data)) as Record<string, unknown>, updatedAt: Number(r.updated_at),
  };
}

/** A `ticks` row as a record. */
export function toTick(r: Row): TickRecord {
  return {
    name: String(r.name), kind: String(r.kind) as InstigatorKind, tickAt: Number(r.tick_at), evaluatedAt: Number(r.evaluated_at),
    status: String(r.status) as TickRecord["status"], reason: textOrNull(r.reason), requestIds: JSON.parse(String(r.request_ids)) as string[],
  };
}

/** A `run_requests` row as a record. */
export function toRunRequest(r: Row): RunRequestRecord {
  const request: RunRequestRecord = {
    requestId: String(r.request_id), source: String(r.source), kind: String(r.kind) as InstigatorKind, runKey: textOrNull(r.run_key),
    selection: JSON.parse(String(r.selection)) as string[], partitions: textOrNull(r.partitions),
    status: String(r.status) as RunRequestRecord["status"], runId: textOrNull(r.run_id), reason: textOrNull(r.reason),
    createdAt: Number(r.created_at), updatedAt: Number(r.updated_at),
  };
  // migration 5: absent when not stored (the record round-trips as it was created)
  if (r.tags !== null && r.tags !== undefined) request.tags = JSON.parse(String(r.tags)) as Record<string, string>;
  if (r.as_of !== null && r.as_of !== undefined) request.asOf = Number(r.as_of);
  if (r.config !== null && r.config !== undefined) request.config = JSON.parse(String(r.config)) as Record<string, unknown>;
  return request;
}
