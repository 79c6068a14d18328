/**
 * duckdbTable (core/duckdb-table.ts holds its options): each asset a table of a DuckDB database file.
 * A `ctx.sql` output is created in the warehouse by DuckDB from the query (no row crosses into JS);
 * rows and Arrow Tables are staged as a Parquet file first (the same type rules as the Parquet
 * manager). Downstream steps read the table in place: the warehouse is attached to the step's
 * DuckDB for the step's duration (io/iomanagers/_duckdb-table-lease.ts), never copied.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { isAbsolute, join, resolve, sep } from "node:path";
import type { DuckDBConnection } from "@duckdb/node-api";
import { isSqlQuery } from "../../core/context.ts";
import { DagxError } from "../../core/errors.ts";
import { describeType } from "../../core/describe.ts";
import { type DuckdbTableOptions, duckdbTableOptionsOf } from "../../core/duckdb-table.ts";
import { defineIOManager, type InputContext, type IOManager } from "../../core/io-manager.ts";
import { quoteIdent } from "../../core/sql.ts";
import type { Storage } from "../storage/index.ts";
import { parquetSql, quoteLiteral, wrapQuery, writeArrowParquet, writeRowsParquet } from "../tabular/index.ts";
import { atEndOf, partitionColumnsOf, stepOf } from "./context.ts";
import { formatLocation, PARTITION_COL, parseLocation, qualified, tableNameOf } from "./_duckdb-table-names.ts";
import { forgetOwner, inTransaction, ownerOf } from "./_duckdb-table-owned.ts";
import { leaseForWrite, writeTable } from "./_duckdb-table-write.ts";
import { leaseWarehouse } from "./_duckdb-table-lease.ts";
import { withConnection } from "./_connection.ts";
import { emptyTableHandle } from "./table-handle.ts";
import { isArrowTable, isRows, unstorable, unsupportedOutput } from "./_values.ts";

/** How long a step waits for a program holding the warehouse open. */
export const DEFAULT_LOCK_TIMEOUT_MS = 60_000;

const bound = new WeakMap<IOManager, IOManager>();

/** The working manager behind a `duckdbTable()` placeholder; any other manager as it is. */
export function bindDuckdbTable(m: IOManager): IOManager {
  const options = duckdbTableOptionsOf(m);
  if (!options) return m;
  let impl = bound.get(m);
  if (!impl) bound.set(m, (impl = createDuckdbTable(options)));
  return impl;
}

