/**
 * The status engine (pure): io reads a StatusSnapshot from state in one pass, `computeStatus`
 * decides every asset's and partition's status from it. The only door into core/status/.
 */
export { configChanged } from "./asset-status.ts";
export { computeStatus } from "./compute.ts";
export { partitionReads, type PartitionReads, wholeReads } from "./reads.ts";
export { answerFromRecords, changedSets, readersOf, regularReadOf, regularRead, stalenessQueries, windowRuns } from "./staleness.ts";
export { partitionsReadVersion, wholeAssetVersion } from "./versions.ts";
export type { AssetPartitions, AssetStatus, PartitionStatusInfo, StatusGraph, StatusInfo, StatusResult, StatusSnapshot } from "./types.ts";
