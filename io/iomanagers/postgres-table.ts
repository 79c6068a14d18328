/**
 * postgresTable (core/postgres-table.ts holds its options): each asset a table of a Postgres
 * database, reached through DuckDB's postgres extension attached to the step's DuckDB
 * (io/iomanagers/_postgres-connect.ts).
 *
 * A write builds the new data as a table of its own (`_dagx_tmp_…`, by binary COPY from DuckDB),
 * then swaps it in with one statement run in Postgres — one transaction (_postgres-sql.ts): the
 * previous data stays whole and readable until that commit, and a failed or killed run leaves it
 * as it was. The data is staged in the step's DuckDB first (a `ctx.sql` result as a temp table,
 * rows and Arrow Tables as a Parquet file), which gives the data version without reading the
 * table back. Downstream steps, checks and `dagx query` read the table in place.
 *
 * JSON values (anything not a table) of an asset whose `io` names this manager become a one-row
 * table (one row per partition) with one `json` column, `value`: the value lives where the
 * asset's owner asked, a BI tool can read it, and it is replaced atomically like any table. As
 * the project default, such values still go to JSON files (core registry rule of table managers).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { DuckDBConnection } from "@duckdb/node-api";
import { isSqlQuery } from "../../core/context.ts";
import { describeType } from "../../core/describe.ts";
import { type EnvLookup, resolveEnvRefs } from "../../core/env.ts";
import { DagxError } from "../../core/errors.ts";
import { defineIOManager, type IOManager } from "../../core/io-manager.ts";
import { type PostgresTableOptions, postgresTableOptionsOf } from "../../core/postgres-table.ts";
import { quoteIdent } from "../../core/sql.ts";
import type { ColumnSchema, MaterializationRecord } from "../../core/types.ts";
import { stallAt } from "../platform/index.ts";
import { hashText } from "../storage/index.ts";
import { parquetSql, quoteLiteral, wrapQuery, writeArrowParquet, writeRowsParquet } from "../tabular/index.ts";
import { partitionColumnsOf, stepOf } from "./context.ts";
import { attachPostgres, errorText, execute, parseTarget, type PostgresTarget } from "./_postgres-connect.ts";
import { checkSql, formatLocation, PARTITION_COL, parseLocation, prepareSql, refusal, removeSql, swapSql, tableNameOf, tempName } from "./_postgres-sql.ts";
import type { IOManagers } from "./registry.ts";
import { withConnection } from "./_connection.ts";
import { emptyTableHandle } from "./table-handle.ts";
import { isArrowTable, isRows, jsonProblem, unstorable, unsupportedOutput } from "./_values.ts";

const bound = new WeakMap<IOManager, IOManager>();
const optionsOfImpl = new WeakMap<IOManager, PostgresTableOptions>();

/** The working manager behind a `postgresTable()` placeholder; any other manager as it is. */
export function bindPostgresTable(m: IOManager): IOManager {
  const options = postgresTableOptionsOf(m);
  if (!options) return m;
  let impl = bound.get(m);
  if (!impl) bound.set(m, (impl = createPostgresTable(options)));
  return impl;
}

/** How long a swap waits for queries still reading the table it replaces. */
export const DEFAULT_PG_LOCK_TIMEOUT_MS = 60_000;

/** Postgres identifiers are cut at 63 bytes: a longer table name would silently name another table. */
const MAX_NAME_BYTES = 63;

interface Opened {
  t: PostgresTarget;
  alias: string;
  conn: DuckDBConnection;
}

