/**
 * `dagx partitions add|remove|list NAME [KEY…]`: manage the keys of a `dynamicPartitions("NAME")`
 * definition, kept in the state store. NAME must be used by some asset of the project (alone or
 * as a dimension of a multiPartitions); keys are validated like every partition key.
 */
import { defineCommand } from "citty";
import { DagxError } from "../../core/errors.ts";
import { didYouMean } from "../../core/suggest.ts";
import { addDynamicPartitionKeys, listDynamicPartitionKeys, removeDynamicPartitionKeys } from "../../io/project/index.ts";
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
      const unique = [...new Set(keys)];
      if (action === "list") {
        const found = await listDynamicPartitionKeys(project, store, name);
        if (out.json) out.data(found);
        else if (found.length === 0) out.say(`No keys in dynamic partitions "${name}" yet: add some with \`dagx partitions add ${name} KEY…\``);
        else for (const key of found) out.print(key);
        return 0;
      }
      if (action === "add") {
        const added = await addDynamicPartitionKeys(project, store, name, unique, Date.now());
        if (out.json) out.data({ name, added, keys: unique });
        else out.print(`Added ${added} key(s) to dynamic partitions "${name}"${added < unique.length ? ` (${unique.length - added} already present)` : ""}`);
        return 0;
      }
      const { removed, forgotten } = await removeDynamicPartitionKeys(project, store, name, unique);
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
