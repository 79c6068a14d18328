/**
 * The public module users import as `"dagx"`. Exactly the user API; everything else is internal.
 */
export { asset, isAssetDef } from "./asset.ts";
export { ref } from "./ref.ts";
export type { AssetKeyRef, RefRow, SqlAssetRows } from "./ref.ts";
export type {
  AnyAssetDef,
  ArrowTableLike,
  AssetDef,
  AssetOptions,
  AssetRef,
  InputOf,
  InputsOf,
  OutputOf,
  OutputOptions,
  OutputWithMetadata,
  RetryPolicy,
} from "./asset.ts";
export { isMultiAssetDef, multiAsset } from "./multi-asset.ts";
export { externalAsset } from "./external.ts";
export type { ExternalAssetOptions, ObserveContext, ObserveResult } from "./external.ts";
export { dbtProject } from "./dbt/project.ts";
export { pipesAsset } from "./pipes/asset.ts";
export type { PipesAssetOptions, PipesMultiAssetOptions } from "./pipes/asset.ts";
export type { DbtProjectDef, DbtProjectOptions } from "./dbt/project.ts";
export type { MultiAssetContext, MultiAssetDef, MultiAssetOptions, MultiAssetOut, MultiAssetResult } from "./multi-asset.ts";
export { isSqlQuery, isTableInput } from "./context.ts";
export type { AssetContext, AssetLogger, PartitionContext, PartitionOf, SqlQuery, SqlTag, TableInput } from "./context.ts";
export { defineIOManager, isIOManager } from "./io-manager.ts";
export type { InputContext, IOManager, IOManagerOptions, OutputContext, ParquetWriter, StoredInput, StoredOutput } from "./io-manager.ts";
export { duckdbTable } from "./duckdb-table.ts";
export type { DuckdbTableOptions } from "./duckdb-table.ts";
export { postgresTable } from "./postgres-table.ts";
export type { PostgresTableOptions } from "./postgres-table.ts";
export { s3Parquet } from "./s3-parquet.ts";
export type { S3ParquetOptions } from "./s3-parquet.ts";
export type { SqlIdentifier } from "./sql.ts";
export {
  allPartitions,
  daily,
  dimension,
  dynamicPartitions,
  hourly,
  identity,
  lastPartition,
  monthly,
  multiMapping,
  multiPartitions,
  staticMapping,
  staticPartitions,
  timeWindow,
  weekly,
} from "./partitions/index.ts";
export type {
  DynamicPartitionsDef,
  MultiPartitionsDef,
  PartitionMapping,
  PartitionsDef,
  StaticPartitionsDef,
  TimeWindowOptions,
  TimeWindowPartitionsDef,
  WeeklyOptions,
} from "./partitions/index.ts";
export { isConfigSchema } from "./run-config.ts";
export type { ConfigOf, ConfigSchema, StandardIssue, StandardProps, StandardResult, StandardSchemaV1 } from "./run-config.ts";
export { v } from "./validation.ts";
export { defineConfig } from "./config.ts";
export type { AlertConfig, AlertKind, AlertPayload, AlertWebhook } from "./alerts/types.ts";
export type { DagxConfig } from "./config.ts";
export { eager, onCron, onMissing, onOverdue, schedule, sensor } from "./automation/index.ts";
export type {
  AutomationCondition,
  CatchUpPolicy,
  OverlapPolicy,
  RunRequest,
  ScheduleDef,
  ScheduleOptions,
  SelectItem,
  SelectTarget,
  SensorContext,
  SensorDef,
  SensorOptions,
  SensorResult,
} from "./automation/index.ts";
export type { FreshnessPolicy } from "./freshness.ts";
export { check } from "./checks/define.ts";
export { acceptedValues, expr, notNull, rowCount, unique } from "./checks/builtins.ts";
export { checkSpec } from "./checks/reported.ts";
export type { AcceptedValue, BuiltinCheck, BuiltinCheckOptions, CheckContext, CheckDef, CheckOptions, CheckOutput, CheckSeverity, CheckSpec, CheckSpecOptions, ReportedCheckResult } from "./checks/types.ts";
export { defineResource, isResourceDef } from "./resources.ts";
export type { ProjectResources, Register, ResourceContext, ResourceDef, ResourceName, ResourceOptions, ResourcesOf, ResourceValue } from "./resources.ts";
export { env, isEnvRef } from "./env.ts";
export type { EnvOptions, EnvRef, Resolved } from "./env.ts";
