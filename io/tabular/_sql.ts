/** SQL text helpers for the tabular adapter: quoting, and JS values as bound parameters. */
import { type DuckDBValue, blobValue, listValue, structValue, timestampValue } from "@duckdb/node-api";
import { DagxError } from "../../core/errors.ts";
import { quoteIdent } from "../../core/sql.ts";
import { describeJsType } from "./_infer.ts";

/** Identifiers: the one quoting helper (core/sql.ts). */
export { quoteIdent };

/** A single-quoted SQL string literal (quotes doubled; DuckDB has no backslash escapes here). */
export function quoteLiteral(s: string): string {
  return `'${s.replaceAll("'", "''")}'`;
}

/**
 * Make user SQL safe to wrap as `(…)`: a trailing `-- comment` would swallow the closing
 * parenthesis and a trailing `;` would end the statement early.
 */
export function wrapQuery(sql: string): string {
  return `(${sql.replace(/[\s;]+$/, "")}\n)`;
}

/** One JS value as a DuckDB parameter: Dates become TIMESTAMP, bytes BLOB, arrays LIST, objects STRUCT. */
export function toParam(v: unknown, where: string): DuckDBValue {
  if (v === null || v === undefined) return null;
  switch (typeof v) {
    case "string":
    case "number":
    case "boolean":
    case "bigint":
      return v;
  }
  if (v instanceof Date) {
    if (Number.isNaN(v.getTime())) throw badParam(where, "an invalid Date");
    return timestampValue(BigInt(v.getTime()) * 1000n);
  }
  if (v instanceof Uint8Array) return blobValue(v);
  if (Array.isArray(v)) return listValue(v.map((x, i) => toParam(x, `${where}[${i}]`)));
  if (typeof v === "object") {
    const proto = Object.getPrototypeOf(v);
    if (proto === Object.prototype || proto === null) {
      return structValue(Object.fromEntries(Object.entries(v).map(([k, x]) => [k, toParam(x, `${where}.${k}`)])));
    }
  }
  throw badParam(where, describeJsType(v));
}

function badParam(where: string, type: string): DagxError {
  return new DagxError("UNSUPPORTED_OUTPUT", `Cannot bind SQL parameter ${where}: it is ${type}: pass a string, number, bigint, boolean, Date, Uint8Array, null, array or plain object`, {
    exitCode: 1,
  });
}

/** Parameters `$1, $2, …` of a query, converted. */
export function toParams(values: readonly unknown[]): DuckDBValue[] {
  return values.map((v, i) => toParam(v, `$${i + 1}`));
}

/**
 * The values to hand `conn.run*` for a statement: none at all when it has no parameters, so that
 * DuckDB runs it directly instead of preparing it first. A prepared statement binds its table
 * functions once at prepare time and again to run: a prepared `read_csv('file')` held its first
 * read buffer twice (+30–35 MB of peak RSS on the 1M-row CSV, docs/benchmarks.md).
 */
export function bindValues(values: DuckDBValue[]): DuckDBValue[] | undefined {
  return values.length > 0 ? values : undefined;
}

/**
 * A path as a DuckDB file pattern that matches exactly that path (STYLE 32): `[`, `*`, `?` become
 * `[[]`, `[*]`, `[?]` — DuckDB has no backslash escape, and a path without them is never globbed.
 * @throws DagxError when the path also holds `\`, which DuckDB splits on while globbing
 */
export function literalPattern(path: string): string {
  if (!/[[*?]/.test(path)) return path;
  if (path.includes("\\")) {
    throw new DagxError("USAGE", `Cannot read "${path}" with DuckDB: a path holding both "\\" and one of "[", "*", "?" cannot be read literally: rename the folder`);
  }
  return path.replace(/[[*?]/g, (ch) => `[${ch}]`);
}

/** A DuckDB list literal of file patterns, each matching exactly its path. */
export function fileListSql(paths: readonly string[]): string {
  return `[${paths.map((p) => quoteLiteral(literalPattern(p))).join(", ")}]`;
}

/**
 * The table expression over exact Parquet files, read literally: hive partitioning off, so no
 * folder name on the path becomes a column (partition columns are added from known keys, by
 * io/parquet-source.ts). `union_by_name` matters: without it DuckDB takes the first file's schema
 * and silently casts the rest (a DOUBLE 1.5 in a later partition would read back as BIGINT 2).
 */
export function parquetSql(paths: readonly string[]): string {
  if (paths.length === 0) throw new DagxError("NOT_FOUND", "Cannot read Parquet: no files were given: materialize the upstream asset first");
  return `read_parquet(${fileListSql(paths)}, hive_partitioning = false, union_by_name = true)`;
}
