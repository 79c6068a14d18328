/**
 * A look at a state file that changes nothing (for `dagx doctor`): attached READ_ONLY in a
 * DuckDB instance of its own, no migration, behind the same cross-process gate as sessions
 * (a writer elsewhere holds DuckDB's exclusive lock; a read-only attach would fail meanwhile).
 */
import { type DuckDBConnection, DuckDBInstance } from "@duckdb/node-api";
import fs from "node:fs";
import { StateStoreError } from "../../core/errors.ts";
import { openFileLock } from "../storage/index.ts";
import { stateFileError } from "./_errors.ts";
import { SCHEMA_VERSION } from "./_schema.ts";
import { whenStateIdle } from "./_session.ts";

const LOCK_ERROR = /Could not set lock on file|Conflicting lock is held/;

export interface StateFileInfo {
  exists: boolean;
  /** Size of the file (its `.wal` included), bytes. */
  bytes: number;
  /** The file's schema version (0 for a file without the table); null when the file does not exist. */
  schemaVersion: number | null;
  /** The schema version this dagx writes. */
  knownVersion: number;
  /** Recorded runs; null when the file does not exist. */
  runs: number | null;
}

const sizeOf = (p: string) => (fs.existsSync(p) ? fs.statSync(p).size : 0);

/** Read the schema version and run count of `dbPath` without writing anything; rejects with StateStoreError (damaged, locked too long). */
export async function inspectStateFile(dbPath: string, options: { timeoutMs?: number } = {}): Promise<StateFileInfo> {
  if (!fs.existsSync(dbPath)) return { exists: false, bytes: 0, schemaVersion: null, knownVersion: SCHEMA_VERSION, runs: null };
  // this process's own sessions first: two attachments of one file in one process must not overlap
  await whenStateIdle(dbPath);
  const bytes = sizeOf(dbPath) + sizeOf(`${dbPath}.wal`);
  const lock = await openFileLock(`${dbPath}.lock`).catch(() => null);
  const instance = await DuckDBInstance.create(":memory:", { threads: "1" });
  const conn = await instance.connect();
  const deadline = Date.now() + (options.timeoutMs ?? 5_000);
  try {
    for (;;) {
      if (!lock || lock.tryLock()) {
        try {
          await conn.run(`ATTACH '${dbPath.replaceAll("'", "''")}' AS dagx_state (READ_ONLY)`);
          try {
            return { exists: true, bytes, ...(await readFacts(conn)), knownVersion: SCHEMA_VERSION };
          } finally {
            await conn.run("DETACH dagx_state").catch(() => {});
          }
        } catch (error) {
          if (!LOCK_ERROR.test(String(error))) throw readError(dbPath, error);
        } finally {
          lock?.unlock();
        }
      }
      if (Date.now() >= deadline) {
        const pid = lock?.holderPid();
        throw new StateStoreError(`Cannot read state file "${dbPath}": ${pid ? `dagx process ${pid}` : "another process"} kept it locked for ${options.timeoutMs ?? 5_000} ms`);
      }
      await Bun.sleep(5 + Math.random() * 10);
    }
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}

async function readFacts(conn: DuckDBConnection): Promise<{ schemaVersion: number; runs: number | null }> {
  const tables = await conn.runAndReadAll("SELECT table_name FROM duckdb_tables() WHERE database_name = 'dagx_state'");
  const names = new Set(tables.getRowObjectsJS().map((r) => String(r.table_name)));
  if (!names.has("schema_version")) return { schemaVersion: 0, runs: null };
  const v = await conn.runAndReadAll("SELECT coalesce(max(version), 0) AS v FROM dagx_state.schema_version");
  const runs = names.has("runs") ? await conn.runAndReadAll("SELECT count(*) AS n FROM dagx_state.runs") : null;
  return { schemaVersion: Number(v.getRowObjectsJS()[0]?.v ?? 0), runs: runs ? Number(runs.getRowObjectsJS()[0]?.n ?? 0) : null };
}

function readError(dbPath: string, error: unknown): StateStoreError {
  if (error instanceof StateStoreError) return error;
  const detail = error instanceof Error ? error.message : String(error);
  return stateFileError(dbPath, error, "read it") ?? new StateStoreError(`Cannot read state file "${dbPath}": ${detail}`, { cause: error });
}
