/**
 * The keys of a `dynamicPartitions("NAME")` definition, kept in the state store: listed, added
 * (each key checked against every folder name it will be stored under) and removed (with the
 * materializations of removed keys forgotten). NAME must be used by some asset of the project,
 * alone or as a dimension of a multiPartitions.
 */
import { DagxError } from "../../core/errors.ts";
import type { ProjectGraph } from "../../core/graph.ts";
import { dynamicDimensionNames, dynamicKeyProblem, isPartitionsDef } from "../../core/partitions/index.ts";
import { didYouMean } from "../../core/suggest.ts";
import type { StateStore } from "../../core/state-store.ts";
import type { Project } from "./project.ts";

/** The keys of NAME, in the order they were added. */
export async function listDynamicPartitionKeys(project: Project, store: StateStore, name: string): Promise<string[]> {
  checkName(name, project.graph);
  return store.listDynamicPartitions(name);
}

/** Add keys to NAME (after checking every one); returns how many were new. */
export async function addDynamicPartitionKeys(project: Project, store: StateStore, name: string, keys: readonly string[], now: number): Promise<number> {
  checkName(name, project.graph);
  checkKeys(name, keys, project.graph);
  return store.addDynamicPartitions(name, keys, now);
}

/** Remove keys from NAME and forget their materializations: how many keys were there, how many materializations went. */
export async function removeDynamicPartitionKeys(project: Project, store: StateStore, name: string, keys: readonly string[]): Promise<{ removed: number; forgotten: number }> {
  checkName(name, project.graph);
  const removed = await store.removeDynamicPartitions(name, keys);
  return { removed, forgotten: await forgetRemovedKeys(store, project.graph, name, keys) };
}

/** Names of every `dynamicPartitions(NAME)` used by an asset of the graph, alone or as a multi-partition dimension. */
function dynamicPartitionNames(graph: ProjectGraph): Set<string> {
  const names = new Set<string>();
  for (const asset of graph.assets.values()) {
    const def: unknown = asset.def.options.partitions;
    if (!isPartitionsDef(def)) continue;
    const singles = def.kind === "multi" ? Object.values(def.dimensions) : [def];
    for (const single of singles) if (single.kind === "dynamic") names.add(single.name);
  }
  return names;
}

/**
 * Forget the materializations of removed keys (history included), so every reader — `dagx query`
 * too, which imports no asset file — sees exactly the partitions state holds. Returns how many.
 */
async function forgetRemovedKeys(store: StateStore, graph: ProjectGraph, name: string, keys: readonly string[]): Promise<number> {
  const gone = new Set(keys);
  let forgotten = 0;
  for (const asset of graph.assets.values()) {
    const def: unknown = asset.def.options.partitions;
    if (!isPartitionsDef(def)) continue;
    // the position of NAME in the asset's keys: the whole key, or one "|"-joined dimension
    const at = def.kind === "multi" ? Object.values(def.dimensions).findIndex((d) => d.kind === "dynamic" && d.name === name) : def.kind === "dynamic" && def.name === name ? 0 : -1;
    if (at < 0) continue;
    const valueOf = (pk: string) => (def.kind === "multi" ? pk.split("|")[at] : pk);
    const stored = await store.latestMaterializations([asset.key]);
    const partitionKeys = stored.map((m) => m.partitionKey).filter((pk) => gone.has(valueOf(pk) ?? ""));
    if (partitionKeys.length > 0) forgotten += await store.wipe([asset.key], partitionKeys);
  }
  return forgotten;
}

/** Refuse (exit 2) a key that could not be stored under every folder name the keys of NAME get (`partition=…`, `region=…`). */
function checkKeys(name: string, keys: readonly string[], graph: ProjectGraph): void {
  const dimensions = dynamicDimensionNames(name, [...graph.assets.values()].map((a) => a.def.options.partitions));
  for (const key of keys) {
    const problem = dynamicKeyProblem(key, dimensions);
    if (problem) throw new DagxError("USAGE", `Invalid partition key ${JSON.stringify(key)} for dynamic partitions "${name}": ${problem}`);
  }
}

/** Refuse a NAME no asset uses (exit 2), suggesting the closest known names. */
function checkName(name: string, graph: ProjectGraph): void {
  const known = dynamicPartitionNames(graph);
  if (known.has(name)) return;
  const list = [...known].sort();
  const hint =
    list.length === 0
      ? 'No asset of this project uses dynamicPartitions(): define one like asset({ partitions: dynamicPartitions("customers") }, …)'
      : `Known: ${list.map((n) => `"${n}"`).join(", ")}`;
  const broken = graph.errors.length > 0 ? ` (${graph.errors.length} asset file(s) failed to load)` : "";
  throw new DagxError("USAGE", `Unknown dynamic partitions "${name}"${didYouMean(name, list) || "."} ${hint}${broken}`);
}
