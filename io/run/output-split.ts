/**
 * Single-run steps (`backfill: "single-run"`): the asset computes a whole range at once and its
 * table holds one column per partition dimension ("date", "partition", or the multi-partition's
 * dimension names). The table is staged in the step's DuckDB and split into one query per
 * partition — its rows, without that column — each handed to the IO manager as its own output.
 */
import { rmSync } from "node:fs";
import { createSqlTag, isSqlQuery, type SqlQuery } from "../../core/context.ts";
import { UnsupportedOutputError } from "../../core/errors.ts";
import type { PartitionSpace } from "../../core/partitions/index.ts";
import { quoteIdent } from "../../core/sql.ts";
import { GROUP_SYNC, isArrowTable, type StepIO } from "../iomanagers/index.ts";
import { outputAbsPath, outputRelPath, tempPathFor } from "../storage/index.ts";
import { createTempTable, parquetSql, writeArrowParquet, writeRowsParquet } from "../tabular/index.ts";
import { createSqlRunner } from "./user-sql.ts";

export interface SplitOutput {
  /** Partition key → the query of its rows. */
  pieces: Map<string, SqlQuery>;
  /** Drop the staged table (after every piece is stored). */
  drop(): Promise<void>;
}

/** Stage `value` (a table with the dimension columns) and split it into one query per key of `keys`. */
export async function splitByPartition(io: StepIO, key: string, value: unknown, space: PartitionSpace, keys: readonly string[]): Promise<SplitOutput> {
  const dims = space.dimensions.map((d) => d.name);
  const conn = await io.conn();
  const table = `__dagx_split_${Math.random().toString(36).slice(2, 10)}`;
  const drop = async () => {
    await conn.run(`DROP TABLE IF EXISTS ${table}`).catch(() => {});
  };
  let staged: string | null = null;
  try {
    if (isSqlQuery(value)) {
      await io.runSql(value, (text, params) => createTempTable(conn, table, text, params));
    } else if (isArrowTable(value) || (Array.isArray(value) && value.length > 0)) {
      staged = tempPathFor(outputAbsPath(io.storage, outputRelPath(key, "parquet"), true));
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
  } catch (e) {
    await drop();
    throw e;
  } finally {
    if (staged) rmSync(staged, { force: true });
  }
  // SELECT * EXCLUDE (dims) FROM table WHERE CAST(d1 AS VARCHAR) = $1 AND …: a real ctx.sql query,
  // so any IO manager can store it (Parquet COPYs it; another may call rows())
  const sql = createSqlTag(createSqlRunner(io.conn, io.resolveRef));
  const strings = dims.map((d, i) => `${i === 0 ? `SELECT * EXCLUDE (${dims.map(quoteIdent).join(", ")}) FROM ${table} WHERE ` : " AND "}CAST(${quoteIdent(d)} AS VARCHAR) = `);
  const template = Object.assign([...strings, ""], { raw: [...strings, ""] }) as TemplateStringsArray;
  const pieces = new Map(keys.map((pk) => [pk, sql(template, ...(space.kind === "multi" ? pk.split("|") : [pk]))] as const));
  return { pieces, drop };
}
