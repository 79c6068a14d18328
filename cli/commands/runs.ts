import { defineCommand } from "citty";
import { formatDuration } from "../../core/duration.ts";
import { isRunAlive } from "../../io/status/index.ts";
import { readQueueOverview } from "../../io/queue/index.ts";
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
    return withState(cmd, async ({ out, store, stateUrl }) => {
      // a run whose process died shows as abandoned, not running (DESIGN §6: whoever notices marks it)
      await store.markAbandoned((r) => isRunAlive(r, Date.now()), Date.now());
      const runs = await store.listRuns({ limit, ...(Object.keys(tags).length ? { tags } : {}) });
      // runs handed to workers (--queue): "queued" until a worker claims a step; say when no worker is alive to take them
      const queue = stateUrl && runs.some((r) => r.status === "running") ? await readQueueOverview(stateUrl) : null;
      const isQueued = (r: (typeof runs)[number]) => r.status === "running" && queue?.runs.get(r.runId)?.claimed === 0;
      if (out.json) {
        out.data(runs.map((r) => runItemJson(r, isQueued(r))));
        return 0;
      }
      const { c } = out;
      if (runs.length === 0) {
        out.say(Object.keys(tags).length ? `No runs with tags ${formatTags(tags)}: see every run with \`dagx runs\`` : "No runs yet: try `dagx materialize`");
        return 0;
      }
      const tagged = runs.some((r) => r.tags && Object.keys(r.tags).length);
      const shown = (r: (typeof runs)[number]) => (isQueued(r) ? "queued" : r.status);
      const paint = (s: string) => (s === "success" ? c.green(s) : s === "running" || s === "queued" ? c.cyan(s) : s === "canceled" ? c.yellow(s) : c.red(s === "abandoned" ? "failed (abandoned)" : s));
      out.print(
        formatTable(
          ["RUN", "STATUS", "STARTED", "DURATION", "TRIGGER", "SELECTION", ...(tagged ? ["TAGS"] : [])],
          runs.map((r) => [r.runId, paint(shown(r)), ago(r.startedAt), r.endedAt ? formatDuration(r.endedAt - r.startedAt) : "", r.trigger, r.selection, ...(tagged ? [formatTags(r.tags)] : [])]),
          c,
        ),
      );
      const waiting = new Map<string, number>();
      for (const q of queue?.runs.values() ?? []) if (!queue!.workers.get(q.queue)) waiting.set(q.queue, (waiting.get(q.queue) ?? 0) + 1);
      const refused = [...(queue?.runs ?? [])].filter(([, q]) => q.refused > 0 && q.claimed === 0).map(([id]) => id);
      if (refused.length) out.say(c.yellow(`Queued run(s) ${refused.join(", ")}: step(s) refused by workers running other code (another code version): \`dagx logs RUN\` says which; start a worker on the submitted checkout`));
      for (const [name, n] of waiting) out.say(c.yellow(`${n} queued run(s) on queue "${name}" wait: no worker is alive on it. Start one with \`dagx worker${name === "default" ? "" : ` --queue ${name}`}\` (docs/workers.md)`));
      return 0;
    });
  },
});
