import { defineCommand } from "citty";
import { formatDuration } from "../../core/duration.ts";
import { isRunAlive } from "../../io/status/index.ts";
import { runItemJson } from "../../io/reports/index.ts";
import { formatTags, parseTagArgs } from "../../core/tags.ts";
import { globalArgs, repeatedFlag, tagArg, wholeNumberArg } from "../args.ts";
import { withState } from "../context.ts";
import { ago, formatTable } from "../output.ts";

export default defineCommand({
  meta: { name: "runs", description: "Run history, newest first.\n\nExamples:\n  dagx runs\n  dagx runs --limit 5 --json\n  dagx runs --tag dagx/schedule=nightly --tag team=data" },
  args: { ...globalArgs, limit: { type: "string", alias: "n", description: "How many runs (default 20)", valueHint: "N" }, tag: { ...tagArg, description: "Only runs with this tag KEY=VALUE (repeatable: every one must match)" } },
  async run(cmd) {
    const { args, rawArgs } = cmd;
    const limit = wholeNumberArg(args.limit, "limit", 20);
    // filters may name dagx's own tags (dagx/schedule=…): only the syntax is checked
    const tags = parseTagArgs(repeatedFlag(rawArgs, "tag"), "--tag", { reservedOk: true });
    return withState(cmd, async ({ out, store }) => {
      // a run whose process died shows as abandoned, not running (DESIGN §6: whoever notices marks it)
      await store.markAbandoned((r) => isRunAlive(r, Date.now()), Date.now());
      const runs = await store.listRuns({ limit, ...(Object.keys(tags).length ? { tags } : {}) });
      if (out.json) {
        out.data(runs.map(runItemJson));
        return 0;
      }
      const { c } = out;
      if (runs.length === 0) {
        out.say(Object.keys(tags).length ? `No runs with tags ${formatTags(tags)}: see every run with \`dagx runs\`` : "No runs yet: try `dagx materialize`");
        return 0;
      }
      const tagged = runs.some((r) => r.tags && Object.keys(r.tags).length);
      const paint = (s: string) => (s === "success" ? c.green(s) : s === "running" ? c.cyan(s) : s === "canceled" ? c.yellow(s) : c.red(s === "abandoned" ? "failed (abandoned)" : s));
      out.print(
        formatTable(
          ["RUN", "STATUS", "STARTED", "DURATION", "TRIGGER", "SELECTION", ...(tagged ? ["TAGS"] : [])],
          runs.map((r) => [r.runId, paint(r.status), ago(r.startedAt), r.endedAt ? formatDuration(r.endedAt - r.startedAt) : "", r.trigger, r.selection, ...(tagged ? [formatTags(r.tags)] : [])]),
          c,
        ),
      );
      return 0;
    });
  },
});
