/**
 * The atomic half of every Parquet write: DuckDB writes a temp file beside the final path;
 * we hash it (the data version), fsync it, read its schema, rename it over the final path and
 * fsync the folder. Quick metadata calls (mkdir, rename, rm) are synchronous — an async round
 * trip costs more than they do — while fsyncs, which wait on the disk, are not. On any failure the temp file goes and the previous output stays as it was.
 */
import { mkdirSync, renameSync, rmSync, statSync } from "node:fs";
import { open } from "node:fs/promises";
import { dirname } from "node:path";
import type { DuckDBConnection } from "@duckdb/node-api";
import { hashFile } from "../storage/index.ts";
import { tempPathFor } from "../storage/index.ts";
import { literalPattern, quoteLiteral } from "./_sql.ts";

/** What a Parquet write produced. */
export interface WriteResult {
  /** Rows written. */
  rows: number;
  /** Size of the file in bytes. */
  bytes: number;
  /** Stored columns with their DuckDB types, in order. */
  schema: { name: string; type: string }[];
  /** Content hash of the file (16 hex digits): equal data gives an equal version, since the output bytes are deterministic. */
  dataVersion: string;
}

export interface WriteOptions {
  /**
   * fsync the file and its folder before reporting success. Turn off only where losing the
   * output on power loss is acceptable (tests, scratch runs): each fsync can cost milliseconds.
   * @default true
   */
  fsync?: boolean;
  /**
   * Who writes a row output: "duckdb" stages the rows and lets DuckDB COPY them (compressed,
   * dictionary-encoded, with statistics); "direct" writes the final file from JS (zstd, deltas,
   * dictionaries for repetitive strings, statistics except min/max of other strings: faster,
   * smaller); "auto" writes small flat outputs directly and the rest through
   * DuckDB. Nested values always go through DuckDB. Only row writes look at it.
   * @default "auto"
   */
  writer?: RowWriter;
}

export type RowWriter = "auto" | "duckdb" | "direct";

/** What a writer produced in the temp file: its rows, and its schema when known without asking DuckDB. */
export interface Written {
  rows: number;
  schema?: { name: string; type: string }[];
  /** Size and data version of the temp file, when the writer computed them (as hashFile would). */
  file?: { bytes: number; hash: string } | null;
}

/**
 * fsync on the thread pool, so concurrent steps overlap their disk waits instead of queueing
 * behind a blocked event loop. A file that fails to sync fails the write; a folder is best
 * effort (some file systems refuse to fsync one).
 */
async function syncPath(path: string, bestEffort: boolean): Promise<void> {
  const fh = await open(path, "r").catch((e) => (bestEffort ? null : Promise.reject(e)));
  if (!fh) return;
  try {
    await fh.datasync();
  } catch (e) {
    if (!bestEffort) throw e;
  } finally {
    await fh.close();
  }
}

export async function parquetSchema(conn: DuckDBConnection, path: string): Promise<{ name: string; type: string }[]> {
  const r = await conn.runAndReadAll(`DESCRIBE SELECT * FROM read_parquet(${quoteLiteral(literalPattern(path))}, hive_partitioning = false)`);
  return r.getRowObjectsJS().map((row) => ({ name: String(row.column_name), type: String(row.column_type) }));
}

/**
 * Run `write(tmp, scratch)` — it must create the Parquet file `tmp` and return its row count (and
 * its schema, when it knows it: then DuckDB is not asked);
 * `scratch(suffix)` names a helper file beside it (the staging file), removed whatever
 * happens — then commit `tmp` to `finalPath`.
 */
export async function commitParquet(
  conn: DuckDBConnection,
  finalPath: string,
  write: (tmp: string, scratch: (suffix: string) => string) => Promise<number | Written>,
  options: WriteOptions = {},
): Promise<WriteResult> {
  const fsync = options.fsync ?? true;
  mkdirSync(dirname(finalPath), { recursive: true });
  const tmp = tempPathFor(finalPath);
  const scratchPaths: string[] = [];
  const scratch = (suffix: string) => {
    const p = `${tmp}.${suffix}`;
    scratchPaths.push(p);
    return p;
  };
  try {
    const written = await write(tmp, scratch);
    const rows = typeof written === "number" ? written : written.rows;
    const known = typeof written === "number" ? undefined : written.schema;
    const hashed = typeof written === "number" ? null : written.file;
    for (const p of scratchPaths) rmSync(p, { force: true });
    // DuckDB reads the footer while JS hashes and the thread pool syncs.
    const schemaRead = known ?? parquetSchema(conn, tmp);
    const { bytes, hash } = hashed ?? hashFile(tmp);
    if (fsync) await syncPath(tmp, false);
    const schema = await schemaRead;
    renameSync(tmp, finalPath);
    if (fsync) await syncPath(dirname(finalPath), true);
    return { rows, bytes, schema, dataVersion: hash };
  } catch (e) {
    for (const p of [tmp, ...scratchPaths]) rmSync(p, { force: true });
    throw e;
  }
}
