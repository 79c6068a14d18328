/**
 * Whether a run request's partitions fit what it selects — checked at load for schedules and,
 * by the daemon, for each request a sensor returns, so a request that could never run is an error
 * naming its definition instead of a run that fails at every tick.
 */
import { partitionsLabel, type PartitionsDef } from "../partitions/index.ts";

/** An asset's partitions definition, or null when it is not partitioned (io answers from the graph). */
export type PartitionsOf = (key: string) => PartitionsDef | null;

/**
 * Why a run of `keys` with `partitions` (partition selection text, or null) cannot run as asked, or
 * null: a partitioned asset needs partitions, and partitions need a partitioned asset.
 * @example
 * const problem = runRequestPartitionsProblem(keys, request.partitions, (k) => graph.assets.get(k)?.partitionsDef ?? null);
 * if (problem) fail(`runRequests[0]: ${problem}`);
 */
export function runRequestPartitionsProblem(keys: readonly string[], partitions: string | null, partitionsOf: PartitionsOf): string | null {
  const partitioned = keys.filter((k) => partitionsOf(k) !== null);
  if (partitions === null && partitioned.length > 0) {
    const first = partitioned[0]!;
    const more = partitioned.length > 1 ? ` and ${partitioned.length - 1} more` : "";
    return `selects the partitioned asset "${first}" (${partitionsLabel(partitionsOf(first)!)})${more} but gives no partitions: add partitions: "latest" (the newest partition) or a range like "2024-01-01..2024-01-31"`;
  }
  if (partitions !== null && partitioned.length === 0) {
    const shown = keys.slice(0, 5).join(", ") + (keys.length > 5 ? `, … ${keys.length - 5} more` : "");
    return `partitions "${partitions}" is given but no selected asset is partitioned (${shown}): remove partitions`;
  }
  return null;
}
