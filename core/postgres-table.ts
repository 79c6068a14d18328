/**
 * `postgresTable({ url })`: the IO manager that keeps each asset as a table of a Postgres
 * database. This file is the pure half: the options, their load-time checks, and a placeholder
 * manager that carries them. dagx binds the placeholder to its implementation
 * (io/iomanagers/postgres-table.ts) when it loads the project, so the public module stays free of
 * DuckDB and of any connection.
 */
import { describeValue } from "./describe.ts";
import { type EnvRef, isEnvRef } from "./env.ts";
import { defineIOManager, type IOManager } from "./io-manager.ts";

const POSTGRES_TABLE = Symbol.for("dagx.postgres-table");

/** Options of `postgresTable`. */
export interface PostgresTableOptions {
  /**
   * The database, as a `postgres://user:password@host:port/database?sslmode=…` URL — usually
   * `env("DATABASE_URL")`, read when a step needs it. The URL is always treated as a secret: it
   * and its password are redacted from every output of dagx, whatever the variable's name.
   */
  url: string | EnvRef;
  /** The schema the tables (and dagx's ownership record `_dagx_owned`) go in; created when missing. @default "public" */
  schema?: string;
  /**
   * How long a write waits for queries still reading the table it replaces (a dashboard's long
   * query) before it fails the step, the previous data intact, in milliseconds. @default 60000
   */
  lockTimeoutMs?: number;
  /** The name state records as the outputs' format. @default the key in `defineConfig({ ioManagers })`, else "postgres" */
  name?: string;
}

/** A name Postgres takes unquoted (lower case: BI tools show it as it is). */
const SCHEMA_NAME = /^[a-z_][a-z0-9_]*$/;

/** Why `o` cannot be `postgresTable`'s options, or null. */
export function postgresTableProblem(o: unknown): string | null {
  if (typeof o !== "object" || o === null || Array.isArray(o)) return `postgresTable takes an object like postgresTable({ url: env("DATABASE_URL") }) (got ${describeValue(o)})`;
  const x = o as Record<string, unknown>;
  for (const k of Object.keys(x)) if (!["url", "schema", "lockTimeoutMs", "name"].includes(k)) return `postgresTable has no option "${k}": use url, schema, lockTimeoutMs or name`;
  if (!isEnvRef(x.url) && (typeof x.url !== "string" || x.url.trim() === "")) return `postgresTable needs url, like postgresTable({ url: env("DATABASE_URL") }) (got ${x.url === undefined ? "nothing" : typeof x.url})`;
  // a literal URL is checked here without ever showing it (it may hold a password)
  if (typeof x.url === "string" && !/^postgres(ql)?:\/\//.test(x.url)) return 'postgresTable\'s url must be a postgres:// or postgresql:// URL (better: env("DATABASE_URL"), so the password stays out of the code)';
  if (x.schema !== undefined && (typeof x.schema !== "string" || !SCHEMA_NAME.test(x.schema) || x.schema.length > 63)) return `postgresTable's schema must be a plain lower-case name (letters, digits, "_"), like "analytics" (got ${describeValue(x.schema)})`;
  const t = x.lockTimeoutMs;
  if (t !== undefined && (typeof t !== "number" || !Number.isFinite(t) || t < 1)) return `postgresTable's lockTimeoutMs must be a number of milliseconds ≥ 1 (got ${describeValue(t)})`;
  if (x.name !== undefined && (typeof x.name !== "string" || x.name === "")) return `postgresTable's name must be a non-empty string (got ${describeValue(x.name)})`;
  return null;
}

/**
 * An IO manager that stores each asset as a table of a Postgres database, written through
 * DuckDB's postgres extension (binary COPY). An unpartitioned output replaces its table in one
 * Postgres transaction; a partition replaces its rows (delete + insert) in one transaction; a
 * failed or killed run leaves the previous data as it was. Downstream steps, checks and
 * `dagx query` read the table in place. dagx writes only tables it created itself (listed in
 * `<schema>._dagx_owned`): a table of the same name made by anyone else is an error naming it.
 *
 * Tables: rows, Arrow Tables and `ctx.sql` results become tables with their columns (and, for a
 * partitioned asset, the key columns and `_dagx_partition`). Other JSON values of an asset whose
 * `io` names this manager become a one-row table with one `jsonb` column, `value`; as the project
 * default (`io` in the config), other values still go to JSON files, as with every table manager.
 *
 * @example
 * // dagx.config.ts: every table output goes to Postgres
 * export default defineConfig({ io: postgresTable({ url: env("DATABASE_URL"), schema: "analytics" }) });
 * // or per asset: ioManagers: { pg: postgresTable({ url: env("DATABASE_URL") }) } and asset({ io: "pg" }, …)
 */
export function postgresTable(options: PostgresTableOptions): IOManager {
  const problem = postgresTableProblem(options);
  if (problem) throw new TypeError(problem);
  const unbound = (): never => {
    throw new Error("postgresTable works inside dagx: declare it in dagx.config.ts (ioManagers or io)");
  };
  const manager = defineIOManager({ name: options.name ?? "postgres", handleOutput: unbound, loadInput: unbound });
  // the URL holds a password whatever the variable is called: always a secret
  const url = isEnvRef(options.url) ? ({ ...options.url, secret: true } as EnvRef) : options.url;
  Object.defineProperty(manager, POSTGRES_TABLE, { value: { ...options, url } });
  return manager;
}

/** The options of a manager made by `postgresTable`, or null for any other. */
export function postgresTableOptionsOf(m: unknown): Readonly<PostgresTableOptions> | null {
  return typeof m === "object" && m !== null ? ((m as Record<symbol, PostgresTableOptions | undefined>)[POSTGRES_TABLE] ?? null) : null;
}