/** The duckdbTable IO manager for `options` (the database path is resolved from the project root). */
export function createDuckdbTable(options: DuckdbTableOptions): IOManager {
  const schema = options.schema ?? "main";
  const timeoutMs = options.lockTimeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS;
  const fileOf = (storage: Storage, file = options.path) => {
    const abs = isAbsolute(file) ? file : resolve(storage.root, file);
    // .dagx is dagx's own: `dagx gc` deletes files there that state does not list
    if (abs === storage.dagxDir || abs.startsWith(storage.dagxDir + sep)) {
      throw new DagxError("OUTPUT_WRITE", `Cannot use warehouse "${file}": it is inside ${storage.dagxDir}, which dagx manages (dagx gc removes files there it did not record): put it elsewhere, e.g. duckdbTable({ path: "warehouse.duckdb" })`, { exitCode: 1 });
    }
    return abs;
  };
  return defineIOManager({
    name: options.name ?? "warehouse",
    async handleOutput(ctx, value) {
      if (!isSqlQuery(value) && !isArrowTable(value) && !isRows(value)) {
        throw unsupportedOutput(ctx.assetKey, unstorable(value) ?? `${describeType(value)} with a duckdbTable IO manager; return rows, an Arrow Table or a ctx.sql query (other values: io: "json")`);
      }
      const step = stepOf(ctx);
      const conn = await step.conn();
      const table = tableNameOf(ctx.assetKey);
      const { dims, values } = partitionColumnsOf(ctx);
      const w = { path: fileOf(step.storage), shown: options.path, schema, table, assetKey: ctx.assetKey, partitionKey: ctx.partitionKey, dims, values, timeoutMs, log: ctx.log, ...(step.beforePublish ? { beforeSwap: step.beforePublish } : {}) };
      const location = formatLocation({ file: options.path, schema, table });
      if (isSqlQuery(value)) {
        // the user's query runs where the table is created: its failure is reported as theirs (file:line)
        const r = await writeTable(conn, w, (target) => step.runSql(value, async (text, params) => void (await conn.run(`CREATE TABLE ${target} AS SELECT * FROM ${wrapQuery(text)}`, params as never))));
        return { location, rows: r.rows, bytes: null, schema: r.schema, dataVersion: r.dataVersion };
      }
      const stage = mkdtempSync(join(tmpdir(), "dagx-stage-"));
      try {
        const file = join(stage, "stage.parquet");
        if (isArrowTable(value)) await writeArrowParquet(conn, value as never, file, { fsync: false });
        else await writeRowsParquet(conn, value, file, { fsync: false, writer: "direct" });
        const r = await writeTable(conn, w, async (target) => void (await conn.run(`CREATE TABLE ${target} AS SELECT * FROM ${parquetSql([file])}`)));
        return { location, rows: r.rows, bytes: null, schema: r.schema, dataVersion: r.dataVersion };
      } finally {
        rmSync(stage, { recursive: true, force: true });
      }
    },
    async loadInput(ctx) {
      const up = ctx.upstream;
      const step = stepOf(ctx);
      if (up.locations.length === 0) return emptyTableHandle(up.assetKey, [...(up.columns ?? []), ...up.dimensions.map((name) => ({ name, type: "VARCHAR" }))], step.conn);
      const where = parseLocation(up.locations[0]!);
      if (!where) throw new Error(`"${up.assetKey}" was not stored by duckdbTable (location ${JSON.stringify(up.locations[0])})`);
      const conn = await step.conn();
      const lease = await leaseWarehouse(conn, fileOf(step.storage, where.file), { purpose: `read "${up.assetKey}" for "${ctx.assetKey}"`, timeoutMs, say: (m) => step.log.warn(m) });
      // held while the step runs (its queries read the table in place), released when it ends
      atEndOf(ctx)(() => lease.release(conn));
      return ctx.table(readSql(qualified(lease.alias, where.schema, where.table), up));
    },
    async remove(ctx, location) {
      const where = parseLocation(location);
      if (!where) return;
      const step = stepOf(ctx);
      await withConnection(step.conn, async (conn) => {
        const w = { path: fileOf(step.storage, where.file), timeoutMs, log: ctx.log, assetKey: ctx.assetKey };
        const lease = await leaseForWrite(conn, w, `remove "${ctx.assetKey}"`);
        try {
          await inTransaction(conn, async () => {
            const owner = await ownerOf(conn, lease.alias, where.schema, where.table);
            // only what dagx created for this very asset: anything else is left as it is
            if (owner.kind !== "dagx" || owner.assetKey !== ctx.assetKey) return;
            const target = qualified(lease.alias, where.schema, where.table);
            if (ctx.partitionKey !== "" && owner.partitioned) {
              await conn.run(`DELETE FROM ${target} WHERE ${quoteIdent(PARTITION_COL)} = $1`, [ctx.partitionKey]);
              const left = await conn.runAndReadAll(`SELECT count(*)::INTEGER AS n FROM ${target}`);
              if (Number(left.getRowObjectsJS()[0]?.n) > 0) return;
            }
            await conn.run(`DROP TABLE ${target}`);
            await forgetOwner(conn, lease.alias, where.schema, where.table);
          });
        } finally {
          await lease.release(conn);
        }
      });
    },
  });
}

/** The table expression a reader gets: the whole table, or exactly the partitions it reads (without dagx's key column). */
function readSql(ref: string, up: InputContext["upstream"]): string {
  if (up.dimensions.length === 0) return ref;
  const keys = [...new Set(up.partitionKeys)].map(quoteLiteral).join(", ");
  return `(SELECT * EXCLUDE (${quoteIdent(PARTITION_COL)}) FROM ${ref} WHERE ${quoteIdent(PARTITION_COL)} IN (${keys}))`;
}

