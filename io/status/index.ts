/**
 * Status: what state and the stored files say about each asset and partition (staleness inputs, partition state, drift, freshness).
 * The only door into io/status/: other folders import from here, never a file behind it.
 */
export { isRunAlive, readAssetState } from "./asset-state.ts";
export { projectFreshness } from "./freshness.ts";
export { loadSpaces, ordinalOf, readPartitionState } from "./partition-state.ts";
export type { AssetPartitions } from "./partition-state.ts";
export { wholeAssetVersion } from "./partition-status.ts";
export type { PartitionStatusInfo } from "./partition-status.ts";
