/**
 * How the parts of the DuckDB store (duckdb-runs.ts, duckdb-materializations.ts,
 * duckdb-backfills.ts, duckdb-instigators.ts) reach the file: `op(label, fn)` runs `fn` as one job
 * of a short session (io/state/_session.ts) — the parts add no sessions of their own — and turns
 * what fails into a StateStoreError naming the file and `label`. All parts of one store share one
 * `StateOps`, so `close()` waits for the calls of every part.
 */
import type { DuckDBConnection } from "@duckdb/node-api";
import { StateStoreError } from "../../core/errors.ts";
import { stateFileError } from "./_errors.ts";
import { type SessionInfo, whenStateIdle, withStateConnection } from "./_session.ts";

/** A job inside a session: the connection has the state file attached (read-only when `info.readOnly`). */
export type StateJob<T> = (conn: DuckDBConnection, info: SessionInfo) => Promise<T>;

export interface StateOps {
  /** The state file. */
  readonly dbPath: string;
  /** Run `fn` in a session; rejects with StateStoreError ("Cannot <label> …") when it fails or the store is closed. */
  op<T>(label: string, fn: StateJob<T>): Promise<T>;
  /** Refuse new calls, wait for the started ones, then until the file is detached (safe to open elsewhere). */
  close(): Promise<void>;
}

/** The session runner of one store over `dbPath`; a call waits up to `timeoutMs` for other processes holding the file. */
export function createStateOps(dbPath: string, timeoutMs: number): StateOps {
  const pending = new Set<Promise<unknown>>();
  let closed = false;

  function op<T>(label: string, fn: StateJob<T>): Promise<T> {
    if (closed) return Promise.reject(new StateStoreError(`Cannot ${label}: the state store "${dbPath}" is closed`));
    const promise = withStateConnection(dbPath, timeoutMs, async (conn, info) => {
      try {
        return await fn(conn, info);
      } catch (error) {
        if (error instanceof StateStoreError) throw error;
        // a damaged file can surface on any read; a write to a read-only file on any write
        const known = stateFileError(dbPath, error, label);
        if (known) throw known;
        const detail = error instanceof Error ? error.message : String(error);
        throw new StateStoreError(`Cannot ${label} in state file "${dbPath}": ${detail}`, { cause: error });
      }
    });
    pending.add(promise);
    const forget = () => pending.delete(promise);
    promise.then(forget, forget);
    return promise;
  }

  return {
    dbPath,
    op,
    async close() {
      closed = true;
      await Promise.allSettled([...pending]);
      await whenStateIdle(dbPath);
    },
  };
}
