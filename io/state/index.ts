/**
 * The state store: `.dagx/state.duckdb` (short sessions behind a file lock, migrations, the appender) and its in-memory twin, plus the buffered writer runs use.
 * The only door into io/state/: other folders import from here, never a file behind it.
 */
export { slotKey } from "./_records.ts";
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
export type { StateFileInfo } from "./inspect.ts";
export { readChangeMarks, readCheckHistory, readMaterializationHistory } from "./ui-reads.ts";
export type { ChangeMarks } from "./ui-reads.ts";
import { createPostgresStateStore as openPostgresStore, type PostgresStateStoreOptions } from "./postgres-store.ts";

/** The state store in the Postgres database of `url` (postgres://…, optional `?schema=`), redacting as the DuckDB one does. */
export function createPostgresStateStore(url: string, options?: PostgresStateStoreOptions): StateStore {
  return redactingStore(openPostgresStore(url, options));
}
