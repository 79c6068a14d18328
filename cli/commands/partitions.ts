/**
 * `dagx partitions add|remove|list NAME [KEY…]`: manage the keys of a `dynamicPartitions("NAME")`
 * definition, kept in the state store. NAME must be used by some asset of the project (alone or
 * as a dimension of a multiPartitions); keys are validated like every partition key.
 */
import { defineCommand } from "citty";
import { DagxError } from "../../core/errors.ts";
import { dynamicDimensionNames, dynamicKeyProblem, isPartitionsDef } from "../../core/partitions/index.ts";
import type { ProjectGraph } from "../../core/graph.ts";
import type { StateStore } from "../../core/types.ts";
import { didYouMean } from "../../core/suggest.ts";
import { globalArgs, positionals } from "../args.ts";
import { withProject } from "../context.ts";

const ACTIONS = ["add", "remove", "list"] as const;
type Action = (typeof ACTIONS)[number];

export default defineCommand({
  meta: {
    name: "partitions",
    description:
      'Add, remove or list the keys of dynamic partitions (assets defined with dynamicPartitions("NAME")).\n\n' +
      "Examples:\n  dagx partitions add customers acme globex\n  dagx partitions remove customers globex\n  dagx partitions list customers --json",
  },
  args: {
    ...globalArgs,
    // Not `required`: a missing one gets our own usage error (exit 2) rather than citty's.
    action: { type: "positional", required: false, description: "add | remove | list", valueHint: "ACTION" },
    name: { type: "positional", required: false, description: 'Name given to dynamicPartitions("NAME")', valueHint: "NAME" },
    keys: { type: "positional", required: false, description: "Partition keys (add, remove)", valueHint: "KEY…" },
  },
  async run(cmd) {
    const { args } = cmd;
    const [word = "", name = "", ...keys] = positionals(args);
    const action = parseAction(word);
    if (!name) throw new DagxError("USAGE", `partitions ${action} needs a NAME: \`dagx partitions ${action} customers${action === "list" ? "" : " KEY"}\``);
    if (action === "list" && keys.length > 0) throw new DagxError("USAGE", `partitions list takes no keys (got "${keys[0]}"): \`dagx partitions list ${name}\``);
    if (action !== "list" && keys.length === 0) throw new DagxError("USAGE", `partitions ${action} needs at least one key: \`dagx partitions ${action} ${name} KEY…\``);
    return withProject(cmd, async ({ out, project, store }) => {
      checkName(name, project.graph);
      if (action === "add") checkKeys(name, keys, project.graph);
      const unique = [...new Set(keys)];
      if (action === "list") {
        const found = await store.listDynamicPartitions(name);
        if (out.json) out.data(found);
        else if (found.length === 0) out.say(`No keys in dynamic partitions "${name}" yet: add some with \`dagx partitions add ${name} KEY…\``);
        else for (const key of found) out.print(key);
        return 0;
      }
      if (action === "add") {
        const added = await store.addDynamicPartitions(name, unique, Date.now());
        if (out.json) out.data({ name, added, keys: unique });
        else out.print(`Added ${added} key(s) to dynamic partitions "${name}"${added < unique.length ? ` (${unique.length - added} already present)` : ""}`);
        return 0;
      }
      const removed = await store.removeDynamicPartitions(name, unique);
      const forgotten = await forgetRemovedKeys(store, project.graph, name, unique);
      if (out.json) out.data({ name, removed, keys: unique, forgottenMaterializations: forgotten });
      else {
        out.print(`Removed ${removed} key(s) from dynamic partitions "${name}"${removed < unique.length ? ` (${unique.length - removed} were not there)` : ""}`);
        if (forgotten > 0) out.print(`Forgot ${forgotten} materialization(s) of those keys: no reader, query or status sees them; their files go with the next \`dagx gc\``);
      }
      return 0;
    });
  },
});

function parseAction(word: string): Action {
  if ((ACTIONS as readonly string[]).includes(word)) return word as Action;
  const what = word ? `Unknown partitions action "${word}"${didYouMean(word, ACTIONS) || "."}` : "partitions needs an action.";
  throw new DagxError("USAGE", `${what} Use \`dagx partitions add|remove|list NAME [KEY…]\``);
}

/** Names of every `dynamicPartitions(NAME)` used by an asset of the graph, alone or as a multi-partition dimension. */
export function dynamicPartitionNames(graph: ProjectGraph): Set<string> {
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
