/**
 * SQL of the built-in checks, over any table expression (io/ passes `read_parquet([...])` of the
 * stored files). Pure text generation: identifiers are quoted, values are `$n` parameters, and
 * only `expr()`'s condition is spliced — it is the user's own SQL, by design.
 *
 * Every summary query returns one row `(rows, failing, …)`: the check passes when `failing` is 0.
 * A second query returns a sample of what failed (at most SAMPLE_SIZE rows), run only on failure.
 */
import type { BuiltinCheckSpec } from "./types.ts";
import { quoteIdent } from "../sql.ts";

/** Failing rows kept as a sample on a failed check. */
export const SAMPLE_SIZE = 5;

export interface CheckQuery {
  text: string;
  params: unknown[];
}

export interface BuiltinCheckSql {
  /** One row: `rows` (rows in the table), `failing` (0 = passed), and check-specific counts. */
  summary: CheckQuery;
  /** Up to {@link SAMPLE_SIZE} failing rows (for `unique`, the duplicated values and their count); null when no row fails by itself. */
  sample: CheckQuery | null;
  /** Columns the check names: io/ verifies them first, to answer a typo with the real columns. */
  columns: string[];
}

export { quoteIdent };

/** The summary and sample queries of a built-in check over the table expression `table`. */
export function builtinCheckSql(spec: BuiltinCheckSpec, table: string): BuiltinCheckSql {
  switch (spec.kind) {
    case "notNull":
      return failingRows(table, `${quoteIdent(spec.column)} IS NULL`, [], [spec.column]);
    case "acceptedValues": {
      const params = [...spec.values];
      const list = params.map((_, i) => `$${i + 1}`).join(", ");
      const col = quoteIdent(spec.column);
      return failingRows(table, `${col} IS NOT NULL AND ${col} NOT IN (${list})`, params, [spec.column]);
    }
    case "expr":
      // NULL passes, as in a CHECK constraint; the newline keeps a trailing `-- comment` from eating the parenthesis
      return failingRows(table, `NOT coalesce((${spec.condition}\n), true)`, [], []);
    case "unique": {
      const cols = spec.columns.map(quoteIdent).join(", ");
      const complete = spec.columns.map((c) => `${quoteIdent(c)} IS NOT NULL`).join(" AND ");
      // one scan: group every value, then count the groups (of complete keys) seen more than once
      return {
        summary: {
          text: `SELECT coalesce(sum(n), 0) AS rows, count(*) FILTER (WHERE complete AND n > 1) AS failing, coalesce(sum(n) FILTER (WHERE complete AND n > 1), 0) AS duplicate_rows FROM (SELECT ${complete} AS complete, count(*) AS n FROM ${table} GROUP BY ${cols})`,
          params: [],
        },
        sample: {
          text: `SELECT ${cols}, count(*) AS "count" FROM ${table} WHERE ${complete} GROUP BY ${cols} HAVING count(*) > 1 ORDER BY count(*) DESC, ${cols} LIMIT ${SAMPLE_SIZE}`,
          params: [],
        },
        columns: [...spec.columns],
      };
    }
    case "rowCount": {
      const params: unknown[] = [];
      const outside: string[] = [];
      if (spec.min !== null) outside.push(`count(*) < $${params.push(spec.min)}`);
      if (spec.max !== null) outside.push(`count(*) > $${params.push(spec.max)}`);
      return {
        summary: { text: `SELECT count(*) AS rows, CASE WHEN ${outside.join(" OR ") || "false"} THEN 1 ELSE 0 END AS failing FROM ${table}`, params },
        sample: null,
        columns: [],
      };
    }
  }
}

/** A check that fails row by row: count the rows matching `failing`, sample a few of them. */
function failingRows(table: string, failing: string, params: unknown[], columns: string[]): BuiltinCheckSql {
  return {
    summary: { text: `SELECT count(*) AS rows, count(*) FILTER (WHERE ${failing}) AS failing FROM ${table}`, params },
    sample: { text: `SELECT * FROM ${table} WHERE ${failing} LIMIT ${SAMPLE_SIZE}`, params: [...params] },
    columns,
  };
}
