/**
 * Names and values in `ctx.sql`: the one identifier-quoting helper (used everywhere dagx writes a
 * name into SQL), `ctx.sql.id(…)`, the one place a parameter value is shown to the user (so it
 * can be redacted later), and the error for a value that stands where SQL needs a name.
 */
import { describeType } from "./describe.ts";
import { DagxError } from "./errors.ts";
import type { MisplacedParam } from "./_sql-scan.ts";

/** A double-quoted SQL identifier (inner quotes doubled): any string becomes exactly one name. */
export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

export const SQL_IDENT = Symbol.for("dagx.sql.id");

/** A quoted identifier from `ctx.sql.id(…)`: spliced into the SQL text, never bound. */
export interface SqlIdentifier {
  readonly [SQL_IDENT]: true;
  /** The quoted SQL text: `"schema"."table"`. */
  readonly sql: string;
}

export function isSqlIdentifier(v: unknown): v is SqlIdentifier {
  return typeof v === "object" && v !== null && (v as Record<symbol, unknown>)[SQL_IDENT] === true;
}

/** `ctx.sql.id("a")` → `"a"`, `ctx.sql.id("s", "t")` → `"s"."t"`; anything but a non-empty string is an error. */
export function sqlIdentifier(parts: readonly unknown[]): SqlIdentifier {
  const fix = 'pass a column or table name as a string, e.g. ctx.sql.id("amount") or ctx.sql.id("schema", "table")';
  if (parts.length === 0) throw new DagxError("SQL", `Cannot make an identifier with ctx.sql.id(): no name was given: ${fix}`, { exitCode: 1 });
  parts.forEach((p, i) => {
    const what = typeof p !== "string" ? `it is ${describeType(p)}` : p === "" ? "it is empty" : p.includes("\0") ? "it contains a NUL character" : null;
    if (what) throw new DagxError("SQL", `Cannot make an identifier with ctx.sql.id(): argument ${i + 1} is not a name: ${what}: ${fix}`, { exitCode: 1 });
  });
  return { [SQL_IDENT]: true, sql: (parts as string[]).map(quoteIdent).join(".") };
}

const MAX_SHOWN = 120;

/** How a parameter value is shown in messages: the one place, so secrets can be redacted here later. */
export function showParam(v: unknown): string {
  const cut = (s: string) => (s.length > MAX_SHOWN ? `${s.slice(0, MAX_SHOWN)}…` : s);
  if (v === null || v === undefined) return "NULL";
  if (typeof v === "string") return cut(`'${v.replaceAll("'", "''")}'`);
  if (typeof v === "number" || typeof v === "boolean" || typeof v === "bigint") return String(v);
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? "Invalid Date" : `${v.toISOString()} (Date)`;
  if (v instanceof Uint8Array) return `<${v.length} bytes>`;
  if (Array.isArray(v)) return cut(`[${v.slice(0, 10).map(showParam).join(", ")}${v.length > 10 ? `, … ${v.length} items` : ""}]`);
  if (typeof v === "object") {
    try {
      return cut(JSON.stringify(v, (_k, x) => (typeof x === "bigint" ? String(x) : x)));
    } catch {
      return describeType(v);
    }
  }
  return describeType(v);
}

/** A compiled query and its parameters as shown with --verbose (values through showParam). */
export function showCompiledSql(text: string, params: readonly unknown[]): string {
  const lines = ["compiled SQL:", ...text.trim().split("\n").map((l) => `  ${l}`)];
  params.forEach((p, i) => lines.push(`  $${i + 1} = ${showParam(p)}`));
  return lines.join("\n");
}

const EFFECT: Record<string, string> = {
  "ORDER BY": "ordering by a constant sorts nothing",
  "GROUP BY": "grouping by a constant puts every row in one group",
  "PARTITION BY": "partitioning by a constant makes one partition of every row",
};

/** The reason of the error for a value where SQL needs a name (see core/_sql-scan.ts). */
export function misplacedParamReason(m: MisplacedParam, value: unknown): string {
  const v = `the value ${showParam(value)} ($${m.index + 1})`;
  const id = "write ${ctx.sql.id(name)} to insert a quoted column name";
  if (m.where === "quoted") return `${v} is interpolated inside a quoted string or a comment, where it is never bound: drop the quotes around \${…} (ctx.sql binds it as a value), or build the string in SQL, e.g. '%' || \${term} || '%'`;
  if (m.where === "SELECT") return `${v} is a whole select item without a name, so the query would return that value itself, not a column: ${id}, or \${value} AS name for a constant`;
  const effect = EFFECT[m.where];
  if (effect) return `${v} stands as an item of ${m.where}, where SQL needs a column: a bound value is a constant there, and ${effect}: ${id}`;
  return `${v} is the only argument of ${m.where}(), which would aggregate the constant, not a column: ${id}`;
}
