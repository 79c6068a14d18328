/**
 * `dagx query`: recorded outputs mounted as DuckDB views.
 * The only door into io/query/: other folders import from here, never a file behind it.
 */
export { mountAssetViews, viewNameOf } from "./views.ts";
export { rowObjectsJson, runQuery, toJsonValue } from "./run.ts";
export type { QueryRun } from "./run.ts";
export type { MountedViews } from "./views.ts";
