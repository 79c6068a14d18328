/**
 * Partition mappings: which upstream partitions a downstream partition reads. Plain branded
 * data; `mapToUpstream` (map-upstream.ts) evaluates them on partition spaces.
 */
import { DefinitionError } from "../errors.ts";
import { partitionsId, partitionsLabel } from "./describe.ts";
import { PARTITION_MAPPING, type PartitionMapping, type PartitionsDef } from "./types.ts";

type Mapping<K extends PartitionMapping["kind"]> = Extract<PartitionMapping, { kind: K }>;
const brand = <M extends Omit<PartitionMapping, typeof PARTITION_MAPPING>>(m: M) =>
  Object.freeze({ [PARTITION_MAPPING]: true as const, ...m });
const invalid = (message: string) => new DefinitionError("DEFINITION_INVALID", message);

/** Each downstream partition reads the upstream partition with the same key (the same window between time definitions of one cadence). */
export function identity(): Mapping<"identity"> {
  return brand({ kind: "identity" as const });
}

/**
 * Each downstream window reads the upstream windows overlapping it, after shifting it by
 * `offset` downstream windows: `offset: [-6, 0]` is a 7-day rolling input of a daily asset.
 * @default offset 0 (the overlapping windows)
 * @example timeWindow({ offset: [-6, 0] }) // daily "2024-01-07" reads upstream days "2024-01-01" … "2024-01-07"
 */
export function timeWindow(options: { offset?: number | readonly [number, number] } = {}): Mapping<"timeWindow"> {
  const raw = options.offset ?? 0;
  const offset: [number, number] = typeof raw === "number" ? [raw, raw] : [raw[0], raw[1]];
  if (!offset.every(Number.isSafeInteger) || offset[0] > offset[1]) {
    throw invalid(`Invalid timeWindow() offset ${JSON.stringify(raw)}: use integers [start, end] with start <= end, like [-6, 0]`);
  }
  return brand({ kind: "timeWindow" as const, offset });
}

/** Every downstream partition reads all upstream partitions. */
export function allPartitions(): Mapping<"all"> {
  return brand({ kind: "all" as const });
}

/** Every downstream partition reads the newest upstream partition. */
export function lastPartition(): Mapping<"last"> {
  return brand({ kind: "last" as const });
}

/**
 * An explicit table from downstream keys to the upstream keys they read; unlisted keys read nothing.
 * @example staticMapping({ emea: ["eu", "uk"], amer: "us" })
 */
export function staticMapping(map: Readonly<Record<string, string | readonly string[]>>): Mapping<"static"> {
  if (map === null || typeof map !== "object") throw invalid("Invalid staticMapping(): pass an object like { emea: [\"eu\", \"uk\"] }");
  const out: Record<string, readonly string[]> = {};
  for (const [down, up] of Object.entries(map)) {
    const list = typeof up === "string" ? [up] : up;
    if (!Array.isArray(list) || !list.every((k) => typeof k === "string")) {
      throw invalid(`Invalid staticMapping(): "${down}" must map to a key or an array of keys`);
    }
    out[down] = Object.freeze([...list]);
  }
  return brand({ kind: "static" as const, map: Object.freeze(out) });
}

/**
 * Map through one dimension of a multi-partition: a multi-partitioned downstream reads a
 * one-dimensional upstream through its dimension `name`, a one-dimensional downstream reads every
 * upstream partition whose `name` matches, and between two multi-partitions the other dimensions
 * read everything. `inner` maps the dimension itself. @default inner the default mapping of the two dimensions
 * @example dimension("date", timeWindow({ offset: [-1, 0] }))
 */
export function dimension(name: string, inner?: PartitionMapping): Mapping<"dimension"> {
  if (typeof name !== "string" || name === "") throw invalid("Invalid dimension(): pass the dimension name, like dimension(\"date\")");
  return brand({ kind: "dimension" as const, name, inner: inner ?? null });
}

/** Between two multi-partitions with the same dimension names: one mapping per dimension. @default each dimension's default mapping */
export function multiMapping(dimensions: Readonly<Record<string, PartitionMapping>>): Mapping<"multi"> {
  return brand({ kind: "multi" as const, dimensions: Object.freeze({ ...dimensions }) });
}

/** True when `value` is a partition mapping. */
export function isPartitionMapping(value: unknown): value is PartitionMapping {
  return typeof value === "object" && value !== null && (value as Record<symbol, unknown>)[PARTITION_MAPPING] === true;
}

/**
 * The mapping used when an input names none: all partitions for an unpartitioned downstream,
 * identity for equal definitions, window overlap between time definitions, by key between key
 * lists, the matching dimension between a multi-partition and a single one, per dimension
 * between multi-partitions with the same dimension names.
 * @throws DefinitionError when no mapping is evident (a time upstream of a static downstream…)
 */
export function defaultMapping(down: PartitionsDef | null, up: PartitionsDef): PartitionMapping {
  if (down === null) return allPartitions();
  if (partitionsId(down) === partitionsId(up)) return identity();
  if (down.kind === "time" && up.kind === "time") return timeWindow();
  if (down.kind !== "time" && down.kind !== "multi" && up.kind !== "time" && up.kind !== "multi") return identity();
  if (down.kind === "multi" && up.kind === "multi") {
    const same = down.names.length === up.names.length && down.names.every((n) => up.names.includes(n));
    if (same) return multiMapping(Object.fromEntries(down.names.map((n) => [n, defaultMapping(down.dimensions[n]!, up.dimensions[n]!)])));
  } else if (down.kind === "multi" || up.kind === "multi") {
    const multi = (down.kind === "multi" ? down : up) as Extract<PartitionsDef, { kind: "multi" }>;
    const single = down.kind === "multi" ? up : down;
    const name = matchingDimension(multi, single);
    if (name !== null) return dimension(name);
  }
  throw invalid(
    `Cannot infer which partitions of ${partitionsLabel(up)} a partition of ${partitionsLabel(down)} reads: ` +
      "pass a mapping, like allPartitions(), identity() or dimension(\"date\")",
  );
}

/** The dimension of `multi` that corresponds to `single`: the one with the same definition, else its only time dimension. */
function matchingDimension(multi: Extract<PartitionsDef, { kind: "multi" }>, single: PartitionsDef): string | null {
  const id = partitionsId(single);
  const same = multi.names.filter((n) => partitionsId(multi.dimensions[n]!) === id);
  if (same.length === 1) return same[0]!;
  const times = multi.names.filter((n) => multi.dimensions[n]!.kind === "time");
  return single.kind === "time" && times.length === 1 ? times[0]! : null;
}
