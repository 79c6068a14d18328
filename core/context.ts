/**
 * What user code sees at run time: the `ctx` object, SQL queries and input handles.
 * Pure: running SQL and reading files is delegated to a `SqlRunner` that io/ provides.
 */
import type { ArrowTableLike, OutputOptions, OutputWithMetadata } from "./asset.ts";
import type { PartitionDimensionsOf, PartitionKeyOf, PartitionsDef } from "./partitions/types.ts";
import type { ResourcesOf } from "./resources.ts";
import { SqlError } from "./errors.ts";
import { findMisplacedParam } from "./_sql-scan.ts";
import { isSqlIdentifier, misplacedParamReason, showCompiledSql, type SqlIdentifier, sqlIdentifier } from "./sql.ts";

/** Logger handed to user code as `ctx.log`; every line is captured into the run's events. */
export interface AssetLogger {
  debug(...args: unknown[]): void;
  info(...args: unknown[]): void;
  warn(...args: unknown[]): void;
  error(...args: unknown[]): void;
}

/** The partition (or, for a single-run backfill, the range of partitions) being materialized. */
export interface PartitionContext<K extends string = string, D = Readonly<Record<string, string>> | undefined> {
  /** The partition key; for a range, its last key. */
  readonly key: K;
  /** All keys of this step: one, or the whole range of a single-run backfill. */
  readonly keys: readonly K[];
  /** Start of the (first) time window, for time partitions. */
  readonly start?: Date;
  /** Exclusive end of the (last) time window, for time partitions. */
  readonly end?: Date;
  /** Per-dimension keys of a multi-partition: `{ date: "2024-01-01", region: "eu" }`. */
  readonly dimensions: D;
}

/** `ctx.partition`'s type for an asset whose partitions are `P`. */
export type PartitionOf<P> = [P] extends [undefined]
  ? null
  : [P] extends [PartitionsDef]
    ? PartitionContext<PartitionKeyOf<P>, PartitionDimensionsOf<P>>
    : PartitionContext | null;

/**
 * `ctx` — passed as the first argument of every asset function. `C` is the type of `ctx.config`,
 * `Res` the type of `ctx.resources`.
 */
export interface AssetContext<P = unknown, C = unknown, Res = ResourcesOf> {
  /** The asset's key, `a/b` form. */
  readonly key: string;
  readonly runId: string;
  readonly partition: PartitionOf<P>;
  readonly log: AssetLogger;
  /**
   * The resources the asset requested (`resources: ["warehouse"]`), each set up on first use in
   * this process, plus the plain values of dagx.config.ts `resources` (every asset sees those).
   */
  readonly resources: Res;
  /** This run's config of the asset, validated by its `config` schema (defaults applied); `undefined` without a schema. */
  readonly config: C;
  /** Aborted when the run is canceled (Ctrl-C, or a failing run with fail-fast). */
  readonly signal: AbortSignal;
  /**
   * Absolute path of a file relative to the project root. Bound into `ctx.sql` it reaches DuckDB
   * root-relative (`./data/x.csv`), so folder names above the project never become columns or globs.
   */
  path(relative: string): string;
  /**
   * Tagged-template SQL run by DuckDB: interpolated inputs become tables, `ctx.sql.id(name)` a
   * quoted name, anything else a bound parameter.
   */
  sql: SqlTag;
  /**
   * Return a value together with what the step says about it: `metadata` stored on the
   * materialization, `checks` (results of the asset's `checkSpec()` checks, by name), and
   * `dataVersion` (for an output written elsewhere, returned as `undefined`).
   * @example return ctx.output(rows, { metadata: { source: "api" }, checks: { complete: { passed: rows.length > 0 } } });
   */
  output<T>(value: T, options: OutputOptions): OutputWithMetadata<T>;
}

/** The `ctx.sql` tag. */
export interface SqlTag {
  <Row extends object = Record<string, unknown>>(strings: TemplateStringsArray, ...values: unknown[]): SqlQuery<Row>;
  /**
   * A column or table name, double-quoted (quotes inside are escaped): `${ctx.sql.id(col)}`. A
   * plain `${col}` is always a bound *value*, so `order by ${col}` would order by a constant.
   * Several parts make a dotted name: `ctx.sql.id("schema", "table")` → `"schema"."table"`.
   * @example ctx.sql`select ${ctx.sql.id(column)} from ${orders} order by ${ctx.sql.id(column)}`
   */
  id(...parts: string[]): SqlIdentifier;
}

/** Executes a query in the run's own in-memory DuckDB (implemented in io/, which compiles it). */
export interface SqlRunner {
  rows(query: SqlQuery): Promise<Record<string, unknown>[]>;
  arrow(query: SqlQuery): Promise<ArrowTableLike>;
}

