/**
 * The public module users import as `"dagx"`. Exactly the user API; everything else is internal.
 */
export { asset, isAssetDef } from "./asset.ts";
export type {
  AnyAssetDef,
  ArrowTableLike,
  AssetDef,
  AssetOptions,
  AssetRef,
  InputOf,
  InputsOf,
  OutputOf,
  OutputWithMetadata,
  RetryPolicy,
} from "./asset.ts";
export type { AssetContext, AssetLogger, PartitionContext, SqlQuery, SqlTag, TableInput } from "./context.ts";
export { defineConfig } from "./config.ts";
export type { DagxConfig } from "./config.ts";
