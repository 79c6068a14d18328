/**
 * Tabular IO: rows, Arrow Tables and SQL results to Parquet files, and Parquet back to rows or
 * Arrow — every write atomic (temp file, fsync, rename) and content-hashed. See
 * docs/tabular-io.md for the type mapping and the benchmark behind the design.
 *
 * How values reach Parquet: rows and Arrow columns are laid out in a *staging* Parquet file
 * (flat, PLAIN, uncompressed — cheap to write from JS buffers), which DuckDB then `COPY`s into
 * the real output, casting to the stored types on the way. The output is DuckDB's own
 * (compressed, dictionary-encoded, with statistics) whatever the input was — except small flat row
 * outputs (and any flat row output with `writer: "direct"`), which JS writes as the final file
 * (io/tabular/_direct.ts: zstd, deltas, dictionaries, statistics): per step that saves a COPY and
 * a DESCRIBE, ~1.5 ms each, and at 1M rows most of the write.
 */
import type { DuckDBConnection } from "@duckdb/node-api";
import type { Table } from "apache-arrow";
import { planDirect } from "./_direct.ts";
import { type WriteOptions, type WriteResult, commitParquet } from "./_file.ts";
import { HINTS_KEY, queryRows, readHints } from "./_read.ts";
import { releaseGathered } from "./_gather.ts";
import { type StagePlan, gatherChecked, planGathered } from "./_rows.ts";
import { bindValues, parquetSql, quoteIdent, quoteLiteral, toParams, wrapQuery } from "./_sql.ts";
import { writePlainParquet } from "./_stage.ts";

export type { RowWriter, WriteOptions, WriteResult } from "./_file.ts";

/**
 * Row outputs of at most this many rows are written directly by "auto" (when flat); larger ones
 * by DuckDB, whose files also carry min/max of every string column. "direct" is faster and
 * smaller at every size (docs/tabular-io.md, "Which writer"; docs/benchmarks.md, "Rows → Parquet
 * at 1M"), and making it the default above this size is left to its own issue.
 */
export const DIRECT_AUTO_ROWS = 1024;
export { TabularValueError } from "./_infer.ts";
export { parquetSql } from "./_sql.ts";

/** A query to read instead of stored files: SQL with `$1…` placeholders and their values. */
export interface TabularQuery {
  text: string;
  params: readonly unknown[];
}

/** COPY options of every output: one place, so every writer produces the same bytes for the same data. */
function copyOptions(hints: StagePlan["hints"]): string {
  const kv = hints ? `, KV_METADATA {${quoteIdent(HINTS_KEY)}: ${quoteLiteral(JSON.stringify(hints))}}` : "";
  return `(FORMAT parquet${kv})`;
}

async function writePlan(conn: DuckDBConnection, plan: StagePlan, finalPath: string, options?: WriteOptions): Promise<WriteResult> {
  return commitParquet(
    conn,
    finalPath,
    async (tmp, scratch) => {
      const stage = scratch("stage.parquet");
      await writePlainParquet(stage, plan.columns, plan.numRows);
      const r = await conn.run(`COPY (SELECT ${plan.select.join(", ")} FROM ${parquetSql([stage])}) TO ${quoteLiteral(tmp)} ${copyOptions(plan.hints)}`);
      return Number(r.rowsChanged);
    },
    options,
  );
}

/**
 * Write rows (plain objects) to a Parquet file at `finalPath`, atomically.
 * Keys become columns in first-seen order; a key missing from a row is null there. Throws
 * `TabularValueError` (naming the column and JS type) for values Parquet cannot hold, and for
 * an empty array (no schema to write).
 */
export async function writeRowsParquet(
  conn: DuckDBConnection,
  rows: readonly Record<string, unknown>[],
  finalPath: string,
  options?: WriteOptions,
): Promise<WriteResult> {
  const gathered = gatherChecked(rows);
  try {
    const writer = options?.writer ?? "auto";
    const direct = writer === "direct" || (writer === "auto" && rows.length <= DIRECT_AUTO_ROWS) ? planDirect(gathered, rows.length) : null;
    if (!direct) return await writePlan(conn, planGathered(gathered, rows.length), finalPath, options);
    const kv = direct.hints ? { [HINTS_KEY]: JSON.stringify(direct.hints) } : undefined;
    return await commitParquet(
      conn,
      finalPath,
      async (tmp) => {
        const file = await writePlainParquet(tmp, direct.columns, direct.numRows, { kv, mode: 0o644, hash: true, zstd: true });
        return { rows: direct.numRows, schema: direct.schema, file };
      },
      options,
    );
  } finally {
    releaseGathered(gathered); // every page is written (or the write failed): the buffers can go to the next write
  }
}

