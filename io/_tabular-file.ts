/**
 * The atomic half of every Parquet write: DuckDB writes a temp file beside the final path;
 * we hash it (the data version), fsync it, read its schema, rename it over the final path and
 * fsync the folder. On any failure the temp file goes and the previous output stays as it was.
 */
import { mkdir, open, rename, rm } from "node:fs/promises";
import { dirname } from "node:path";
import type { DuckDBConnection } from "@duckdb/node-api";
import { fsyncPath, tempPathFor } from "./atomic.ts";
import { quoteLiteral } from "./_tabular-sql.ts";

/** What a Parquet write produced. */
export interface WriteResult {
  /** Rows written. */
  rows: number;
  /** Size of the file in bytes. */
  bytes: number;
  /** Stored columns with their DuckDB types, in order. */
  schema: { name: string; type: string }[];
  /** sha256 (hex) of the file's bytes: equal data gives an equal version (DuckDB's output is deterministic). */
  dataVersion: string;
}

export interface WriteOptions {
  /**
   * fsync the file and its folder before reporting success. Turn off only where losing the
   * output on power loss is acceptable (tests, scratch runs): each fsync can cost milliseconds.
   * @default true
   */
  fsync?: boolean;
}

/** Hash a finished file in 4 MiB reads; fsync it on the same handle. */
async function hashAndSync(path: string, fsync: boolean): Promise<{ bytes: number; hash: string }> {
  const fh = await open(path, "r");
  try {
    const hasher = new Bun.CryptoHasher("sha256");
    const buf = new Uint8Array(4 << 20);
    let bytes = 0;
    for (;;) {
      const { bytesRead } = await fh.read(buf, 0, buf.length, null);
      if (bytesRead === 0) break;
      hasher.update(buf.subarray(0, bytesRead));
      bytes += bytesRead;
    }
    if (fsync) await fh.sync();
    return { bytes, hash: hasher.digest("hex") };
  } finally {
    await fh.close();
  }
}

export async function parquetSchema(conn: DuckDBConnection, path: string): Promise<{ name: string; type: string }[]> {
  const r = await conn.runAndReadAll(`DESCRIBE SELECT * FROM read_parquet(${quoteLiteral(path)})`);
  return r.getRowObjectsJS().map((row) => ({ name: String(row.column_name), type: String(row.column_type) }));
}

/**
 * Run `write(tmp)` (which must create the Parquet file `tmp` and return its row count), then
 * commit it to `finalPath`. `scratch` paths (staging files) are removed whatever happens.
 */
export async function commitParquet(
  conn: DuckDBConnection,
  finalPath: string,
  write: (tmp: string, scratch: (path: string) => string) => Promise<number>,
  options: WriteOptions = {},
): Promise<WriteResult> {
  const fsync = options.fsync ?? true;
  await mkdir(dirname(finalPath), { recursive: true });
  const tmp = tempPathFor(finalPath);
  const scratchPaths: string[] = [];
  const scratch = (suffix: string) => {
    const p = `${tmp}.${suffix}`;
    scratchPaths.push(p);
    return p;
  };
  try {
    const rows = await write(tmp, scratch);
    await Promise.all(scratchPaths.map((p) => rm(p, { force: true })));
    const { bytes, hash } = await hashAndSync(tmp, fsync);
    const schema = await parquetSchema(conn, tmp);
    await rename(tmp, finalPath);
    if (fsync) fsyncPath(dirname(finalPath));
    return { rows, bytes, schema, dataVersion: hash };
  } catch (e) {
    await Promise.all([tmp, ...scratchPaths].map((p) => rm(p, { force: true })));
    throw e;
  }
}
