/**
 * How dagx hands stored Parquet to DuckDB (DESIGN §3, STYLE 32): exact file lists, every path read
 * literally — hive partitioning off, glob characters escaped — and partition columns made from the
 * keys state knows, typed VARCHAR, added only where the stored data lacks a column of that name.
 *
 * Why: DuckDB reads `k=v` folders anywhere on a path as columns (a project under `status=paid/` got
 * `status` on every row, and a partition folder `date=…` replaced the data's own `date`), reads a
 * listed path holding `[`, `*` or `?` as a glob (another project's files), and a glob over the
 * asset folder sees partitions state no longer has. None of that can happen through this module.
 *
 * Up to INLINE_MAX files, the file list and the file → key table are SQL text. Past that they live
 * in the connection: a temp table filled through the appender, and a variable holding the file
 * list (`getvariable`), so the SQL stays small. Measured (docs/benchmarks.md, "Reading N
 * partitions"): binding a view over 1M files as a text list took 26 s, through a variable 1–3 s.
 */
import type { DuckDBConnection } from "@duckdb/node-api";
import { DagxError } from "../../core/errors.ts";
import type { PartitionSpace } from "../../core/partitions/index.ts";
import type { ColumnSchema } from "../../core/types.ts";
import { literalPattern, quoteIdent, quoteLiteral } from "./_sql.ts";

/** Files listed in SQL text at most; more go through a temp table and a variable. */
export const INLINE_MAX = 1000;
/**
 * Files whose keys are picked by a CASE on the file name at most (one file: constants); more are
 * joined with a VALUES table. A join of one file costs DuckDB ~0.4 ms more than constants: a
 * quarter of reading a one-row partition (docs/benchmarks.md, "Issue 12").
 */
export const CASE_MAX = 8;
/** The column DuckDB's `filename` option adds to tell files apart; never shown to users. */
const FILE_COL = "__dagx_file";
const PATTERN_COL = "__dagx_pattern";

function readParquet(list: string, unionByName: boolean, withFile: boolean): string {
  return `read_parquet(${list}, hive_partitioning = false, union_by_name = ${unionByName}${withFile ? `, filename = ${quoteLiteral(FILE_COL)}` : ""})`;
}

/** Stored Parquet files of partitions, with the key values of each. */
export interface PartitionFiles {
  /** Absolute paths. */
  files: readonly string[];
  /** Partition dimension names (`date`, `partition`, or a multi-partition's names). */
  dims: readonly string[];
  /** The key values of file `i`, one per dimension. */
  keyOf(i: number): readonly string[];
  /** Distinct stored schemas of these files (from state); null where one is unknown. */
  schemas: readonly (readonly ColumnSchema[] | null)[];
}

/** Dimension names of a space and the per-dimension values of one of its keys. */
export function keyColumns(space: PartitionSpace, key: string): { dims: string[]; values: string[] } {
  return { dims: space.dimensions.map((d) => d.name), values: space.kind === "multi" ? key.split("|") : [key] };
}

let seq = 0;

/**
 * The table expression for `src`: its files' columns, then each partition dimension the data lacks
 * (VARCHAR, from the keys). `conn` is used only for many files or an unknown schema.
 */