export const SQL_QUERY = Symbol.for("dagx.sql");
export const TABLE_INPUT = Symbol.for("dagx.table");

/** A lazy SQL query. Returned from an asset, it is written straight to Parquet by DuckDB. */
export interface SqlQuery<Row extends object = Record<string, unknown>> {
  readonly [SQL_QUERY]: true;
  readonly strings: readonly string[];
  readonly values: readonly unknown[];
  /** Run in DuckDB and load the rows into JS. */
  rows(): Promise<Row[]>;
  /** Run in DuckDB and load the result as an Arrow Table. */
  arrow(): Promise<ArrowTableLike>;
  /** Phantom row type. */
  readonly $row?: Row;
}

/** A tabular upstream output, loaded lazily. Interpolate it in `ctx.sql` to use it as a table. */
export interface TableInput<Row = Record<string, unknown>> {
  readonly [TABLE_INPUT]: true;
  /** Upstream asset key. */
  readonly key: string;
  /** Absolute paths of the Parquet files that hold this input. */
  readonly paths: readonly string[];
  rows(): Promise<Row[]>;
  arrow(): Promise<ArrowTableLike>;
  /** The SQL table expression: the exact files (`read_parquet([...])`) plus partition key columns the data lacks. */
  readonly sql: string;
}

export function isSqlQuery(v: unknown): v is SqlQuery {
  return typeof v === "object" && v !== null && (v as Record<symbol, unknown>)[SQL_QUERY] === true;
}

export function isTableInput(v: unknown): v is TableInput {
  return typeof v === "object" && v !== null && (v as Record<symbol, unknown>)[TABLE_INPUT] === true;
}

export function isOutputWithMetadata(v: unknown): v is OutputWithMetadata<unknown> {
  return typeof v === "object" && v !== null && (v as { __dagxOutput?: unknown }).__dagxOutput === true;
}

/**
 * Compile a query to DuckDB text + positional parameters. Tables (inputs), nested queries and
 * `ctx.sql.id` names are spliced as SQL; every other value becomes `$n` — the whole SQL-injection
 * defence. A value standing where SQL needs a name (core/_sql-scan.ts) throws a SqlError.
 * `resolveRef` maps an interpolated asset definition to its input handle (or throws when it is not an upstream).
 */
export function compileSql(q: SqlQuery, resolveRef: (v: unknown) => TableInput | null = () => null): { text: string; params: unknown[] } {
  const params: unknown[] = [];
  const offsets = new Map<number, number>();
  let text = "";
  const walk = (query: SqlQuery): void => {
    text += query.strings[0] ?? "";
    query.values.forEach((v, i) => {
      const table = isTableInput(v) ? v : resolveRef(v);
      if (table) text += table.sql;
      else if (isSqlIdentifier(v)) text += v.sql;
      else if (isSqlQuery(v)) {
        text += "(";
        walk(v);
        text += ")";
      } else {
        offsets.set(text.length, params.length);
        params.push(v);
        text += `$${params.length}`;
      }
      text += query.strings[i + 1] ?? "";
    });
  };
  walk(q);
  const misplaced = findMisplacedParam(text, offsets);
  if (misplaced) throw new SqlError(misplacedParamReason(misplaced, params[misplaced.index]), null, showCompiledSql(text, params));
  return { text, params };
}

const SITES = new WeakMap<SqlQuery, Error>();

/** Where `q` was written: an Error captured by the `ctx.sql` tag, whose stack holds the user's file:line. */
export function sqlSite(q: SqlQuery): Error | null {
  return SITES.get(q) ?? null;
}

/**
 * Make the `ctx.sql` tag bound to a runner. `bindValue` maps each interpolated value first (io uses
 * it to hand paths under the project root to DuckDB as relative paths: io/project-dir.ts).
 */
export function createSqlTag(runner: SqlRunner, bindValue?: (v: unknown) => unknown): SqlTag {
  const tag = (<Row extends object>(strings: TemplateStringsArray, ...values: unknown[]): SqlQuery<Row> => {
    const q: SqlQuery<Row> = {
      [SQL_QUERY]: true,
      strings: [...strings],
      values: bindValue ? values.map(bindValue) : values,
      rows: () => runner.rows(q as SqlQuery) as Promise<Row[]>,
      arrow: () => runner.arrow(q as SqlQuery),
    };
    // a query returned by the asset runs after its function returned: only this stack still names the line
    SITES.set(q as SqlQuery, new Error("ctx.sql"));
    return q;
  }) as SqlTag;
  tag.id = (...parts: string[]) => sqlIdentifier(parts);
  return tag;
}
