/**
 * The state store: `.dagx/state.duckdb` (short sessions behind a file lock, migrations, the appender), a PostgreSQL
 * database (postgres-store.ts, chosen by `DAGX_STATE_URL` or the config's `state`) and the in-memory twin, plus the buffered writer runs use.
 * The only door into io/state/: other folders import from here, never a file behind it.
 */
export { slotKey } from "./_records.ts";
import type { DagxConfig } from "../../core/config.ts";
import { type EnvLookup, isEnvRef, MissingEnvError, resolveEnvRefs } from "../../core/env.ts";
import { StateStoreError } from "../../core/errors.ts";
import type { StateStore } from "../../core/state-store.ts";
import { redactingStore } from "../secrets/index.ts";
import { createDuckDBStateStore as openDuckDBStore, type DuckDBStateStoreOptions } from "./duckdb-store.ts";
import { createMemoryStateStore as openMemoryStore } from "./memory-store.ts";

/** The state store in the DuckDB file at `dbPath`; every write has the process's secrets redacted (io/secrets). */
export function createDuckDBStateStore(dbPath: string, options?: DuckDBStateStoreOptions): StateStore {
  return redactingStore(openDuckDBStore(dbPath, options));
}

/** The in-memory state store, redacting as the DuckDB one does. */
export function createMemoryStateStore(...args: Parameters<typeof openMemoryStore>): StateStore {
  return redactingStore(openMemoryStore(...args));
}
export { createStateWriter } from "./writer.ts";
export { releaseWarmStateHost, warmStateHost } from "./_session.ts";
export { inspectStateFile } from "./inspect.ts";
export { inspectPostgresState } from "./postgres-inspect.ts";
export type { PostgresStateInfo } from "./postgres-inspect.ts";
export type { StateFileInfo } from "./inspect.ts";
import { createPostgresStateStore as openPostgresStore, type PostgresStateStoreOptions } from "./postgres-store.ts";
import { isPostgresUrl, parsePgUrl } from "./_pg-client.ts";

/** The state store in the Postgres database of `url` (postgres://…, optional `?schema=`), redacting as the DuckDB one does. */
export function createPostgresStateStore(url: string, options?: PostgresStateStoreOptions): StateStore {
  return redactingStore(openPostgresStore(url, options));
}

/** The environment variable that names a Postgres state; it overrides the config's `state`. */
export const STATE_URL_VARIABLE = "DAGX_STATE_URL";

/**
 * The Postgres URL a project's state is at, or null for the DuckDB file: `DAGX_STATE_URL` (the
 * environment, else the project's .env), else the config's `state` (an env() reference resolved
 * here). The URL's password is known to the redactor from here on.
 */
export function stateUrlOf(setting: DagxConfig["state"], env: Pick<EnvLookup, "get" | "root" | "onSecret">): string | null {
  const fromEnv = env.get(STATE_URL_VARIABLE)?.trim();
  let url: string | null = fromEnv ? fromEnv : null;
  if (url === null && setting !== undefined) {
    try {
      url = isEnvRef(setting) ? resolveEnvRefs(setting, env as EnvLookup, "the config's state") : setting;
    } catch (error) {
      if (error instanceof MissingEnvError) throw new StateStoreError(error.message);
      throw error;
    }
  }
  if (url === null || url.trim() === "") return null;
  if (!isPostgresUrl(url)) {
    throw new StateStoreError(`${fromEnv ? STATE_URL_VARIABLE : "The config's state"} is not a postgres:// URL (the value is not shown: it may hold a password): write postgres://user:password@host:5432/db, or leave it unset to keep the state in .dagx/state.duckdb`);
  }
  parsePgUrl(url); // its password is a secret of this process from now on
  return url.trim();
}

/** The project's state store: the Postgres database of `url` when given (see stateUrlOf), else the DuckDB file at `statePath`. */
export function openStateStore(statePath: string, url: string | null): StateStore {
  return url ? createPostgresStateStore(url) : createDuckDBStateStore(statePath);
}
export { isPostgresUrl } from "./_pg-client.ts";
export { copyStateToPostgres } from "./postgres-copy.ts";
export type { CopyCounts } from "./postgres-copy.ts";
export { createDaemonElection, readDaemonStatus } from "./postgres-leader.ts";
export type { DaemonElection, DaemonInfo, DaemonStatus, ElectionOptions, Leadership } from "./postgres-leader.ts";
/** For the work queue (io/queue), which keeps its tables in the same Postgres state. */
export { createPgOps } from "./_pg-client.ts";
export type { PgOps, PgTx } from "./_pg-client.ts";
export { writeStepResultsInTx } from "./postgres-store.ts";
export { createRunInTx } from "./postgres-runs.ts";
export { toEvent as eventFromRow } from "./_sql.ts";
