/**
 * The ownership record of duckdbTable: the table `main._dagx_owned` in the warehouse lists every
 * table dagx created there and the asset it holds. It lives beside the tables (not in the state
 * store) so that it changes in the same transaction as they do: a table is never created, replaced
 * or dropped without its record agreeing. A table of an asset's name that the record does not list
 * was made by someone else, and dagx refuses to touch it.
 */
import type { DuckDBConnection } from "@duckdb/node-api";
import { DagxError } from "../../core/errors.ts";
import { quoteIdent } from "../../core/sql.ts";
import { OWNED_TABLE, PARTITION_COL, qualified, TEMP_PREFIX } from "./_duckdb-table-names.ts";

/** Create the record (and `schema`) when missing; drop tables an interrupted write left behind. */
export async function prepareWarehouse(conn: DuckDBConnection, alias: string, schema: string, cleanTemps: boolean): Promise<void> {
  await conn.run(`CREATE TABLE IF NOT EXISTS ${qualified(alias, "main", OWNED_TABLE)} (schema_name VARCHAR NOT NULL, table_name VARCHAR NOT NULL, asset_key VARCHAR NOT NULL, created_at TIMESTAMP NOT NULL)`);
  if (schema !== "main") await conn.run(`CREATE SCHEMA IF NOT EXISTS ${alias}.${quoteIdent(schema)}`);
  if (!cleanTemps) return;
  // only when this process has just attached the file: no other writer (here or elsewhere) can be building one now
  const r = await conn.runAndReadAll("SELECT schema_name, table_name FROM duckdb_tables() WHERE database_name = $1 AND starts_with(table_name, $2)", [alias, TEMP_PREFIX]);
  for (const row of r.getRowObjectsJS()) await conn.run(`DROP TABLE IF EXISTS ${qualified(alias, String(row.schema_name), String(row.table_name))}`);
}

/** What the warehouse holds under a table name: nothing, dagx's table of an asset, or someone else's table. */
export type TableOwner = { kind: "none" } | { kind: "dagx"; assetKey: string; partitioned: boolean } | { kind: "foreign" };

export async function ownerOf(conn: DuckDBConnection, alias: string, schema: string, table: string): Promise<TableOwner> {
  const t = await conn.runAndReadAll(
    "SELECT (SELECT count(*) FROM duckdb_columns() c WHERE c.database_name = t.database_name AND c.schema_name = t.schema_name AND c.table_name = t.table_name AND c.column_name = $4)::INTEGER AS p FROM duckdb_tables() t WHERE t.database_name = $1 AND lower(t.schema_name) = lower($2) AND lower(t.table_name) = lower($3)",
    [alias, schema, table, PARTITION_COL],
  );
  const found = t.getRowObjectsJS()[0];
  const views = await conn.runAndReadAll("SELECT count(*)::INTEGER AS n FROM duckdb_views() WHERE database_name = $1 AND lower(schema_name) = lower($2) AND lower(view_name) = lower($3)", [alias, schema, table]);
  if (!found) return Number(views.getRowObjectsJS()[0]?.n) > 0 ? { kind: "foreign" } : { kind: "none" };
  const o = await conn.runAndReadAll(`SELECT asset_key FROM ${qualified(alias, "main", OWNED_TABLE)} WHERE lower(schema_name) = lower($1) AND lower(table_name) = lower($2)`, [schema, table]);
  const owner = o.getRowObjectsJS()[0];
  return owner ? { kind: "dagx", assetKey: String(owner.asset_key), partitioned: Number(found.p) > 0 } : { kind: "foreign" };
}

/** Throw unless `assetKey` may write `schema.table`: it is free, or dagx's table of that asset. */
export function assertWritable(owner: TableOwner, assetKey: string, file: string, schema: string, table: string): void {
  const name = `${schema}.${table}`;
  if (owner.kind === "foreign") {
    throw new DagxError(
      "OUTPUT_WRITE",
      `Cannot store "${assetKey}" in warehouse "${file}": table ${name} already exists and dagx did not create it: dagx never writes into, replaces or drops a table it did not create — rename or drop that table yourself, or give duckdbTable another schema`,
      { exitCode: 1 },
    );
  }
  if (owner.kind === "dagx" && owner.assetKey !== assetKey) {
    throw new DagxError("OUTPUT_WRITE", `Cannot store "${assetKey}" in warehouse "${file}": table ${name} holds asset "${owner.assetKey}" (both keys give that table name): rename one of the assets, or store one in another warehouse`, { exitCode: 1 });
  }
}

/** Record that `schema.table` holds `assetKey` (inside the caller's transaction). */
export async function recordOwner(conn: DuckDBConnection, alias: string, schema: string, table: string, assetKey: string): Promise<void> {
  const owned = qualified(alias, "main", OWNED_TABLE);
  await conn.run(`DELETE FROM ${owned} WHERE lower(schema_name) = lower($1) AND lower(table_name) = lower($2)`, [schema, table]);
  await conn.run(`INSERT INTO ${owned} VALUES ($1, $2, $3, now()::TIMESTAMP)`, [schema, table, assetKey]);
}

export async function forgetOwner(conn: DuckDBConnection, alias: string, schema: string, table: string): Promise<void> {
  await conn.run(`DELETE FROM ${qualified(alias, "main", OWNED_TABLE)} WHERE lower(schema_name) = lower($1) AND lower(table_name) = lower($2)`, [schema, table]);
}

/** Run `fn` in one transaction of `conn`: all of it, or (on a throw) none of it. */
export async function inTransaction<T>(conn: DuckDBConnection, fn: () => Promise<T>): Promise<T> {
  await conn.run("BEGIN TRANSACTION");
  try {
    const out = await fn();
    await conn.run("COMMIT");
    return out;
  } catch (error) {
    await conn.run("ROLLBACK").catch(() => {});
    throw error;
  }
}
