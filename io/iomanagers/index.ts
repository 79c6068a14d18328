/**
 * IO managers (DESIGN §12): the port's built-ins (Parquet files, JSON values), the project's registry
 * of managers by name, and the contexts a manager is handed.
 * The only door into io/iomanagers/: other folders import from here, never a file behind it.
 */
export { handleOutput, loadInput, NOTHING_STORED, removeOutput } from "./calls.ts";
export type { HandledOutput } from "./calls.ts";
export { GROUP_SYNC, inputContext, outputContext, stepOf } from "./context.ts";
export type { StepIO } from "./context.ts";
export { DEFAULT_LOCK_TIMEOUT_MS } from "./duckdb-table.ts";
export { createDbtRelationIO, DBT_LOCK_TIMEOUT_MS, dbtRelationOf, dbtRelationTableExpr, describeDbtOut, observeRelation, observesWrittenOutputs, parseDbtLocation, whileDbtBuilds } from "./dbt-relation.ts";
export type { DbtRelationOptions, DbtRelationSpec } from "./dbt-relation.ts";
export { warehouseTableExpr } from "./_duckdb-table-query.ts";
export { jsonIOManager } from "./json.ts";
export { parquetIOManager } from "./parquet.ts";
export { postgresTableExpr } from "./postgres-table.ts";
export { createIOManagers } from "./registry.ts";
export { collectS3Garbage, s3ParquetTableExpr } from "./_s3-query.ts";
export type { S3GcResult } from "./_s3-query.ts";
export type { IOManagers } from "./registry.ts";
export { emptyTableHandle, tableHandle } from "./table-handle.ts";
export { isArrowTable } from "./_values.ts";
