/**
 * Decisions about materializations that the step path makes, pure: whether a step can be skipped
 * because what it read is unchanged (early cutoff), and how an output's schema changed.
 */
import type { LoadedAsset } from "./definitions.ts";
import type { ColumnSchema, MaterializationRecord } from "./types.ts";

/** How an output's columns changed: added, removed, retyped. */
export interface SchemaChange {
  added: string[];
  removed: string[];
  changed: { name: string; from: string; to: string }[];
}

/** Why `earlyCutoff` skips a step (a queued unit skipped so records it as its note: core/queue.ts). */
export const EARLY_CUTOFF_REASON = "fresh: upstream outputs unchanged (early cutoff)";

/**
 * In a `--stale` run: the reason to skip `asset` as fresh when its code is unchanged, the run's
 * config of it (`configHash`, given when it declares a config schema) is the one it last ran with, and
 * every upstream's latest data version is the one its last materialization read (early cutoff, as in
 * Bazel/Shake); null to run it.
 */
export function earlyCutoff(asset: Pick<LoadedAsset, "codeVersion" | "deps">, latest: ReadonlyMap<string, MaterializationRecord>, key: string, configHash?: string): string | null {
  const m = latest.get(key);
  if (!m || m.codeVersion !== asset.codeVersion) return null;
  if (configHash !== undefined && m.configHash !== configHash) return null;
  for (const up of asset.deps) if (latest.get(up)?.dataVersion !== m.inputVersions[up]) return null;
  return EARLY_CUTOFF_REASON;
}

/** Columns added, removed and retyped between two output schemas; null when equal or unknown. */
export function schemaChange(before: readonly ColumnSchema[] | null, after: readonly ColumnSchema[] | null): SchemaChange | null {
  if (!before || !after) return null;
  const b = new Map(before.map((c) => [c.name, c.type]));
  const a = new Map(after.map((c) => [c.name, c.type]));
  const added = [...a.keys()].filter((n) => !b.has(n));
  const removed = [...b.keys()].filter((n) => !a.has(n));
  const changed = [...a].filter(([n, t]) => b.has(n) && b.get(n) !== t).map(([name, to]) => ({ name, from: b.get(name)!, to }));
  return added.length || removed.length || changed.length ? { added, removed, changed } : null;
}
