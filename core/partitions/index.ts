/**
 * Partitions (DESIGN §5): definitions, spaces (a definition at an instant), IndexSets (ranges of
 * partition indices), the `--partitions` grammar, mappings and hive path segments. Pure.
 */
export { hourly, daily, weekly, monthly, DEFAULT_FMT } from "./time-windows.ts";
export { staticPartitions, dynamicPartitions, multiPartitions, isPartitionsDef, partitionKeyProblemFor, dynamicKeyProblem, dynamicDimensionNames } from "./key-sets.ts";
export { partitionsId, partitionsLabel } from "./describe.ts";
export { createPartitionSpace } from "./space.ts";
export type { SpaceContext } from "./space.ts";
export { IndexSet, IndexSetBuilder } from "./index-set.ts";
export { formatRanges } from "./format-ranges.ts";
export { parsePartitionSelection } from "./selection-parse.ts";
export type { ParsedPartitionSelection, PartitionDimensionSelection, PartitionEndpoint, PartitionItem } from "./selection-parse.ts";
export { resolvePartitionSelection } from "./selection-resolve.ts";
export type { ResolveOptions } from "./selection-resolve.ts";
export { identity, timeWindow, allPartitions, lastPartition, staticMapping, dimension, multiMapping, isPartitionMapping, defaultMapping } from "./mappings.ts";
export { mapToUpstream } from "./map-upstream.ts";
export { partitionSegments, encodePartitionValue, partitionKeyProblem, MAX_FOLDER_BYTES } from "./segments.ts";
export { PartitionRangeError } from "./errors.ts";
export { PARTITIONS_DEF, PARTITION_MAPPING } from "./types.ts";
export type {
  DynamicPartitionsDef,
  KeyListSpace,
  MultiPartitionsDef,
  MultiSpace,
  PartitionDimension,
  PartitionDimensionsOf,
  PartitionKeyOf,
  PartitionMapping,
  PartitionsDef,
  PartitionSpace,
  PartitionStatus,
  SinglePartitionsDef,
  SingleSpace,
  StaticPartitionsDef,
  TimeCadence,
  TimeSpace,
  TimeWindow,
  TimeWindowOptions,
  TimeWindowPartitionsDef,
  Weekday,
  WeeklyOptions,
} from "./types.ts";
export { ordinalBase } from "./ordinal.ts";
export { isFixedZone } from "./_zone.ts";