/** Write an Arrow Table to a Parquet file at `finalPath`, atomically (zero rows keeps the schema). */
export async function writeArrowParquet(conn: DuckDBConnection, table: Table, finalPath: string, options?: WriteOptions): Promise<WriteResult> {
  // apache-arrow takes ~50 ms to import: load it only when Arrow is actually used.
  const { planArrow } = await import("./_arrow-write.ts");
  return writePlan(conn, planArrow(table), finalPath, options);
}

/**
 * Run `sql` with bound parameters (`$1`, `$2`, … or `?`) straight into a Parquet file at
 * `finalPath`, atomically: `COPY (sql) TO …` — no row crosses into JS. Values are bound, never
 * spliced into the text.
 */
export async function writeSqlParquet(
  conn: DuckDBConnection,
  sql: string,
  params: readonly unknown[],
  finalPath: string,
  options?: WriteOptions,
): Promise<WriteResult> {
  const values = toParams(params);
  return commitParquet(
    conn,
    finalPath,
    async (tmp) => {
      const r = await conn.run(`COPY ${wrapQuery(sql)} TO ${quoteLiteral(tmp)} ${copyOptions(null)}`, bindValues(values));
      return Number(r.rowsChanged);
    },
    options,
  );
}

/** `CREATE TEMP TABLE name AS sql` with bound parameters, converted as for every other query. */
export async function createTempTable(conn: DuckDBConnection, name: string, sql: string, params: readonly unknown[]): Promise<void> {
  await conn.run(`CREATE TEMP TABLE ${quoteIdent(name)} AS SELECT * FROM ${wrapQuery(sql)}`, bindValues(toParams(params)));
}

/**
 * Read Parquet files (exactly these, read literally: no column comes from a folder name) as row objects, with the JS
 * types they were written with: 64-bit integers come back as numbers when they fit
 * `Number.MAX_SAFE_INTEGER` (bigints that were written as bigints stay bigint), TIMESTAMP as
 * Date, STRUCT as objects, LIST as arrays. With `query`, read that query's result instead.
 */
export async function readParquetRows(conn: DuckDBConnection, paths: readonly string[], query?: TabularQuery): Promise<Record<string, unknown>[]> {
  if (query) return queryRows(conn, query.text, toParams(query.params), null);
  if (paths.length === 0) return [];
  const hints = await readHints(conn, paths);
  return queryRows(conn, `SELECT * FROM ${parquetSql(paths)}`, [], hints);
}

/**
 * Read a table expression over stored Parquet (io/parquet-source.ts) as row objects, with the JS
 * types the `files` were written with (see readParquetRows).
 */
export async function readTableRows(conn: DuckDBConnection, tableSql: string, files: readonly string[]): Promise<Record<string, unknown>[]> {
  const hints = await readHints(conn, files);
  return queryRows(conn, `SELECT * FROM ${tableSql}`, [], hints);
}

/** Read a table expression over stored Parquet as one Arrow Table. */
export async function readTableArrow(conn: DuckDBConnection, tableSql: string): Promise<Table> {
  const { queryArrow } = await import("./_arrow-read.ts");
  return queryArrow(conn, `SELECT * FROM ${tableSql}`, []);
}

/** Read Parquet files as one Arrow Table (no files: an empty table); with `query`, read that query's result instead. */
export async function readParquetArrow(conn: DuckDBConnection, paths: readonly string[], query?: TabularQuery): Promise<Table> {
  const { queryArrow } = await import("./_arrow-read.ts");
  if (query) return queryArrow(conn, query.text, toParams(query.params));
  if (paths.length === 0) return new (await import("apache-arrow")).Table();
  return queryArrow(conn, `SELECT * FROM ${parquetSql(paths)}`, []);
}
