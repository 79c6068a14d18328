/**
 * Evaluate a partition mapping: downstream indices → the upstream indices they read. Identity,
 * time windows and dimensions work range by range (a million partitions in one range cost one
 * step); only key-by-key mappings (identity between unrelated key lists, staticMapping) loop.
 */
import { DefinitionError } from "../errors.ts";
import { didYouMean } from "../suggest.ts";
import { boxesOf, productSet } from "./_mixed-radix.ts";
import { IndexSet } from "./index-set.ts";
import { defaultMapping } from "./mappings.ts";
import type { MultiSpace, PartitionMapping, PartitionSpace, SingleSpace, TimeSpace } from "./types.ts";

/**
 * The upstream partitions that the downstream partitions `selected` read through `mapping`.
 * An unpartitioned downstream (`down` null) reads all upstream partitions (the last with `lastPartition()`).
 * @throws DefinitionError when the mapping does not fit the two spaces (`timeWindow()` between key lists…)
 */
export function mapToUpstream(mapping: PartitionMapping, down: PartitionSpace | null, up: PartitionSpace, selected: IndexSet | number): IndexSet {
  const all = IndexSet.range(0, up.size);
  const last = up.size === 0 ? IndexSet.EMPTY : IndexSet.of(up.size - 1);
  if (down === null) return mapping.kind === "last" ? last : all;
  const set = (typeof selected === "number" ? IndexSet.of(selected) : selected).clip(0, down.size);
  if (set.isEmpty) return IndexSet.EMPTY;
  switch (mapping.kind) {
    case "all":
      return all;
    case "last":
      return last;
    case "identity":
      return identityMap(down, up, set);
    case "timeWindow":
      if (down.kind !== "time" || up.kind !== "time") throw misfit("timeWindow()", down, up, "it maps time-window partitions");
      return overlap(down, up, set, mapping.offset);
    case "static":
      return byKey(down, up, set, (key) => mapping.map[key] ?? []);
    case "dimension":
      return dimensionMap(mapping.name, mapping.inner, down, up, set);
    case "multi":
      if (down.kind !== "multi" || up.kind !== "multi") throw misfit("multiMapping()", down, up, "it maps between multi-partitions");
      return perDimension(mapping.dimensions, down, up, set);
  }
}

function identityMap(down: PartitionSpace, up: PartitionSpace, set: IndexSet): IndexSet {
  if (down.id === up.id) return set.clip(0, up.size);
  if (down.kind === "time" && up.kind === "time" && down.unit === up.unit && down.zone.name === up.zone.name && down.def.weekStartsOn === up.def.weekStartsOn) {
    return overlap(down, up, set, [0, 0]);
  }
  return byKey(down, up, set, (key) => [key]);
}

/** Windows `lo+a … hi-1+b` of each downstream range, as the upstream windows overlapping them. */
function overlap(down: TimeSpace, up: TimeSpace, set: IndexSet, [a, b]: readonly [number, number]): IndexSet {
  const pairs: [number, number][] = [];
  for (const [lo, hi] of set.ranges()) {
    const t0 = down.startOf(lo + a);
    const t1 = down.startOf(hi + b);
    pairs.push([Math.max(0, up.indexContaining(t0)), Math.min(up.size, up.indexAtOrAfter(t1))]);
  }
  return IndexSet.fromRanges(pairs);
}

function byKey(down: PartitionSpace, up: PartitionSpace, set: IndexSet, upKeys: (key: string) => readonly string[]): IndexSet {
  const found: number[] = [];
  for (const i of set) {
    for (const key of upKeys(down.keyAt(i))) {
      const j = up.indexOf(key);
      if (j >= 0) found.push(j);
    }
  }
  return IndexSet.fromIndices(found);
}

function dimensionMap(name: string, inner: PartitionMapping | null, down: PartitionSpace, up: PartitionSpace, set: IndexSet): IndexSet {
  if (down.kind !== "multi" && up.kind !== "multi") throw misfit(`dimension("${name}")`, down, up, "neither side is a multiPartitions()");
  const via = (from: SingleSpace, to: SingleSpace, s: IndexSet) => mapToUpstream(inner ?? defaultMapping(from.def, to.def), from, to, s);
  if (down.kind !== "multi") {
    const k = dimensionIndex(up as MultiSpace, name);
    const upDim = up.dimensions[k]!.space;
    return spread(up as MultiSpace, k, via(down, upDim, set));
  }
  const kd = dimensionIndex(down, name);
  const projected = IndexSet.fromRanges(boxesOf(set, down.radices).map((box) => box[kd]!));
  const downDim = down.dimensions[kd]!.space;
  if (up.kind !== "multi") return via(downDim, up, projected);
  const ku = dimensionIndex(up, name);
  return spread(up, ku, via(downDim, up.dimensions[ku]!.space, projected));
}

function perDimension(mappings: Readonly<Record<string, PartitionMapping>>, down: MultiSpace, up: MultiSpace, set: IndexSet): IndexSet {
  const pairs: [number, number][] = [];
  for (const box of boxesOf(set, down.radices)) {
    const sets = up.dimensions.map((u) => {
      const kd = dimensionIndex(down, u.name);
      const d = down.dimensions[kd]!.space;
      const [s, e] = box[kd]!;
      return mapToUpstream(mappings[u.name] ?? defaultMapping(d.def, u.space.def), d, u.space, IndexSet.range(s, e));
    });
    pairs.push(...productSet(sets, up.radices).ranges());
  }
  return IndexSet.fromRanges(pairs);
}

/** Every index of `space` whose dimension `k` lies in `set`. */
function spread(space: MultiSpace, k: number, set: IndexSet): IndexSet {
  return productSet(space.radices.map((r, j) => (j === k ? set : IndexSet.range(0, r))), space.radices);
}

function dimensionIndex(space: MultiSpace, name: string): number {
  const k = space.dimensions.findIndex((d) => d.name === name);
  if (k >= 0) return k;
  const names = space.dimensions.map((d) => d.name);
  throw new DefinitionError("DEFINITION_INVALID", `Unknown dimension "${name}" of ${space.label}${didYouMean(name, names) || ` — its dimensions are ${names.map((n) => `"${n}"`).join(", ")}`}`);
}

function misfit(what: string, down: PartitionSpace, up: PartitionSpace, why: string): DefinitionError {
  return new DefinitionError("DEFINITION_INVALID", `Cannot map ${down.label} to ${up.label} with ${what}: ${why}`);
}