/** The postgresTable IO manager for `options`. */
export function createPostgresTable(options: PostgresTableOptions): IOManager {
  const schema = options.schema ?? "public";
  const lockTimeoutMs = options.lockTimeoutMs ?? DEFAULT_PG_LOCK_TIMEOUT_MS;
  const open = async (conn: DuckDBConnection, resolve: (v: unknown) => unknown): Promise<Opened> => {
    const t = parseTarget(String(resolve(options.url)));
    return { t, alias: await attachPostgres(conn, t), conn };
  };
  /** Run `fn`; an error that is not a DagxError (DuckDB's, libpq's) comes out scrubbed of secrets, as `what` failed. */
  const guard = async <T>(o: Opened, what: string, fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (error) {
      if (error instanceof DagxError) throw error;
      const text = errorText(o.t, error);
      // a query (a dashboard?) kept reading the table past lock_timeout
      const hint = /lock timeout/.test(text) ? `: queries kept reading the table for ${lockTimeoutMs / 1000} s (lockTimeoutMs of postgresTable); the previous data is intact — run again when they are done` : "";
      throw new DagxError("OUTPUT_WRITE", `Cannot ${what} in Postgres ${o.t.shown}: ${text}${hint}`, { exitCode: 1 });
    }
  };
  const prepare = async (o: Opened) => {
    // two processes creating the schema at once: one of them may lose the race on the catalog; once more settles it
    await guard(o, `prepare schema "${schema}"`, () => execute(o.conn, o.alias, prepareSql(schema)).catch(() => execute(o.conn, o.alias, prepareSql(schema))));
    await clearCache(o.conn);
  };
  const refused = (o: Opened, assetKey: string, table: string, error: unknown): Error => {
    const r = refusal(error instanceof Error ? error.message : String(error));
    if (!r) return error as Error;
    const name = `${schema}.${table}`;
    const where = `Cannot store "${assetKey}" in Postgres ${o.t.shown}`;
    if (r[0] === "foreign") return new DagxError("OUTPUT_WRITE", `${where}: table ${name} already exists and dagx did not create it: dagx never writes into, replaces or drops a table it did not create — rename or drop that table yourself, or give postgresTable another schema`, { exitCode: 1 });
    if (r[0] === "lease") return new DagxError("OUTPUT_WRITE", `The output of "${assetKey}" was not written to ${name}: this worker's lease on the step expired during the write (the step was given to another worker), so the table keeps what that worker commits`, { exitCode: 1 });
    if (r[0] === "other") return new DagxError("OUTPUT_WRITE", `${where}: table ${name} holds asset "${r[1]}" (both keys give that table name): rename one of the assets, or store one in another schema`, { exitCode: 1 });
    return new DagxError("OUTPUT_WRITE", `${where}: views depend on table ${name} and the new output has other columns, so the table can be neither dropped nor refilled: drop those views, materialize, then create them again`, { exitCode: 1 });
  };

  const manager = defineIOManager({
    name: options.name ?? "postgres",
    async handleOutput(ctx, value) {
      const tabular = isSqlQuery(value) || isArrowTable(value) || isRows(value);
      const problem = tabular ? null : (unstorable(value) ?? jsonProblem(value));
      if (problem) throw unsupportedOutput(ctx.assetKey, `${problem} with a postgresTable IO manager; return rows, an Arrow Table, a ctx.sql query or a JSON value`);
      const table = tableNameOf(ctx.assetKey);
      if (Buffer.byteLength(table) > MAX_NAME_BYTES) {
        throw new DagxError("OUTPUT_WRITE", `Cannot store "${ctx.assetKey}" in Postgres: its table name "${table}" is longer than Postgres allows (63 bytes): shorten the asset's key`, { exitCode: 1 });
      }
      const step = stepOf(ctx);
      const o = await open(await step.conn(), ctx.resolve);
      const { conn, alias } = o;
      await prepare(o);
      const names = { schema, table, assetKey: ctx.assetKey, lockTimeoutMs };
      // refuse a foreign table before the (long) build; the swap checks again, in its transaction
      await guard(o, `check table ${schema}.${table}`, () => execute(conn, alias, checkSql(names)).catch((e) => Promise.reject(refused(o, ctx.assetKey, table, e))));
      const tmp = tempName(Date.now());
      const tmpRef = `${alias}.${quoteIdent(schema)}.${quoteIdent(tmp)}`;
      const { dims, values } = partitionColumnsOf(ctx);
      const stage = mkdtempSync(join(tmpdir(), "dagx-pg-stage-"));
      const local = `dagx_pg_stage_${crypto.randomUUID().slice(0, 8)}`;
      try {
        let written: { rows: number | null; schema: ColumnSchema[] | null; dataVersion: string };
        if (tabular) {
          let source: string;
          if (isSqlQuery(value)) {
            // the user's query runs here, once: its failure is reported as theirs (file:line)
            await step.runSql(value, async (text, params) => void (await conn.run(`CREATE TEMP TABLE ${local} AS SELECT * FROM ${wrapQuery(text)}`, params as never)));
            source = `temp.main.${local}`;
          } else {
            const file = join(stage, "stage.parquet");
            if (isArrowTable(value)) await writeArrowParquet(conn, value as never, file, { fsync: false });
            else await writeRowsParquet(conn, value, file, { fsync: false, writer: "direct" });
            source = parquetSql([file]);
          }
          written = await describeAndHash(conn, source);
          const have = new Set(written.schema!.map((c) => c.name.toLowerCase()));
          const keys = ctx.partitionKey === "" ? [] : [...dims.flatMap((d, i) => (have.has(d.toLowerCase()) ? [] : [`${quoteLiteral(values[i]!)}::VARCHAR AS ${quoteIdent(d)}`])), `${quoteLiteral(ctx.partitionKey)}::VARCHAR AS ${quoteIdent(PARTITION_COL)}`];
          const cols = [...written.schema!.map((c) => columnFor(ctx.assetKey, c)), ...keys].join(", ");
          await guard(o, `store "${ctx.assetKey}" (writing its new table ${schema}.${tmp})`, () => conn.run(`CREATE TABLE ${tmpRef} AS SELECT ${cols} FROM ${source}`));
        } else {
          const text = JSON.stringify(value);
          const key = ctx.partitionKey === "" ? "" : `, ${quoteLiteral(ctx.partitionKey)}::VARCHAR AS ${quoteIdent(PARTITION_COL)}`;
          await guard(o, `store "${ctx.assetKey}" (writing its new table ${schema}.${tmp})`, async () => {
            await conn.run(`CREATE TABLE ${tmpRef} AS SELECT $1::VARCHAR AS value${key}`, [text]);
            await execute(conn, alias, `ALTER TABLE ${quoteIdent(schema)}.${quoteIdent(tmp)} ALTER COLUMN value TYPE json USING value::json`);
          });
          written = { rows: Array.isArray(value) ? value.length : null, schema: null, dataVersion: hashText(text) };
        }
        stallAt("store-write");
        // a worker's lease, renewed and checked right before the swap (the swap also checks it itself when this is the state's database)
        await step.beforePublish?.();
        stallAt("store-swap");
        const swap = swapSql({ ...names, tmp, partitionKey: ctx.partitionKey, now: Date.now(), ...(step.lease ? { lease: step.lease } : {}) });
        await guard(o, `replace table ${schema}.${table}`, () => execute(conn, alias, swap).catch((e) => Promise.reject(refused(o, ctx.assetKey, table, e))));
        await clearCache(conn);
        const location = formatLocation({ schema, table, json: !tabular });
        return { location, rows: written.rows, bytes: null, schema: written.schema, dataVersion: written.dataVersion };
      } finally {
        rmSync(stage, { recursive: true, force: true });
        await conn.run(`DROP TABLE IF EXISTS temp.main.${local}`).catch(() => {});
        // gone after a successful swap; after a failure, the half-built table is dropped here
        await execute(conn, alias, `DROP TABLE IF EXISTS ${quoteIdent(schema)}.${quoteIdent(tmp)}`).catch(() => {});
      }
    },
    async loadInput(ctx) {
      const up = ctx.upstream;
      const step = stepOf(ctx);
      if (up.locations.length === 0) return emptyTableHandle(up.assetKey, [...(up.columns ?? []), ...up.dimensions.map((name) => ({ name, type: "VARCHAR" }))], step.conn);
      const where = parseLocation(up.locations[0]!);
      if (!where) throw new Error(`"${up.assetKey}" was not stored by postgresTable (location ${JSON.stringify(up.locations[0])})`);
      const o = await open(await step.conn(), ctx.resolve);
      // another run may have swapped the table since this instance cached it: a stale entry could read the old one
      await clearCache(o.conn);
      const ref = `${o.alias}.${quoteIdent(where.schema)}.${quoteIdent(where.table)}`;
      const partitioned = up.dimensions.length > 0;
      if (!where.json) return ctx.table(readSql(ref, partitioned ? up.partitionKeys : null));
      const rows = await guard(o, `read "${up.assetKey}"`, async () =>
        (await o.conn.runAndReadAll(`SELECT value::VARCHAR AS v${partitioned ? `, ${quoteIdent(PARTITION_COL)} AS pk` : ""} FROM ${ref}${partitioned ? ` WHERE ${keyFilter(up.partitionKeys)}` : ""}`)).getRowObjectsJS(),
      );
      const byKey = new Map(rows.map((r) => [partitioned ? String(r.pk) : "", JSON.parse(String(r.v)) as unknown]));
      const got = up.partitionKeys.map((pk) => [pk, byKey.get(partitioned ? pk : "")] as const);
      const missing = got.findIndex(([, v]) => v === undefined);
      if (missing >= 0) throw new DagxError("OUTPUT_WRITE", `Cannot read "${up.assetKey}"${partitioned ? ` partition ${got[missing]![0]}` : ""}: its row is missing from table ${where.schema}.${where.table} in Postgres ${o.t.shown}: materialize it again`, { exitCode: 1 });
      return got.length === 1 ? got[0]![1] : Object.fromEntries(got);
    },
    async remove(ctx, location) {
      const where = parseLocation(location);
      if (!where) return;
      const step = stepOf(ctx);
      await withConnection(step.conn, async (conn) => {
        const o = await open(conn, ctx.resolve);
        await guard(o, `remove "${ctx.assetKey}"`, () => execute(conn, o.alias, removeSql({ schema: where.schema, table: where.table, assetKey: ctx.assetKey, partitionKey: ctx.partitionKey, lockTimeoutMs })));
      });
    },
  });
  optionsOfImpl.set(manager, options);
  return manager;
}

