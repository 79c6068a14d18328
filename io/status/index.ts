/**
 * Status: what state and the stored files say about each asset and partition (the snapshot the
 * core/status engine decides from, partition state, drift, freshness).
 * The only door into io/status/: other folders import from here, never a file behind it.
 */
export { readAssetState } from "./asset-state.ts";
export type { AssetState } from "./asset-state.ts";
export { isRunAlive, plainConfigHashes, wholeAssetVersion } from "./snapshot.ts";
export { projectFreshness } from "./freshness.ts";
export { loadSpaces, ordinalOf, readPartitionState } from "./partition-state.ts";
export type { AssetPartitions, PartitionStatusInfo } from "../../core/status/index.ts";
