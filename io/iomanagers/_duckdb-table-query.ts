/**
 * `dagx query` over duckdbTable outputs: the warehouse named by the recorded location is attached
 * read-only to the query's DuckDB and the asset's view reads its table in place — exactly the
 * partitions state lists, as a downstream step does. `dagx query` loads no definitions, so all it
 * knows comes from state: the location names the file, schema and table.
 */
import { isAbsolute, resolve } from "node:path";
import type { DuckDBConnection } from "@duckdb/node-api";
import type { MaterializationRecord } from "../../core/types.ts";
import { quoteIdent } from "../../core/sql.ts";
import { quoteLiteral } from "../tabular/index.ts";
import { leaseWarehouse } from "./_duckdb-table-lease.ts";
import { PARTITION_COL, parseLocation, qualified } from "./_duckdb-table-names.ts";
import { ownerOf } from "./_duckdb-table-owned.ts";

/** How long `dagx query` waits for a program holding a warehouse open. */
const QUERY_LOCK_TIMEOUT_MS = 30_000;

/**
 * The table expression of an asset stored by duckdbTable (its records, the partitions to read) and
 * the release of the warehouse attachment; a string says why there is none; null: not a duckdbTable output.
 */
export async function warehouseTableExpr(conn: DuckDBConnection, root: string, records: readonly MaterializationRecord[]): Promise<{ sql: string; release: () => Promise<void> } | string | null> {
  const first = records[0];
  const where = first ? parseLocation(first.path) : null;
  if (!first || !where) return null;
  const file = isAbsolute(where.file) ? where.file : resolve(root, where.file);
  const lease = await leaseWarehouse(conn, file, { purpose: `query "${first.assetKey}"`, timeoutMs: QUERY_LOCK_TIMEOUT_MS, readOnly: true });
  const release = () => lease.release(conn);
  try {
    const owner = await ownerOf(conn, lease.alias, where.schema, where.table).catch(() => ({ kind: "none" as const }));
    if (owner.kind !== "dagx" || owner.assetKey !== first.assetKey) {
      await release();
      return `its table ${where.schema}.${where.table} is missing from warehouse "${where.file}": materialize it again`;
    }
    const ref = qualified(lease.alias, where.schema, where.table);
    const keys = records.filter((m) => m.partitionKey !== "").map((m) => quoteLiteral(m.partitionKey));
    const sql = !owner.partitioned ? ref : `(SELECT * EXCLUDE (${quoteIdent(PARTITION_COL)}) FROM ${ref} WHERE ${quoteIdent(PARTITION_COL)} IN (${keys.join(", ") || "NULL"}))`;
    return { sql, release };
  } catch (error) {
    await release();
    throw error;
  }
}
