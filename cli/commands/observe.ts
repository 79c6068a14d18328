import { defineCommand } from "citty";
import { DagxError } from "../../core/errors.ts";
import { runObserve } from "../../io/run/index.ts";
import { globalArgs, positionals } from "../args.ts";
import { withProject } from "../context.ts";
import { resolveSelected } from "../selection.ts";

export default defineCommand({
  meta: {
    name: "observe",
    description:
      "Record the current data version of external assets (their `observe` function); downstream assets whose recorded version differs become stale.\n\nExamples:\n  dagx observe vendor/feed\n  dagx observe 'kind:source' --json",
  },
  args: { ...globalArgs, selection: { type: "positional", required: true, description: "Selection of external assets" } },
  async run(cmd) {
    const { args } = cmd;
    return withProject(cmd, async ({ out, project, store, now }) => {
      const words = positionals(args);
      if (words.length === 0) throw new DagxError("USAGE", "observe needs a selection: `dagx observe vendor/feed`");
      const selected = resolveSelected(project, words);
      const r = await runObserve(project, store, { selected, selectionText: words.join(" "), now });
      if (out.json) {
        out.data({ runId: r.runId, observed: r.observed });
        return 0;
      }
      const { c } = out;
      for (const o of r.observed) out.print(`${c.bold(o.key)} ${o.dataVersion.slice(0, 16)} ${o.previous === null ? c.dim("(first observation)") : o.changed ? c.yellow("(changed)") : c.dim("(unchanged)")}`);
      out.say(c.dim(`Observed ${r.observed.length} asset(s) in run ${r.runId.slice(-8)}`));
      return 0;
    });
  },
});
