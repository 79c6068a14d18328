import { defineCommand } from "citty";
import { listItemJson, partitionsOf } from "../../io/reports/index.ts";
import { globalArgs, positionals } from "../args.ts";
import { withProject } from "../context.ts";
import { formatTable } from "../output.ts";
import { resolveSelected } from "../selection.ts";

export default defineCommand({
  meta: {
    name: "list",
    description:
      "List assets: key, group, deps, partitions, kinds, owners.\n\nSelection grammar: KEY, key:raw_*, tag:k=v, group:g, owner:o, kind:k, +KEY (upstream), KEY+ (downstream), 2+KEY+1 (depth), roots(...), sinks(...), not/and/or, commas for union.\n\nExamples:\n  dagx list\n  dagx list 'group:raw' --json",
  },
  args: { ...globalArgs, selection: { type: "positional", required: false, description: "Selection (default: all)" } },
  async run(cmd) {
    const { args } = cmd;
    return withProject(cmd, async ({ out, project }) => {
      const selected = resolveSelected(project, positionals(args));
      const assets = project.graph.order.filter((k) => selected.has(k)).map((k) => project.graph.assets.get(k)!);
      if (out.json) {
        out.data(assets.map(listItemJson));
        return 0;
      }
      const { c } = out;
      const rows = assets.map((a) => [
        c.bold(a.key),
        a.group,
        a.deps.join(", ") || c.dim("—"),
        partitionsOf(a) ?? c.dim("—"),
        a.kinds.join(", "),
        a.owners.join(", "),
      ]);
      out.print(formatTable(["KEY", "GROUP", "DEPS", "PARTITIONS", "KINDS", "OWNERS"], rows, c));
      out.say(c.dim(`${assets.length} of ${project.graph.order.length} asset(s) · definitions loaded in ${Math.round(project.loadMs)}ms`));
      return 0;
    });
  },
});

