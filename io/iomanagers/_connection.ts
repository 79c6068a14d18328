/** A DuckDB connection for IO-manager work that may run outside a step (e.g. `dagx wipe --data`). */
import { DuckDBInstance, type DuckDBConnection } from "@duckdb/node-api";

/** The step's connection, or (where the caller has no DuckDB, as `dagx wipe`) one of our own for `fn`. */
export async function withConnection(conn: () => Promise<DuckDBConnection>, fn: (c: DuckDBConnection) => Promise<void>): Promise<void> {
  let c: DuckDBConnection | null = null;
  try {
    c = await conn();
  } catch {
    c = null;
  }
  if (c) return fn(c);
  const instance = await DuckDBInstance.create(":memory:", { threads: "1" });
  const own = await instance.connect();
  try {
    await fn(own);
  } finally {
    own.closeSync();
    instance.closeSync();
  }
}
