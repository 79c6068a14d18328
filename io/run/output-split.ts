/**
 * Single-run steps (`backfill: "single-run"`): the asset computes a whole range at once and its
 * table holds one column per partition dimension ("date", "partition", or the multi-partition's
 * dimension names). Each partition's rows are written to its own hive folder, without that column.
 */
import type { DuckDBConnection } from "@duckdb/node-api";
import { isSqlQuery, type SqlQuery, type TableInput } from "../../core/context.ts";
import { partitionSegments, type PartitionSpace } from "../../core/partitions/index.ts";
import { GROUP_SYNC, isArrowTable, type StoredOutput, UnsupportedOutputError } from "./output.ts";
import { outputAbsPath, outputRelPath, type Storage } from "../storage/index.ts";
import { quoteIdent } from "../../core/sql.ts";
import { parquetSql } from "../tabular/index.ts";
import { createTempTable, writeArrowParquet, writeRowsParquet, writeSqlParquet } from "../tabular/index.ts";
import { tempPathFor } from "../storage/index.ts";
import { runUserSql } from "./user-sql.ts";
import { rmSync } from "node:fs";

/**
 * Write `value` (a table with the dimension columns) as one output per key. `undefined` is a
 * side-effect asset (it wrote its own storage for the window): each partition is recorded.
 */
export async function storeSplit(
  storage: Storage,
  conn: DuckDBConnection,
  key: string,
  value: unknown,
  space: PartitionSpace,
  keys: readonly string[],
  resolveRef: (v: unknown) => TableInput | null,
): Promise<Map<string, StoredOutput>> {
  const dims = space.dimensions.map((d) => d.name);
  if (value === undefined) return new Map(keys.map((pk) => [pk, { format: "none", path: "", rows: null, bytes: null, schema: null, dataVersion: "" }]));
  const table = `__dagx_split_${Math.random().toString(36).slice(2, 10)}`;
  let staged: string | null = null;
  try {
    if (isSqlQuery(value)) {
      await runUserSql(value as SqlQuery, resolveRef, (text, params) => createTempTable(conn, table, text, params));
    } else if (isArrowTable(value) || (Array.isArray(value) && value.length > 0)) {
      staged = tempPathFor(outputAbsPath(storage, outputRelPath(key, "parquet"), true));
      if (isArrowTable(value)) await writeArrowParquet(conn, value as never, staged, GROUP_SYNC);
      else await writeRowsParquet(conn, value as Record<string, unknown>[], staged, GROUP_SYNC);
      await conn.run(`CREATE TEMP TABLE ${table} AS SELECT * FROM ${parquetSql([staged])}`);
    } else {
      throw new UnsupportedOutputError(`Asset "${key}" runs as a single-run backfill and must return a table (ctx.sql, rows or Arrow) with column(s) ${dims.map((d) => `"${d}"`).join(", ")}, or nothing when it writes its own storage`);
    }
    const cols = (await conn.runAndReadAll(`SELECT column_name FROM (DESCRIBE ${table})`)).getRowObjectsJS().map((r) => String(r.column_name));
    const missing = dims.filter((d) => !cols.includes(d));
    if (missing.length) {
      throw new UnsupportedOutputError(`Asset "${key}" runs as a single-run backfill, so its table needs the partition column(s) ${missing.map((d) => `"${d}"`).join(", ")} holding each row's partition key; it has ${cols.map((c) => `"${c}"`).join(", ")}`);
    }
    const out = new Map<string, StoredOutput>();
    const exclude = dims.map(quoteIdent).join(", ");
    for (const pk of keys) {
      const parts = space.kind === "multi" ? pk.split("|") : [pk];
      const where = dims.map((d, i) => `CAST(${quoteIdent(d)} AS VARCHAR) = $${i + 1}`).join(" AND ");
      const rel = outputRelPath(key, "parquet", partitionSegments(space, pk));
      const r = await writeSqlParquet(conn, `SELECT * EXCLUDE (${exclude}) FROM ${table} WHERE ${where}`, parts, outputAbsPath(storage, rel, true), GROUP_SYNC);
      out.set(pk, { format: "parquet", path: rel, rows: r.rows, bytes: r.bytes, schema: r.schema, dataVersion: r.dataVersion });
    }
    return out;
  } finally {
    await conn.run(`DROP TABLE IF EXISTS ${table}`).catch(() => {});
    if (staged) rmSync(staged, { force: true });
  }
}
