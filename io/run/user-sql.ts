/**
 * Every `ctx.sql` query runs through `runUserSql`: compiled by core/context.ts (values bound, names
 * quoted, a value where a name belongs refused), run by a tabular executor that converts the
 * parameters with the one `toParams`, and any failure turned into a SqlError that carries the
 * query's file:line, a hint when a value may stand where a name belongs, and — shown with
 * --verbose — the compiled SQL with its parameters.
 */
import type { DuckDBConnection } from "@duckdb/node-api";
import { compileSql, type SqlQuery, type SqlRunner, sqlSite, type TableInput } from "../../core/context.ts";
import { SqlError } from "../../core/errors.ts";
import { showCompiledSql } from "../../core/sql.ts";
import { readParquetArrow, readParquetRows } from "../tabular/index.ts";

/** DuckDB errors that a value in place of a name typically causes. */
const NAME_ERROR = /Referenced column|Parameter not supported|non-integer literal|syntax error at or near "\$\d+"|Table with name .* does not exist|Could not convert string/;
const NAME_HINT = "Hint: a value interpolated with ${…} is bound as a value, never as a column or table name: for a name, write ${ctx.sql.id(name)}";

/** Compile `q` and run it with `exec`; any failure becomes a SqlError (see the file comment). */
export async function runUserSql<T>(
  q: SqlQuery,
  resolveRef: (v: unknown) => TableInput | null,
  exec: (text: string, params: readonly unknown[]) => Promise<T>,
): Promise<T> {
  let compiled: { text: string; params: unknown[] } | null = null;
  try {
    compiled = compileSql(q, resolveRef);
    return await exec(compiled.text, compiled.params);
  } catch (e) {
    throw sqlFailure(q, compiled, e);
  }
}

function sqlFailure(q: SqlQuery, compiled: { text: string; params: unknown[] } | null, e: unknown): SqlError {
  const site = sqlSite(q);
  const detail = compiled ? showCompiledSql(compiled.text, compiled.params) : null;
  if (e instanceof SqlError) return new SqlError(e.reason, site, detail ?? e.detail, { cause: e });
  const message = e instanceof Error ? e.message : String(e);
  const hint = compiled && compiled.params.length > 0 && NAME_ERROR.test(message) ? `\n${NAME_HINT}` : "";
  return new SqlError(`${message}${hint}`, site, detail, { cause: e });
}

/** The runner behind `ctx.sql` `.rows()` / `.arrow()`: the step's connection, inputs as tables. */
export function createSqlRunner(conn: () => Promise<DuckDBConnection>, resolveRef: (v: unknown) => TableInput | null): SqlRunner {
  return {
    rows: (q) => runUserSql(q, resolveRef, async (text, params) => readParquetRows(await conn(), [], { text, params })),
    arrow: (q) => runUserSql(q, resolveRef, async (text, params) => (await readParquetArrow(await conn(), [], { text, params })) as never),
  };
}
