/**
 * Checking a run request before the tick that makes it is committed: its selection resolved to
 * assets, partitioned assets get partitions, the partitions exist (evaluated at the tick), keys a
 * sensor adds can become folders, and tags are well-formed. A request that fails here would fail
 * at launch on every tick, after a sensor's cursor had moved past its input; now the tick fails with
 * the reason and the cursor stays.
 */
import { dynamicKeyProblem, IndexSet, parsePartitionSelection, resolvePartitionSelection, type PartitionSpace } from "../partitions/index.ts";
import { runRequestPartitionsProblem } from "./run-request-check.ts";
import { userTagProblem } from "../tags.ts";
import { lowerFirst } from "./_definition-checks.ts";

export interface RequestToCheck {
  /** Asset keys the request's selection resolved to. */
  keys: readonly string[];
  partitions: string | null;
  /** Tags the user gave (dagx adds its own `dagx/…` ones after the check). */
  tags?: Readonly<Record<string, string>>;
}

/**
 * Why the request cannot run, or null. `spaces` holds the partition space of every partitioned
 * asset at the request's instant (dynamic keys include the ones its tick adds).
 */
export function runRequestProblem(request: RequestToCheck, spaces: ReadonlyMap<string, PartitionSpace>): string | null {
  if (request.keys.length === 0) return "selects no assets";
  for (const [key, value] of Object.entries(request.tags ?? {})) {
    const problem = userTagProblem(key, value);
    if (problem) return `tag "${key}": ${problem}`;
  }
  const mismatch = runRequestPartitionsProblem(request.keys, request.partitions, (k) => spaces.get(k)?.def ?? null);
  if (mismatch) return mismatch;
  if (request.partitions === null) return null;
  const partitioned = request.keys.filter((k) => spaces.has(k));
  let parsed;
  try {
    parsed = parsePartitionSelection(request.partitions);
  } catch (e) {
    return `partitions "${request.partitions}": ${lowerFirst((e as Error).message)}`;
  }
  // as materialize resolves it: with several definitions, a part outside one of them is clipped to
  // it, and only a selection that fits none of them is an error
  const clip = new Set(partitioned.map((k) => spaces.get(k)!.id)).size > 1;
  const none = { materialized: IndexSet.EMPTY, failed: IndexSet.EMPTY };
  let first: string | null = null;
  for (const key of partitioned) {
    try {
      resolvePartitionSelection(parsed, spaces.get(key)!, none);
      return null;
    } catch (e) {
      first ??= `partitions "${request.partitions}" of "${key}": ${lowerFirst((e as Error).message)}`;
      if (!clip) return first;
    }
  }
  return first;
}

/**
 * Why `key` cannot be added to the dynamic partitions `name`, or null: the one core key rule
 * (`dynamicKeyProblem`), under every folder name `dimension=encoded key` an asset gives `name`.
 */
export function addedKeyProblem(name: string, key: string, spaces: ReadonlyMap<string, PartitionSpace>): string | null {
  const dimensions = new Set<string>();
  for (const space of spaces.values()) {
    for (const d of space.dimensions) if (d.space.kind === "dynamic" && d.space.def.kind === "dynamic" && d.space.def.name === name) dimensions.add(d.name);
  }
  return dynamicKeyProblem(key, [...dimensions]);
}
