/** `dagx.config.ts` at the project root (optional). Checked at load: unknown keys and bad values are errors. */
import type { AlertConfig } from "./alerts/types.ts";
import type { EnvRef } from "./env.ts";
import type { IOManager, ParquetWriter } from "./io-manager.ts";
import type { DbtProjectOptions } from "./dbt/project.ts";

export interface DagxConfig {
  /** Max steps running at once. @default the number of CPUs */
  concurrency?: number;
  /**
   * Resources by name. A resource made by `defineResource` is set up on first use and reaches only
   * the assets, checks, sensors and IO managers that request it (`resources: ["warehouse"]`); a
   * plain value (a string, a number, an object) is handed to every asset as it is.
   */
  resources?: Record<string, unknown>;
  /**
   * IO managers by name, made by `defineIOManager`: an asset chooses one with `io: "name"`. The
   * built-ins `"parquet"` and `"json"` need no declaration.
   */
  ioManagers?: Record<string, IOManager>;
  /**
   * Who writes row outputs of the built-in Parquet IO manager, for assets that do not choose
   * (`parquetWriter` on an asset overrides it): "duckdb" (DuckDB COPY: compressed, with column
   * statistics), "direct" (JS writes the file: faster and smaller, but without statistics) or
   * "auto" (direct for flat outputs of at most 1,024 rows). ctx.sql queries and Arrow Tables are
   * always written by DuckDB.
   * @default "auto"
   */
  parquetWriter?: ParquetWriter;
  /**
   * The IO manager of table outputs (rows, Arrow Tables, `ctx.sql` queries) of assets that set no
   * `io`: a built-in name, the name of one in `ioManagers`, or a manager such as
   * `duckdbTable({ path: "warehouse.duckdb" })`. Other values are still stored as JSON.
   * @default "parquet"
   */
  io?: string | IOManager;
  /**
   * Who hears about failures: webhooks (a JSON POST with a Slack-compatible `text`) or commands, on
   * run failure, check failure, freshness overdue, sensor or schedule failure. One alert per
   * incident (docs/alerts.md).
   * @example
   * alerts: [{ on: ["run_failure", "check_failure"], webhook: env("SLACK_WEBHOOK_URL") }]
   */
  alerts?: readonly AlertConfig[];
  /** dbt: its executable and projects declared here (`dbtProject()` in an asset file works too). */
  dbt?: DbtConfig;
  /** Python: the interpreter and the `uv` that run `*.asset.py` files (docs/pipes.md). */
  python?: PythonConfig;
  /**
   * Where the state lives (runs, events, materializations, backfills, ticks): omitted, the DuckDB
   * file `.dagx/state.duckdb`; a `postgres://user:password@host:5432/db` URL (optional
   * `?schema=NAME`, default `dagx`), a PostgreSQL database that processes on many machines share
   * (docs/state.md). Write the password through `env()`; it is redacted from every message either way.
   * The environment variable `DAGX_STATE_URL` overrides it.
   * @example
   * state: env("DAGX_STATE_URL")
   */
  state?: string | EnvRef;
}

/**
 * `python` in dagx.config.ts: how dagx runs `*.asset.py` files. The environment variables
 * `DAGX_PYTHON` and `DAGX_UV` (one path each) override these settings.
 */
export interface PythonConfig {
  /**
   * The interpreter of plain `*.asset.py` files: a path (`".venv/bin/python"`, relative to the
   * project root or on PATH), or an argv such as `["uv", "run", "python"]`.
   * @default "python3" on PATH
   */
  executable?: string | readonly string[];
  /**
   * The `uv` that runs files with a PEP 723 inline-metadata block (`uv run --script FILE`, with
   * `UV_PYTHON_DOWNLOADS=never`): a path or an argv.
   * @default "uv" on PATH
   */
  uv?: string | readonly string[];
}

/** `dbt` in dagx.config.ts: how dagx runs dbt, and dbt projects declared without an asset file (docs/dbt.md). */
export interface DbtConfig {
  /**
   * The dbt command: a path, or an argv such as `["uv", "run", "dbt"]`. The environment variable
   * `DAGX_DBT_EXECUTABLE` (one path) overrides it.
   * @default "dbt" on PATH
   */
  executable?: string | readonly string[];
  /** dbt projects loaded as if an asset file exported `dbtProject(entry)`: `[{ dir: "dbt" }]`. */
  projects?: readonly DbtProjectOptions[];
}

/**
 * Type the project configuration.
 * @example
 * export default defineConfig({ concurrency: 4, resources: { apiUrl: "https://example.com" } });
 */
export function defineConfig<C extends DagxConfig>(config: C & { [K in Exclude<keyof C, keyof DagxConfig>]: never }): C {
  return config;
}
