/**
 * `duckdbTable({ path })`: the IO manager that keeps each asset as a table of a persistent DuckDB
 * database file (a "warehouse" BI tools and the `duckdb` CLI can open). This file is the pure half:
 * the options, their load-time checks, and a placeholder manager that carries them. dagx binds the
 * placeholder to its implementation (io/iomanagers/duckdb-table.ts) when it loads the project, so
 * the public module stays free of DuckDB.
 */
import { describeValue } from "./describe.ts";
import { defineIOManager, type IOManager } from "./io-manager.ts";

const DUCKDB_TABLE = Symbol.for("dagx.duckdb-table");

/** Options of `duckdbTable`. */
export interface DuckdbTableOptions {
  /** The database file, relative to the project root (or absolute); created on first write. */
  path: string;
  /** The schema of the database the tables go in (created when missing). @default "main" */
  schema?: string;
  /**
   * How long a step waits for another program (a BI tool, the `duckdb` CLI) that holds the file
   * open before it fails, in milliseconds. DuckDB lets one process open a database file at a time.
   * @default 60000
   */
  lockTimeoutMs?: number;
  /** The name state records as the outputs' format. @default the key in `defineConfig({ ioManagers })`, else "warehouse" */
  name?: string;
}

/** A name DuckDB takes unquoted and BI tools show as it is. */
const SCHEMA_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Why `o` cannot be `duckdbTable`'s options, or null. */
export function duckdbTableProblem(o: unknown): string | null {
  if (typeof o !== "object" || o === null || Array.isArray(o)) return `duckdbTable takes an object like duckdbTable({ path: "warehouse.duckdb" }) (got ${describeValue(o)})`;
  const x = o as Record<string, unknown>;
  for (const k of Object.keys(x)) if (!["path", "schema", "lockTimeoutMs", "name"].includes(k)) return `duckdbTable has no option "${k}": use path, schema, lockTimeoutMs or name`;
  if (typeof x.path !== "string" || x.path.trim() === "") return `duckdbTable needs path, the database file, like duckdbTable({ path: "warehouse.duckdb" }) (got ${describeValue(x.path)})`;
  if (x.path === ":memory:") return 'duckdbTable needs a database file: ":memory:" would lose every output at the end of the step';
  if (x.schema !== undefined && (typeof x.schema !== "string" || !SCHEMA_NAME.test(x.schema))) return `duckdbTable's schema must be a plain name (letters, digits, "_"), like "analytics" (got ${describeValue(x.schema)})`;
  const t = x.lockTimeoutMs;
  if (t !== undefined && (typeof t !== "number" || !Number.isFinite(t) || t < 0)) return `duckdbTable's lockTimeoutMs must be a number of milliseconds ≥ 0 (got ${describeValue(t)})`;
  if (x.name !== undefined && (typeof x.name !== "string" || x.name === "")) return `duckdbTable's name must be a non-empty string (got ${describeValue(x.name)})`;
  return null;
}

/**
 * An IO manager that stores each asset as a table of a DuckDB database file: an unpartitioned
 * output replaces its table atomically, a partition replaces its rows in one transaction, and
 * downstream steps (and `dagx query`) read the table in place. dagx writes only tables it created
 * itself: a table of the same name made by anyone else is an error naming it. It stores tables —
 * rows, Arrow Tables, `ctx.sql` results; as the project default (`io` in the config), other values
 * still go to JSON.
 *
 * @example
 * // dagx.config.ts: every table output goes to warehouse.duckdb
 * export default defineConfig({ io: duckdbTable({ path: "warehouse.duckdb" }) });
 * // or per asset: ioManagers: { warehouse: duckdbTable({ path: "warehouse.duckdb" }) } and asset({ io: "warehouse" }, …)
 */
export function duckdbTable(options: DuckdbTableOptions): IOManager {
  const problem = duckdbTableProblem(options);
  if (problem) throw new TypeError(problem);
  const unbound = (): never => {
    throw new Error("duckdbTable works inside dagx: declare it in dagx.config.ts (ioManagers or io)");
  };
  const manager = defineIOManager({ name: options.name ?? "warehouse", handleOutput: unbound, loadInput: unbound });
  Object.defineProperty(manager, DUCKDB_TABLE, { value: { ...options } });
  return manager;
}

/** The options of a manager made by `duckdbTable`, or null for any other. */
export function duckdbTableOptionsOf(m: unknown): Readonly<DuckdbTableOptions> | null {
  return typeof m === "object" && m !== null ? ((m as Record<symbol, DuckdbTableOptions | undefined>)[DUCKDB_TABLE] ?? null) : null;
}