export async function partitionFilesSql(src: PartitionFiles, conn: () => Promise<DuckDBConnection>, inlineMax = INLINE_MAX, caseMax = CASE_MAX): Promise<string> {
  const n = src.files.length;
  if (n === 0) throw new DagxError("NOT_FOUND", "Cannot read Parquet: no files were given: materialize the upstream asset first");
  const known = src.schemas.every((s) => s !== null);
  const unionByName = !known || new Set(src.schemas.map((s) => JSON.stringify(s))).size > 1;
  const inline = n <= inlineMax;
  const table = inline ? null : await fileTable(await conn(), src);
  const list = table ? `getvariable(${quoteLiteral(table)})` : `[${src.files.map((p) => quoteLiteral(literalPattern(p))).join(", ")}]`;
  const has = known ? new Set(src.schemas.flatMap((s) => s!.map((c) => c.name.toLowerCase()))) : await describeNames(await conn(), readParquet(list, true, false));
  // DuckDB matches column names case-insensitively: a data column "Date" is the data's date
  const add = src.dims.filter((d) => !has.has(d.toLowerCase()));
  if (add.length === 0) return readParquet(list, unionByName, false);
  const dimIndex = add.map((d) => src.dims.indexOf(d));
  if (n === 1 && caseMax >= 1) {
    const key = src.keyOf(0);
    const cols = add.map((d, j) => `${quoteLiteral(key[dimIndex[j]!]!)} AS ${quoteIdent(d)}`).join(", ");
    return `(SELECT d.*, ${cols} FROM ${readParquet(list, unionByName, false)} AS d)`;
  }
  if (inline && n <= caseMax && new Set(src.files).size === n) {
    const file = `d.${quoteIdent(FILE_COL)}`;
    const cols = add
      .map((d, j) => `CASE ${file} ${src.files.map((f, i) => `WHEN ${quoteLiteral(f)} THEN ${quoteLiteral(src.keyOf(i)[dimIndex[j]!]!)}`).join(" ")} END AS ${quoteIdent(d)}`)
      .join(", ");
    return `(SELECT d.* EXCLUDE (${quoteIdent(FILE_COL)}), ${cols} FROM ${readParquet(list, unionByName, true)} AS d)`;
  }
  const keys = table
    ? `temp.main.${quoteIdent(table)}`
    : `(VALUES ${src.files.map((f, i) => `(${[f, ...src.keyOf(i)].map(quoteLiteral).join(", ")})`).join(", ")}) AS k(${[FILE_COL, ...src.dims].map(quoteIdent).join(", ")})`;
  const cols = add.map((d) => `k.${quoteIdent(d)}`).join(", ");
  return `(SELECT d.* EXCLUDE (${quoteIdent(FILE_COL)}), ${cols} FROM ${readParquet(list, unionByName, true)} AS d JOIN ${keys}${table ? " AS k" : ""} ON d.${quoteIdent(FILE_COL)} = k.${quoteIdent(FILE_COL)})`;
}

/** Lower-cased column names DuckDB binds for a table expression. */
async function describeNames(conn: DuckDBConnection, sql: string): Promise<Set<string>> {
  const r = await conn.runAndReadAll(`DESCRIBE SELECT * FROM ${sql}`);
  return new Set(r.getRowObjectsJS().map((row) => String(row.column_name).toLowerCase()));
}

/**
 * A temp table of (file, key values…) in `conn`, and a variable of the same name holding the file
 * patterns; a pattern column only when some path needs escaping (it costs a column per file).
 */
async function fileTable(conn: DuckDBConnection, src: PartitionFiles): Promise<string> {
  const name = `__dagx_files_${process.pid}_${++seq}`;
  const escaped = src.files.some((f) => literalPattern(f) !== f);
  const cols = [FILE_COL, ...(escaped ? [PATTERN_COL] : []), ...src.dims].map((c) => `${quoteIdent(c)} VARCHAR`).join(", ");
  await conn.run(`CREATE TEMP TABLE ${quoteIdent(name)} (${cols})`);
  const appender = await conn.createAppender(name, "main", "temp");
  try {
    for (let i = 0; i < src.files.length; i++) {
      const f = src.files[i]!;
      appender.appendVarchar(f);
      if (escaped) appender.appendVarchar(literalPattern(f));
      for (const v of src.keyOf(i)) appender.appendVarchar(v);
      appender.endRow();
    }
  } finally {
    appender.closeSync();
  }
  await conn.run(`SET VARIABLE ${quoteIdent(name)} = (SELECT list(${quoteIdent(escaped ? PATTERN_COL : FILE_COL)} ORDER BY rowid) FROM temp.main.${quoteIdent(name)})`);
  return name;
}
