/**
 * The built-in Parquet IO manager: a `ctx.sql` query is written by DuckDB straight to Parquet
 * (`COPY (…) TO`, no row crosses into JS), an Arrow Table or rows through the staging writer
 * (io/tabular) — rows by the writer the asset or project chose (`parquetWriter`: auto, direct, duckdb); read back as a table handle over the exact files, with partition columns from keys.
 */
import { rmSync } from "node:fs";
import { describeType } from "../../core/describe.ts";
import { isSqlQuery } from "../../core/context.ts";
import { defineIOManager } from "../../core/io-manager.ts";
import { stallAt } from "../platform/index.ts";
import { parquetSql, partitionFilesSql, writeArrowParquet, writeRowsParquet, writeSqlParquet } from "../tabular/index.ts";
import { GROUP_SYNC, parquetWriterOf, stepOf } from "./context.ts";
import { emptyTableHandle, tableHandle } from "./table-handle.ts";
import { isArrowTable, isRows, unstorable, unsupportedOutput } from "./_values.ts";

export const parquetIOManager = defineIOManager({
  name: "parquet",
  async handleOutput(ctx, value) {
    if (!isSqlQuery(value) && !isArrowTable(value) && !isRows(value)) {
      throw unsupportedOutput(ctx.assetKey, unstorable(value) ?? `${describeType(value)} with io: "parquet"; return rows, an Arrow Table or a ctx.sql query`);
    }
    const step = stepOf(ctx);
    const { path, location } = ctx.file("data.parquet");
    stallAt("store-write");
    const r = isSqlQuery(value)
      ? await step.runSql(value, async (text, params) => writeSqlParquet(await step.conn(), text, params, path, GROUP_SYNC))
      : isArrowTable(value)
        ? await writeArrowParquet(await step.conn(), value as never, path, GROUP_SYNC)
        : await writeRowsParquet(await step.conn(), value, path, { ...GROUP_SYNC, writer: parquetWriterOf(ctx) });
    return { location, rows: r.rows, bytes: r.bytes, schema: r.schema, dataVersion: r.dataVersion };
  },
  async loadInput(ctx) {
    const up = ctx.upstream;
    const conn = stepOf(ctx).conn;
    // a mapping may name no stored partition (the day before the first, an unlisted static key):
    // the input is then an empty table with the upstream's columns, not an error
    if (up.locations.length === 0) return emptyTableHandle(up.assetKey, [...(up.columns ?? []), ...up.dimensions.map((name) => ({ name, type: "VARCHAR" }))], conn);
    const files = up.locations.map((l) => ctx.path(l));
    if (up.dimensions.length === 0) return tableHandle(up.assetKey, files, parquetSql(files), conn);
    const sql = await partitionFilesSql({ files, dims: up.dimensions, keyOf: (i) => up.keyValues(i), schemas: up.schemas }, conn);
    return tableHandle(up.assetKey, files, sql, conn);
  },
  remove(ctx, location) {
    rmSync(ctx.path(location), { force: true });
  },
});
