/** Table handles: what a downstream asset receives for a tabular upstream (usable in ctx.sql, rows(), arrow()). */
import type { DuckDBConnection } from "@duckdb/node-api";
import { TABLE_INPUT, type TableInput } from "../../core/context.ts";
import { quoteIdent } from "../../core/sql.ts";
import type { ColumnSchema } from "../../core/types.ts";
import { readParquetArrow, readTableArrow, readTableRows } from "../tabular/index.ts";

/**
 * A lazy table handle over a table expression of the step's DuckDB: for Parquet, the exact files
 * with partition columns from keys (io/tabular/parquet-source.ts); `paths` may be computed on first
 * use (a reader of a million partitions need not build the array).
 */
export function tableHandle(
  key: string,
  paths: readonly string[] | (() => readonly string[]),
  sql: string,
  conn: () => Promise<DuckDBConnection>,
  /** `paths` are dagx's Parquet files: `rows()` restores JS types from the hints in their metadata. */
  parquet = true,
): TableInput {
  let files = typeof paths === "function" ? null : paths;
  const list = () => (files ??= (paths as () => readonly string[])());
  return {
    [TABLE_INPUT]: true,
    key,
    get paths() {
      return list();
    },
    sql,
    rows: async () => readTableRows(await conn(), sql, parquet ? list() : []),
    arrow: async () => (await readTableArrow(await conn(), sql)) as never,
  };
}

/** A table handle with no rows: `columns` (name + DuckDB type) give it its shape. */
export function emptyTableHandle(key: string, columns: readonly ColumnSchema[], conn: () => Promise<DuckDBConnection>): TableInput {
  const seen = new Set<string>();
  // DuckDB names are case-insensitive: the first of "date" / "Date" (the data's own) is kept
  const cols = columns.filter((c) => !seen.has(c.name.toLowerCase()) && seen.add(c.name.toLowerCase())).map((c) => `CAST(NULL AS ${c.type}) AS ${quoteIdent(c.name)}`);
  const sql = `(SELECT ${cols.length ? cols.join(", ") : "NULL AS \"_\""} WHERE false)`;
  return {
    [TABLE_INPUT]: true,
    key,
    paths: [],
    sql,
    rows: async () => [],
    arrow: async () => (await readParquetArrow(await conn(), [], { text: `SELECT * FROM ${sql}`, params: [] })) as never,
  };
}
