/** Input handles: what a downstream asset receives for each upstream output. */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { DuckDBConnection } from "@duckdb/node-api";
import { TABLE_INPUT, type TableInput } from "../../core/context.ts";
import { quoteIdent } from "../../core/sql.ts";
import type { ColumnSchema, MaterializationRecord } from "../../core/types.ts";
import type { Storage } from "../storage/index.ts";
import { parquetSql, readParquetArrow, readTableArrow, readTableRows } from "../tabular/index.ts";

/**
 * A lazy table handle over stored Parquet files. `sql` is the table expression that reads them
 * (io/parquet-source.ts: exact files, partition columns from keys); `paths` may be computed on
 * first use (a reader of a million partitions need not build the array).
 */
export function tableHandle(key: string, paths: readonly string[] | (() => readonly string[]), sql: string, conn: () => Promise<DuckDBConnection>): TableInput {
  let files = typeof paths === "function" ? null : paths;
  const list = () => (files ??= (paths as () => readonly string[])());
  return {
    [TABLE_INPUT]: true,
    key,
    get paths() {
      return list();
    },
    sql,
    rows: async () => readTableRows(await conn(), sql, list()),
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

/** The value handed to user code for an (unpartitioned) upstream materialization. */
export function inputValue(storage: Storage, m: MaterializationRecord, conn: () => Promise<DuckDBConnection>): unknown {
  if (m.format === "none") return undefined;
  const abs = join(storage.dataRoot, m.path);
  if (m.format === "json") return JSON.parse(readFileSync(abs, "utf8"));
  return tableHandle(m.assetKey, [abs], parquetSql([abs]), conn);
}
