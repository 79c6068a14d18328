/**
 * `dagx query`: recorded outputs mounted as DuckDB views.
 * The only door into io/query/: other folders import from here, never a file behind it.
 */
export { mountAssetViews } from "./views.ts";
export type { MountedViews } from "./views.ts";
