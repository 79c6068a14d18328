import { defineCommand } from "citty";
import { DagxError } from "../../core/errors.ts";
import { lineageJson, lineageView, renderDot, renderMermaid, renderTree } from "../../core/lineage.ts";
import { globalArgs, positionals } from "../args.ts";
import { withProject } from "../context.ts";
import { resolveSelected } from "../selection.ts";

const FORMATS = ["tree", "dot", "mermaid", "json"] as const;
type Format = (typeof FORMATS)[number];

/** `--upstream N` / `--downstream N`: a whole number ≥ 0, or unbounded when absent. */
function depthFlag(name: string, value: string | undefined): number {
  if (value === undefined || value === "") return Infinity;
  if (!/^\d+$/.test(value)) throw new DagxError("USAGE", `Invalid --${name} "${value}": expected a whole number of layers, e.g. --${name} 1`);
  return Number(value);
}

function formatFlag(value: string | undefined, json: boolean | undefined): Format {
  if (value === undefined) return json ? "json" : "tree";
  if ((FORMATS as readonly string[]).includes(value)) return value as Format;
  throw new DagxError("USAGE", `Unknown --format "${value}": use one of ${FORMATS.join(", ")}`);
}

export default defineCommand({
  meta: {
    name: "lineage",
    description:
      "The graph around a selection: the selected assets plus everything upstream and downstream.\n\nFormats: tree (default; upstream above, downstream below), dot (Graphviz), mermaid, json.\n\nExamples:\n  dagx lineage orders\n  dagx lineage daily_revenue --upstream 1 --downstream 0\n  dagx lineage 'group:raw' --format dot | dot -Tsvg > lineage.svg\n  dagx lineage '*' --format mermaid",
  },
  args: {
    ...globalArgs,
    selection: { type: "positional", required: false, description: "Selection (e.g. orders, group:raw, '*')" },
    format: { type: "string", alias: "f", description: "tree | dot | mermaid | json (default tree; json with --json)", valueHint: "FORMAT" },
    upstream: { type: "string", description: "Layers of upstream to show (default: all)", valueHint: "N" },
    downstream: { type: "string", description: "Layers of downstream to show (default: all)", valueHint: "N" },
  },
  async run(cmd) {
    const { args } = cmd;
    const words = positionals(args);
    if (words.length === 0) {
      throw new DagxError("USAGE", "Missing selection: `dagx lineage` needs one, e.g. `dagx lineage orders` (or `dagx lineage '*'` for the whole graph)");
    }
    const format = formatFlag(args.format, args.json);
    const depth = { upstream: depthFlag("upstream", args.upstream), downstream: depthFlag("downstream", args.downstream) };
    return withProject(cmd, async ({ out, project }) => {
      const view = lineageView(project.graph, resolveSelected(project, words), depth);
      if (format === "json") out.data(lineageJson(view));
      else if (format === "dot") out.write(`${renderDot(view)}\n`);
      else if (format === "mermaid") out.write(`${renderMermaid(view)}\n`);
      else {
        const { c } = out;
        if (view.nodes.length === 0) {
          out.say(c.dim(`No assets match "${words.join(" ")}"`));
          return 0;
        }
        out.print(renderTree(view, { selected: (s) => c.bold(c.cyan(s)), dim: c.dim }));
        out.say(c.dim(`${view.nodes.length} asset(s), ${view.edges.length} edge(s); ● = selected (${view.selected.size}). Other formats: --format dot|mermaid|json`));
      }
      return 0;
    });
  },
});
