import type { IndexSet } from "./index-set.ts";
import type { PartitionSpace } from "./types.ts";

/**
 * Compact human ranges of a set of partitions, for status lines:
 * `2024-01-01..2024-02-14, 2024-02-16`. Costs one step per range, not per key.
 * @default options.maxRanges Infinity — past it, the rest is summarised as "… (+N more ranges)"
 * @example `${formatRanges(done, space)} materialized, ${formatRanges(failed, space)} failed`
 */
export function formatRanges(set: IndexSet, space: PartitionSpace, options: { maxRanges?: number } = {}): string {
  const max = options.maxRanges ?? Infinity;
  const parts: string[] = [];
  for (const [start, end] of set.ranges()) {
    if (parts.length >= max) return `${parts.join(", ")}, … (+${set.rangeCount - max} more ranges)`;
    parts.push(end - start === 1 ? space.keyAt(start) : `${space.keyAt(start)}..${space.keyAt(end - 1)}`);
  }
  return parts.join(", ");
}
