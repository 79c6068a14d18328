/**
 * Absolute ordinals of time partitions: the hour, day, week or month number of a window counted
 * from the epoch. Within one space ordinal(i) = base + i, and it does not depend on the space's
 * start, so state can store it once and answer range questions (islands of consecutive
 * partitions) in SQL for millions of partitions.
 */
import { civilFromMs, DAY, HOUR } from "./_civil.ts";
import type { PartitionSpace, TimeSpace } from "./types.ts";

/** Ordinal of index 0 of a time space; null for other spaces (they are tracked by key). */
export function ordinalBase(space: PartitionSpace): number | null {
  if (space.kind !== "time") return null;
  return absoluteOrdinal(space, space.startOf(0));
}

function absoluteOrdinal(space: TimeSpace, start: number): number {
  if (space.unit === "hour") return Math.floor(start / HOUR);
  const local = start + space.zone.offsetAt(start);
  const day = Math.floor(local / DAY);
  if (space.unit === "day") return day;
  if (space.unit === "week") return Math.floor(day / 7);
  const c = civilFromMs(local);
  return c.y * 12 + (c.m - 1);
}