/**
 * Forget what DuckDB's attached catalogs cached of Postgres (schemas, tables, columns): after a
 * statement run in Postgres itself created a schema or swapped a table, the next query of this
 * instance must see them as they are now (measured: with a stale cache, DuckDB 1.5.5's extension
 * wrote a table that Postgres then held with 0 rows, without an error).
 */
async function clearCache(conn: DuckDBConnection): Promise<void> {
  await conn.run("CALL pg_clear_cache()");
}

/**
 * How column `c` goes to Postgres. DuckDB's postgres extension would turn a HUGEINT (what `sum()`
 * of integers gives) into a double, losing digits: it goes as numeric(38,0) instead (a value
 * beyond that fails, never rounds). Postgres has no unnamed composite types, so a STRUCT (or
 * UNION) is refused with how to store it instead.
 */
function columnFor(assetKey: string, c: ColumnSchema): string {
  const name = quoteIdent(c.name);
  if (/^U?HUGEINT$/.test(c.type)) return `CAST(${name} AS DECIMAL(38,0)) AS ${name}`;
  if (/\b(STRUCT|UNION)\(/.test(c.type)) {
    throw new DagxError("UNSUPPORTED_OUTPUT", `Cannot store "${assetKey}" in Postgres: column "${c.name}" is a ${c.type.split("(")[0]}, which Postgres cannot store without a named type: return it as JSON (to_json(${c.name}) in ctx.sql) or as separate columns`, { exitCode: 1 });
  }
  return name;
}

function keyFilter(keys: readonly string[]): string {
  return `${quoteIdent(PARTITION_COL)} IN (${[...new Set(keys)].map(quoteLiteral).join(", ") || "NULL"})`;
}

/** The table expression a reader gets: the whole table, or exactly the partitions it reads (without dagx's key column). */
function readSql(ref: string, partitionKeys: readonly string[] | null): string {
  if (partitionKeys === null) return ref;
  return `(SELECT * EXCLUDE (${quoteIdent(PARTITION_COL)}) FROM ${ref} WHERE ${keyFilter(partitionKeys)})`;
}

/** The data's columns and a content hash that ignores row order: identical content, identical version. */
async function describeAndHash(conn: DuckDBConnection, ref: string): Promise<{ rows: number; schema: ColumnSchema[]; dataVersion: string }> {
  const d = await conn.runAndReadAll(`DESCRIBE SELECT * FROM ${ref}`);
  const schema = d.getRowObjectsJS().map((r) => ({ name: String(r.column_name), type: String(r.column_type) }));
  // two independent 64-bit row hashes summed (a multiset hash: duplicates count) and the row count
  const h = await conn.runAndReadAll(`SELECT count(*)::VARCHAR AS n, coalesce(sum(hash(t)), 0)::VARCHAR AS a, coalesce(sum(hash(t, 'dagx')), 0)::VARCHAR AS b FROM ${ref} AS t`);
  const row = h.getRowObjectsJS()[0]!;
  return { rows: Number(row.n), schema, dataVersion: hashText(`postgresTable:1|${JSON.stringify(schema)}|${row.n}|${row.a}|${row.b}`) };
}


/**
 * `dagx query` over postgresTable outputs: the table expression of an asset (its latest records)
 * read in place through the attached database, or why there is none; null when postgresTable did
 * not store it. `managers` gives the project's IO managers (loaded only when needed: `dagx query`
 * imports no definitions otherwise), `env` resolves the URL.
 */
export async function postgresTableExpr(
  conn: DuckDBConnection,
  records: readonly MaterializationRecord[],
  managers: () => Promise<IOManagers>,
  env: EnvLookup,
): Promise<{ sql: string; release: () => Promise<void> } | string | null> {
  const first = records[0];
  const where = first ? parseLocation(first.path) : null;
  if (!first || !where) return null;
  const m = (await managers()).forFormat(first.format, first.assetKey);
  const options = optionsOfImpl.get(m);
  if (!options) return `it is stored by IO manager "${first.format}", which is no postgresTable now: materialize it again`;
  const t = parseTarget(String(resolveEnvRefs(options.url, env, `dagx query (IO manager "${first.format}")`)));
  let alias: string;
  try {
    alias = await attachPostgres(conn, t);
  } catch (error) {
    return (error as Error).message;
  }
  const ref = `${alias}.${quoteIdent(where.schema)}.${quoteIdent(where.table)}`;
  const owned = await conn
    .runAndReadAll(`SELECT asset_key FROM ${alias}.${quoteIdent(where.schema)}._dagx_owned WHERE table_name = $1`, [where.table])
    .then((r) => r.getRowObjectsJS()[0]?.asset_key ?? null)
    .catch(() => null);
  if (owned !== first.assetKey) return `its table ${where.schema}.${where.table} is missing from Postgres ${t.shown}: materialize it again`;
  const keys = records.filter((r) => r.partitionKey !== "").map((r) => r.partitionKey);
  const partitioned = keys.length > 0;
  const sql = where.json ? `(SELECT value${partitioned ? `, ${quoteIdent(PARTITION_COL)} AS partition` : ""} FROM ${ref}${partitioned ? ` WHERE ${keyFilter(keys)}` : ""})` : readSql(ref, partitioned ? keys : null);
  return { sql, release: async () => {} };
}

