/** `dagx.config.ts` at the project root (optional). Checked at load: unknown keys and bad values are errors. */
import type { AlertConfig } from "./alerts/types.ts";
import type { EnvRef } from "./env.ts";
import type { IOManager, ParquetWriter } from "./io-manager.ts";
import type { DbtProjectOptions } from "./dbt/project.ts";

/** `workers` in dagx.config.ts: how runs reach `dagx worker` processes. */
export interface WorkersConfig {
  /**
   * The daemon (schedules, sensors, automation, backfills) and the UI enqueue their runs for the
   * workers instead of running them in their own process (like Dagster's queued run coordinator).
   * The CLI still runs in process unless `--queue`. Needs a Postgres `state`.
   * @default false
   */
  enqueue?: boolean;
  /** The queue the daemon and the UI put runs on (`dagx worker --queue NAME` takes them). @default "default" */
  queue?: string;
  /**
   * The most steps of queued runs running at once across every worker of the deployment (each
   * worker's `--concurrency` still caps it on its machine).
   * @default no limit beyond the workers' own
   */
  maxSteps?: number;
}

export interface DagxConfig {
  /**
   * Max steps running at once in one process: a local run (`materialize`, `backfill`, the daemon
   * and the UI without `workers.enqueue`), and the default `--concurrency` of each `dagx worker`.
   * A limit across all workers is `workers.maxSteps`; a limit per kind of work is a pool.
   * @default the number of CPUs
   */
  concurrency?: number;
  /**
   * Concurrency pools by name: the most steps of the pool's assets (`pool: "warehouse"` on an
   * asset) running at once — within a local run, and across every `dagx worker` of the deployment
   * (enforced when a worker claims a step, in the Postgres state).
   * @example
   * pools: { warehouse: 2, api: 4 }
   */
  pools?: Record<string, number>;
  /**
   * The queue of `dagx worker` processes, with a Postgres `state` (docs/workers.md).
   * @example
   * workers: { enqueue: true, maxSteps: 16 }
   */
  workers?: WorkersConfig;
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
