/**
 * Messages for a state file that cannot be used as it is — damaged, or read-only — each naming
 * the file and what to do. DuckDB's own wording is matched (and kept in the message as detail).
 */
import fs from "node:fs";
import path from "node:path";
import { StateStoreError } from "../../core/errors.ts";

/** DuckDB's words for a file that is not (or no longer) a readable database. */
const DAMAGED = /not a valid DuckDB database file|Corrupt database file|Could not read enough bytes|stored checksum|Failure while replaying WAL/i;
/** DuckDB's words for a write to a database attached read-only. */
const READ_ONLY_WRITE = /read-only mode|attached in read.only|database is read.only/i;
/** The OS refusing to create or write a file. */
const DENIED = /Permission denied|Read-only file system/i;

const detailOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

/** Can this process write the state file and its folder (DuckDB writes a `.wal` beside the file)? */
export function isStateWritable(dbPath: string): boolean {
  try {
    fs.accessSync(dbPath, fs.constants.W_OK);
    fs.accessSync(path.dirname(dbPath), fs.constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

/** A clear error for a damaged or read-only state file, or null when `error` is neither. */
export function stateFileError(dbPath: string, error: unknown, doing: string): StateStoreError | null {
  const detail = detailOf(error);
  if (DAMAGED.test(detail)) return damagedError(dbPath, detail, error);
  if (READ_ONLY_WRITE.test(detail) || DENIED.test(detail)) return readOnlyError(dbPath, doing, detail, error);
  return null;
}

function damagedError(dbPath: string, detail: string, cause: unknown): StateStoreError {
  const moves = [dbPath, `${dbPath}.wal`].filter((p) => fs.existsSync(p)).map((p) => `mv "${p}" "${p}.broken"`);
  return new StateStoreError(
    `State file "${dbPath}" is damaged (${detail.trim()}): move it aside with \`${(moves.length ? moves : [`mv "${dbPath}" "${dbPath}.broken"`]).join(" && ")}\` ` +
      "and run the command again — dagx starts a new state file (run history, logs, checks and backfill records are lost; outputs under .dagx/data stay), " +
      "and `dagx materialize --stale` materializes and records every asset again",
    { cause },
  );
}

function readOnlyError(dbPath: string, doing: string, detail: string, cause: unknown): StateStoreError {
  const dir = path.dirname(dbPath);
  return new StateStoreError(
    `State file "${dbPath}" is read-only, so dagx cannot ${doing} (${detail.trim()}): ` +
      `make the folder and the file writable with \`chmod u+w "${dir}" "${dbPath}"\` (as their owner); status, query, runs and logs work read-only`,
    { cause },
  );
}
