/**
 * One write of duckdbTable: build the new data as a table of its own under a temporary name (the
 * long part, outside any transaction of the target), then swap it in with one short transaction:
 *
 * - unpartitioned: drop the old table and rename the new one to its name;
 * - partitioned: delete the partition's rows and insert the new ones (`_dagx_partition` holds each
 *   row's key; key columns the data lacks are added as real columns, as a Parquet reader sees them).
 *
 * A failure anywhere leaves the previous table as it was, and the temporary table is dropped.
 */
import type { DuckDBConnection } from "@duckdb/node-api";
import type { ColumnSchema } from "../../core/types.ts";
import type { AssetLogger } from "../../core/context.ts";
import { quoteIdent } from "../../core/sql.ts";
import { stallAt } from "../platform/index.ts";
import { hashText } from "../storage/index.ts";
import { quoteLiteral } from "../tabular/index.ts";
import { leaseWarehouse, type WarehouseLease } from "./_duckdb-table-lease.ts";
import { PARTITION_COL, qualified, TEMP_PREFIX } from "./_duckdb-table-names.ts";
import { assertWritable, inTransaction, ownerOf, prepareWarehouse, recordOwner } from "./_duckdb-table-owned.ts";

export interface TableWrite {
  /** Absolute path of the database file, and how the user wrote it (for messages). */
  path: string;
  shown: string;
  schema: string;
  table: string;
  assetKey: string;
  /** "" when unpartitioned. */
  partitionKey: string;
  /** Run inside the swap's transaction, before the swap: a worker's lease check (a rejection rolls the swap back). */
  beforeSwap?: () => Promise<void>;
  /** Partition dimension names and this key's value of each. */
  dims: readonly string[];
  values: readonly string[];
  timeoutMs: number;
  log: AssetLogger;
}

export interface TableWritten {
  rows: number;
  schema: ColumnSchema[];
  dataVersion: string;
}

/** Swaps of one warehouse are serialized in this process (they are short): DuckDB would fail one of two catalog writes at once. */
const swaps = new Map<string, Promise<unknown>>();

function serialized<T>(path: string, fn: () => Promise<T>): Promise<T> {
  const next = (swaps.get(path) ?? Promise.resolve()).then(fn, fn);
  swaps.set(path, next.catch(() => {}));
  return next;
}

/** Lease the warehouse of `w` for the instance of `conn`, ready for writing. */
export function leaseForWrite(conn: DuckDBConnection, w: Pick<TableWrite, "path" | "timeoutMs" | "log" | "assetKey">, purpose = `store "${w.assetKey}"`): Promise<WarehouseLease> {
  return leaseWarehouse(conn, w.path, { purpose, timeoutMs: w.timeoutMs, say: (m) => w.log.warn(m), onAttach: (c, alias) => prepareWarehouse(c, alias, "main", true) });
}

/** Write `w`'s table: `build(target)` runs `CREATE TABLE target AS …` (a user's query fails there, as theirs). */
export async function writeTable(conn: DuckDBConnection, w: TableWrite, build: (target: string) => Promise<void>): Promise<TableWritten> {
  stallAt("store-write");
  const lease = await leaseForWrite(conn, w);
  const { alias } = lease;
  const tmp = `${TEMP_PREFIX}${w.table}_${Bun.randomUUIDv7().slice(-12)}`;
  const tmpRef = qualified(alias, w.schema, tmp);
  try {
    if (w.schema !== "main") await prepareWarehouse(conn, alias, w.schema, false);
    assertWritable(await ownerOf(conn, alias, w.schema, w.table), w.assetKey, w.shown, w.schema, w.table);
    await build(tmpRef);
    const written = await describeAndHash(conn, tmpRef);
    if (w.partitionKey !== "") await addKeyColumns(conn, tmpRef, w, written.schema);
    await serialized(w.path, () => inTransaction(conn, async () => {
      await w.beforeSwap?.();
      await swap(conn, alias, tmp, w);
    }));
    return written;
  } finally {
    await conn.run(`DROP TABLE IF EXISTS ${tmpRef}`).catch(() => {});
    await lease.release(conn);
  }
}

/** The data's columns and a content hash that ignores row order: identical content, identical version. */
async function describeAndHash(conn: DuckDBConnection, ref: string): Promise<TableWritten> {
  const d = await conn.runAndReadAll(`DESCRIBE ${ref}`);
  const schema = d.getRowObjectsJS().map((r) => ({ name: String(r.column_name), type: String(r.column_type) }));
  // two independent 64-bit row hashes summed (a multiset hash: duplicates count) and the row count
  const h = await conn.runAndReadAll(`SELECT count(*)::VARCHAR AS n, coalesce(sum(hash(t)), 0)::VARCHAR AS a, coalesce(sum(hash(t, 'dagx')), 0)::VARCHAR AS b FROM ${ref} AS t`);
  const row = h.getRowObjectsJS()[0]!;
  return { rows: Number(row.n), schema, dataVersion: hashText(`duckdbTable:1|${JSON.stringify(schema)}|${row.n}|${row.a}|${row.b}`) };
}

/** Add each key column the data lacks (DuckDB names are case-insensitive) and the row's partition key. */
async function addKeyColumns(conn: DuckDBConnection, ref: string, w: TableWrite, schema: readonly ColumnSchema[]): Promise<void> {
  const has = new Set(schema.map((c) => c.name.toLowerCase()));
  for (let i = 0; i < w.dims.length; i++) {
    if (has.has(w.dims[i]!.toLowerCase())) continue;
    await conn.run(`ALTER TABLE ${ref} ADD COLUMN ${quoteIdent(w.dims[i]!)} VARCHAR DEFAULT ${quoteLiteral(w.values[i]!)}`);
  }
  await conn.run(`ALTER TABLE ${ref} ADD COLUMN ${quoteIdent(PARTITION_COL)} VARCHAR DEFAULT ${quoteLiteral(w.partitionKey)}`);
}

/** The swap, inside one transaction: the ownership is checked again there (another run may have come first). */
async function swap(conn: DuckDBConnection, alias: string, tmp: string, w: TableWrite): Promise<void> {
  const owner = await ownerOf(conn, alias, w.schema, w.table);
  assertWritable(owner, w.assetKey, w.shown, w.schema, w.table);
  const target = qualified(alias, w.schema, w.table);
  const tmpRef = qualified(alias, w.schema, tmp);
  // a partition goes into the existing table of partitions; anything else replaces the table whole
  if (w.partitionKey !== "" && owner.kind === "dagx" && owner.partitioned) {
    const cols = async (ref: string) => (await conn.runAndReadAll(`DESCRIBE ${ref}`)).getRowObjectsJS().map((r) => ({ name: String(r.column_name), type: String(r.column_type) }));
    const have = new Set((await cols(target)).map((c) => c.name.toLowerCase()));
    for (const c of await cols(tmpRef)) if (!have.has(c.name.toLowerCase())) await conn.run(`ALTER TABLE ${target} ADD COLUMN ${quoteIdent(c.name)} ${c.type}`);
    await conn.run(`DELETE FROM ${target} WHERE ${quoteIdent(PARTITION_COL)} = $1`, [w.partitionKey]);
    await conn.run(`INSERT INTO ${target} BY NAME SELECT * FROM ${tmpRef}`);
  } else {
    if (owner.kind === "dagx") await conn.run(`DROP TABLE ${target}`);
    await conn.run(`ALTER TABLE ${tmpRef} RENAME TO ${quoteIdent(w.table)}`);
  }
  await recordOwner(conn, alias, w.schema, w.table, w.assetKey);
}
