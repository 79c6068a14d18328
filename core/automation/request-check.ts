/**
 * Checking a run request before the tick that makes it is committed: its selection resolved to
 * assets, partitioned assets get partitions, the partitions exist (evaluated at the tick), keys a
 * sensor adds can become folders, and tags are well-formed. A request that fails here would fail
 * at launch on every tick, after a sensor's cursor had moved past its input; now the tick fails with
 * the reason and the cursor stays.
 */
import { dynamicKeyProblem, encodePartitionValue, IndexSet, parsePartitionSelection, partitionsLabel, resolvePartitionSelection, type PartitionSpace } from "../partitions/index.ts";
import { userTagProblem } from "../tags.ts";
import { lowerFirst } from "./_definition-checks.ts";

/** Longest file name most file systems allow, in bytes: a partition folder `name=value` must fit. */
export const MAX_FOLDER_BYTES = 255;

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
  const partitioned = request.keys.filter((k) => spaces.has(k));
  if (request.partitions === null) {
    if (partitioned.length === 0) return null;
    const k = partitioned[0]!;
    const more = partitioned.length > 1 ? ` (and ${partitioned.length - 1} more)` : "";
    return `selects the partitioned asset "${k}"${more} (${partitionsLabel(spaces.get(k)!.def)}) but gives no partitions: give partitions, e.g. "latest" or a key`;
  }
  if (partitioned.length === 0) return `gives partitions "${request.partitions}" but selects no partitioned asset: drop partitions, or select a partitioned asset`;
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
 * Why `key` cannot be added to the dynamic partitions `name`, or null: the core key rules, and the
 * folder `dimension=encoded key` of every asset using `name` must fit a file name.
 */
export function addedKeyProblem(name: string, key: string, spaces: ReadonlyMap<string, PartitionSpace>): string | null {
  const problem = dynamicKeyProblem(key);
  if (problem) return problem;
  for (const [asset, space] of spaces) {
    for (const d of space.dimensions) {
      if (d.space.kind !== "dynamic" || d.space.def.kind !== "dynamic" || d.space.def.name !== name) continue;
      const folder = `${d.name}=${encodePartitionValue(key)}`;
      const bytes = new TextEncoder().encode(folder).length;
      if (bytes > MAX_FOLDER_BYTES) return `its folder of "${asset}" ("${d.name}=…", ${bytes} bytes encoded) is longer than the ${MAX_FOLDER_BYTES} bytes a file name may have: use a shorter key`;
    }
  }
  return null;
}
