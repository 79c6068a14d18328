/**
 * Contracts of the partitions domain: definitions (plain branded data made by `daily()` & co.),
 * partition spaces (a definition evaluated at an instant) and partition mappings.
 */
import type { IndexSet } from "./index-set.ts";
import type { Zone } from "./_zone.ts";

/** Brand on every partitions definition, so the loader can recognise one. */
export const PARTITIONS_DEF = Symbol.for("dagx.partitions");
/** Brand on every partition mapping. */
export const PARTITION_MAPPING = Symbol.for("dagx.partitionMapping");

export type TimeCadence = "hourly" | "daily" | "weekly" | "monthly";
/** Day of the week, 0 = Sunday … 6 = Saturday. */
export type Weekday = 0 | 1 | 2 | 3 | 4 | 5 | 6;

/** Options shared by `hourly`, `daily`, `weekly` and `monthly`. */
export interface TimeWindowOptions {
  /** First window's start, a local date or date-time in `timezone`: "2024-01-01", "2024-01-01 06:00", or a key in `fmt`. Windows start at or after it. */
  start: string;
  /** Exclusive end, same forms as `start`: only windows that end at or before it exist, whatever `endOffset` says. @default none (windows up to now) */
  end?: string;
  /** IANA time zone of the windows and keys. @default "UTC" */
  timezone?: string;
  /** Key format; tokens yyyy, MM, dd, HH, mm. @default "yyyy-MM-dd-HH:mm" (hourly), "yyyy-MM-dd" (daily, weekly), "yyyy-MM" (monthly) */
  fmt?: string;
  /** Windows beyond the last complete one: 1 adds the current, unfinished window; negative values hold back. @default 0 */
  endOffset?: number;
}

/** Options of `weekly`. */
export interface WeeklyOptions extends TimeWindowOptions {
  /** First day of each week, 0 = Sunday … 6 = Saturday. @default 1 (Monday, ISO 8601) */
  weekStartsOn?: Weekday;
}

interface Branded {
  readonly [PARTITIONS_DEF]: true;
}

/** Time windows: `hourly`, `daily`, `weekly`, `monthly`. */
export interface TimeWindowPartitionsDef extends Branded {
  readonly kind: "time";
  readonly cadence: TimeCadence;
  /** Normalized local start: "2024-01-01" or "2024-01-01T06:00". */
  readonly start: string;
  readonly end: string | null;
  /** Canonical IANA name. */
  readonly timezone: string;
  readonly fmt: string;
  readonly endOffset: number;
  /** Only meaningful for weekly windows. */
  readonly weekStartsOn: Weekday;
}

/** A fixed, ordered set of keys. */
export interface StaticPartitionsDef<K extends string = string> extends Branded {
  readonly kind: "static";
  readonly keys: readonly K[];
}

/** Keys added at run time (by sensors or `dagx partitions add`), kept in the state store under `name`. */
export interface DynamicPartitionsDef extends Branded {
  readonly kind: "dynamic";
  readonly name: string;
}

/** One dimension's definition. */
export type SinglePartitionsDef = TimeWindowPartitionsDef | StaticPartitionsDef | DynamicPartitionsDef;

/** The cartesian product of named dimensions; keys join the dimension keys with "|" in declaration order. */
export interface MultiPartitionsDef<D extends Record<string, SinglePartitionsDef> = Record<string, SinglePartitionsDef>> extends Branded {
  readonly kind: "multi";
  readonly dimensions: D;
  /** Dimension names in declaration order. */
  readonly names: readonly (keyof D & string)[];
}

/** Any partitions definition. */
export type PartitionsDef = SinglePartitionsDef | MultiPartitionsDef;

/** The key type of a definition (a union of literals for static sets). */
export type PartitionKeyOf<D> = D extends StaticPartitionsDef<infer K> ? K : string;
/** Per-dimension keys of a multi-partition (`ctx.partition.dimensions`), `undefined` otherwise. */
export type PartitionDimensionsOf<D> = D extends MultiPartitionsDef<infer Dims> ? { [K in keyof Dims]: PartitionKeyOf<Dims[K]> } : undefined;

/** A time window: `start` inclusive, `end` exclusive. */
export interface TimeWindow {
  start: Date;
  end: Date;
}

/** A definition evaluated at an instant: a finite, ordered set of keys addressed by index. */
export interface PartitionSpaceBase {
  readonly def: PartitionsDef;
  /** Stable description of the definition: changes exactly when the definition does. */
  readonly id: string;
  /** Short human form for messages: `daily(start=2024-01-01)`. */
  readonly label: string;
  readonly size: number;
  /** The key at `index`. @throws RangeError outside 0…size-1 */
  keyAt(index: number): string;
  /** The index of `key`, or -1 when it is not a partition of this space. */
  indexOf(key: string): number;
  /** The window of a time partition (of the single time dimension of a multi-partition), else null. */
  window(index: number): TimeWindow | null;
  /** Named dimensions; a single-dimension space lists itself as "date" (time) or "partition". */
  readonly dimensions: readonly PartitionDimension[];
}

/** A time-window space; indices outside 0…size-1 address the virtual windows before and after it. */
export interface TimeSpace extends PartitionSpaceBase {
  readonly kind: "time";
  readonly def: TimeWindowPartitionsDef;
  readonly unit: "hour" | "day" | "week" | "month";
  readonly zone: Zone;
  /** Start instant (epoch ms) of window `i`, for any integer `i`. */
  startOf(i: number): number;
  /** The smallest `i` whose window starts at or after instant `t`. */
  indexAtOrAfter(t: number): number;
  /** The smallest `i` whose window ends after instant `t` (the window containing `t`). */
  indexContaining(t: number): number;
  /** The key of window `i`, for any integer `i`. */
  keyOf(i: number): string;
}

/** A static or dynamic key list. */
export interface KeyListSpace extends PartitionSpaceBase {
  readonly kind: "static" | "dynamic";
  readonly def: StaticPartitionsDef | DynamicPartitionsDef;
}

/** A multi-dimensional space; index = mixed-radix number over the dimensions, first most significant. */
export interface MultiSpace extends PartitionSpaceBase {
  readonly kind: "multi";
  readonly def: MultiPartitionsDef;
  /** Size of each dimension, in order. */
  readonly radices: readonly number[];
  /** Per-dimension indices of `index`. */
  split(index: number): number[];
  /** The index of per-dimension indices. */
  join(coords: readonly number[]): number;
}

/** One dimension's space. */
export type SingleSpace = TimeSpace | KeyListSpace;
/** Any partition space. */
export type PartitionSpace = SingleSpace | MultiSpace;

export interface PartitionDimension {
  readonly name: string;
  readonly space: SingleSpace;
}

/** Which upstream partitions a downstream partition reads. */
export type PartitionMapping = { readonly [PARTITION_MAPPING]: true } & (
  | { readonly kind: "identity" }
  | { readonly kind: "timeWindow"; readonly offset: readonly [number, number] }
  | { readonly kind: "all" }
  | { readonly kind: "last" }
  | { readonly kind: "static"; readonly map: Readonly<Record<string, readonly string[]>> }
  | { readonly kind: "dimension"; readonly name: string; readonly inner: PartitionMapping | null }
  | { readonly kind: "multi"; readonly dimensions: Readonly<Record<string, PartitionMapping>> }
);

/** Status sets a selection like `missing` or `failed` is resolved against. */
export interface PartitionStatus {
  materialized?: IndexSet;
  failed?: IndexSet;
}
