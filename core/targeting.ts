/**
 * Partition targeting (pure): which partitions of each selected partitioned asset a run covers —
 * exact keys (a resumed backfill), a `--partition`/`--partitions` selection resolved by each
 * asset's own granularity (at a schedule tick's instant, when given), or with `--stale` the
 * missing, failed and stale ones. io reads the partition state; this decides.
 */
import { DagxError } from "./errors.ts";
import type { ProjectGraph } from "./graph.ts";
import { mappingOf } from "./graph.ts";
import {
  IndexSet, type ParsedPartitionSelection, parsePartitionSelection, PartitionRangeError, partitionsLabel, type PartitionSpace, resolvePartitionSelection,
} from "./partitions/index.ts";
import type { PartitionPlanInput } from "./plan.ts";
import type { AssetPartitions, PartitionStatusInfo } from "./status/index.ts";

export interface TargetingInput {
  graph: ProjectGraph;
  /** Partition state of every partitioned asset. */
  parts: ReadonlyMap<string, AssetPartitions>;
  selected: ReadonlySet<string>;
  /** `--partition KEY` / `--partitions RANGE` text, applied to each asset by its own granularity. */
  partitionSelection?: string | null;
  /** The selection came from `--partition KEY`: it must name exactly one partition of each asset. */
  singlePartition?: boolean;
  /** Exact partition keys per asset (a resumed backfill), instead of `partitionSelection`. */
  explicitPartitions?: ReadonlyMap<string, readonly string[]>;
  /** `--stale`: the missing, failed and stale partitions, from `partitionStatuses`. */
  stale: boolean;
  partitionStatuses: ReadonlyMap<string, PartitionStatusInfo>;
  /** Spaces as they were at a schedule tick (`"latest"` means the newest window then), else null. */
  asOfSpaces: ReadonlyMap<string, PartitionSpace> | null;
  /** A backfill: `backfill: "single-run"` assets run their whole range in one step. */
  backfill: boolean;
}

/** The planner's partition input for a run. */
export function partitionTargets(o: TargetingInput): PartitionPlanInput {
  const selectedParts = [...o.selected].filter((k) => o.parts.has(k));
  let targets: Map<string, IndexSet>;
  if (o.explicitPartitions) {
    const explicit = o.explicitPartitions;
    targets = new Map(selectedParts.map((key) => {
      const space = o.parts.get(key)!.space;
      return [key, IndexSet.fromIndices((explicit.get(key) ?? []).map((k) => space.indexOf(k)).filter((i) => i >= 0))];
    }));
  } else if (o.partitionSelection != null) {
    // a schedule's tick: "latest" (and every range) means the partitions as they were at the tick
    const assets = new Map(selectedParts.map((k) => [k, { ...o.parts.get(k)!, then: o.asOfSpaces?.get(k) }]));
    targets = resolveAcross(o.partitionSelection, assets, { clip: true });
    if (o.singlePartition) requireOne(o.partitionSelection, targets, o.parts, true);
  } else if (o.stale) {
    targets = new Map(selectedParts.map((key) => {
      const p = o.parts.get(key)!;
      const ps = o.partitionStatuses.get(key);
      return [key, ps ? ps.missing.union(ps.failed).union(ps.stale) : IndexSet.range(0, p.space.size).difference(p.materialized).union(p.failed).union(p.codeChanged)];
    }));
  } else {
    const key = selectedParts[0];
    if (key !== undefined) {
      throw new DagxError("USAGE", `Asset "${key}" is partitioned (${partitionsLabel(o.parts.get(key)!.space.def)}): pass --partition KEY or --partitions RANGE, e.g. \`dagx materialize ${key} --partitions latest\` (or use \`dagx backfill\`)`);
    }
    targets = new Map();
  }
  const byKey = o.graph.assets;
  return {
    spaces: new Map([...o.parts].map(([k, p]) => [k, p.space])),
    targets,
    materialized: new Map([...o.parts].map(([k, p]) => [k, p.materialized])),
    mapping: (down, up) => mappingOf(byKey.get(down)!, byKey.get(up)!),
    singleRun: new Set([...byKey.values()].filter((a) => a.backfill === "single-run" && o.backfill).map((a) => a.key)),
  };
}

/**
 * The partitions `text` names in each asset, by each asset's own granularity (resolved in `then`,
 * the space at an earlier instant, when given). With several definitions, a key or range outside
 * one is clipped to it (`clip`) or names none of it; one that fits none of them is the error.
 */
export function resolveAcross(
  text: string,
  assets: ReadonlyMap<string, Pick<AssetPartitions, "space" | "materialized" | "failed"> & { then?: PartitionSpace | undefined }>,
  o: { clip: boolean },
): Map<string, IndexSet> {
  const parsed: ParsedPartitionSelection = parsePartitionSelection(text);
  const several = new Set([...assets.values()].map((p) => p.space.id)).size > 1;
  const out = new Map<string, IndexSet>();
  let firstError: unknown = null;
  for (const [key, p] of assets) {
    const then = p.then ?? p.space;
    const resolve = (clip: boolean) => toCurrentSpace(resolvePartitionSelection(parsed, then, { materialized: p.materialized, failed: p.failed, clip }), then, p.space);
    try {
      out.set(key, resolve(false));
    } catch (e) {
      if (!(e instanceof PartitionRangeError) || !several) throw e;
      firstError ??= e;
      out.set(key, o.clip ? orEmpty(() => resolve(true)) : IndexSet.EMPTY);
    }
  }
  if (firstError && [...out.values()].every((t) => t.isEmpty)) throw firstError;
  return out;
}

/** `--partition KEY` names one partition of each asset, not a range. */
export function requireOne(text: string, targets: ReadonlyMap<string, IndexSet>, parts: ReadonlyMap<string, Pick<AssetPartitions, "space">>, example: boolean): void {
  for (const [key, t] of targets) {
    if (t.size <= 1) continue;
    const space = parts.get(key)!.space;
    const whole = example ? `a whole key like "${space.keyAt(t.first!)}"` : "a whole key";
    throw new DagxError("USAGE", `--partition ${text} names ${t.size.toLocaleString("en-US")} partitions of "${key}" (${partitionsLabel(space.def)}), not one: give ${whole}, or use --partitions for a range`);
  }
}

function orEmpty(f: () => IndexSet): IndexSet {
  try {
    return f();
  } catch {
    return IndexSet.EMPTY;
  }
}

/**
 * Indices resolved in `then` (the space at an earlier instant) as indices of `now`. A time space
 * only grows at its end, so its indices stay; a multi-partition with a time dimension renumbers,
 * so its keys are looked up; a key that is gone is dropped.
 */
function toCurrentSpace(set: IndexSet, then: PartitionSpace, now: PartitionSpace): IndexSet {
  if (then === now || (then.kind !== "multi" && then.size <= now.size)) return set.clip(0, now.size);
  return IndexSet.fromIndices([...set].map((i) => now.indexOf(then.keyAt(i))).filter((i) => i >= 0));
}
