/**
 * SQL helpers of the DuckDB state store (io/duckdb-state-store.ts and its _state-* parts):
 * statements, bound list parameters, transactions and row ↔ record conversions.
 * Values reach SQL only as bound parameters (DESIGN §11); table names are constants of ours.
 */
import { type DuckDBConnection, type DuckDBType, type DuckDBValue, LIST, listValue, VARCHAR } from "@duckdb/node-api";
import type { MaterializationRecord } from "../core/types.ts";
import { storedOrdinal } from "./_state-records.ts";

export type Row = Record<string, unknown>;

/** Rows per multi-row INSERT / VALUES list (bound parameters per statement stay in the low thousands). */
export const ROWS_PER_INSERT = 200;

/** Run a query and return its rows as plain objects (BIGINT as bigint). */
export async function rows(conn: DuckDBConnection, sql: string, values: readonly DuckDBValue[] = [], types?: DuckDBType[]): Promise<Row[]> {
  return (await conn.runAndReadAll(sql, [...values], types)).getRowObjectsJS() as Row[];
}

/** Insert rows (values in table column order) in chunks of {@link ROWS_PER_INSERT}. */
export async function insert(conn: DuckDBConnection, table: string, values: readonly DuckDBValue[][]): Promise<void> {
  for (let i = 0; i < values.length; i += ROWS_PER_INSERT) {
    const chunk = values.slice(i, i + ROWS_PER_INSERT);
    const tuple = `(${marks(chunk[0]?.length ?? 0)})`;
    await conn.run(`INSERT INTO ${table} VALUES ${chunk.map(() => tuple).join(", ")}`, chunk.flat());
  }
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
    m.rows, m.bytes, jsonText(m.schema), jsonText(m.metadata), storedOrdinal(m),
  ];
}

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
  return record;
}
