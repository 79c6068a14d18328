/**
 * Names of duckdbTable: an asset's table, the location state records, and the hidden column and
 * table dagx keeps in the warehouse. The location names the database file too, so `dagx query`
 * (which loads no definitions) can find the table from state alone.
 */
import { quoteIdent } from "../../core/sql.ts";

/** The column holding the partition key of each row of a partitioned asset's table. */
export const PARTITION_COL = "_dagx_partition";
/** The ownership record: every table dagx created in this warehouse, and its asset. */
export const OWNED_TABLE = "_dagx_owned";
/** Prefix of the tables a write builds before it swaps them in. */
export const TEMP_PREFIX = "_dagx_tmp_";

const PREFIX = "duckdb:";

/** Where one asset's table is: the database file as configured, the schema and the table. */
export interface TableLocation {
  file: string;
  schema: string;
  table: string;
}

/** The table of asset `key`: its key with "/" as "__" (`analytics/daily` → `analytics__daily`). */
export function tableNameOf(key: string): string {
  return key.replaceAll("/", "__");
}

export function formatLocation(l: TableLocation): string {
  return `${PREFIX}${[l.file, l.schema, l.table].map(encodeURIComponent).join("/")}`;
}

/** The table a location names, or null when it is not one duckdbTable wrote. */
export function parseLocation(location: string): TableLocation | null {
  // a dbt out's location (`duckdb:<file>#<schema>.<table>`, io/iomanagers/dbt-relation.ts) has a raw "#", never one of ours
  if (!location.startsWith(PREFIX) || location.includes("#")) return null;
  const parts = location.slice(PREFIX.length).split("/");
  if (parts.length !== 3 || parts.some((p) => p === "")) return null;
  try {
    const [file, schema, table] = parts.map(decodeURIComponent) as [string, string, string];
    return { file, schema, table };
  } catch {
    return null;
  }
}

/** `alias.schema.table`, quoted. */
export function qualified(alias: string, schema: string, table: string): string {
  return `${alias}.${quoteIdent(schema)}.${quoteIdent(table)}`;
}
