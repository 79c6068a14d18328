import { defineCommand } from "citty";
import { formatTags } from "../../core/tags.ts";
import { logsJson } from "../../io/reports/index.ts";
import { globalArgs } from "../args.ts";
import { withState } from "../context.ts";
import { findRun } from "../run-id.ts";

export default defineCommand({
  meta: {
    name: "logs",
    description: "A run's events and user logs (`latest` for the newest run; a unique prefix or suffix of the id works).\n\nExamples:\n  dagx logs latest\n  dagx logs 0193ab12 --json",
  },
  args: { ...globalArgs, run: { type: "positional", required: true, description: "Run id, a unique part of it, or `latest`" } },
  async run(cmd) {
    const { args } = cmd;
    return withState(cmd, async ({ out, store }) => {
      const run = await findRun(store, String(args.run));
      const events = await store.getEvents(run.runId);
      if (out.json) {
        out.data(logsJson(run, events));
        return 0;
      }
      const { c } = out;
      out.print(`${c.bold(`Run ${run.runId}`)} ${run.status} · ${run.trigger} · selection ${run.selection}${run.tags && Object.keys(run.tags).length ? ` · tags ${formatTags(run.tags)}` : ""}`);
      for (const [key, value] of Object.entries(run.config ?? {})) out.print(`${c.dim("config".padEnd(12))} ${key} ${JSON.stringify(value)}`);
      for (const e of events) {
        const t = new Date(e.at).toISOString().slice(11, 23);
        const who = e.assetKey ? `${e.assetKey}${e.partitionKey ? ` [${e.partitionKey}]` : ""} ` : "";
        const p = e.payload;
        const detail =
          e.type === "log" ? `${p.level}: ${p.message}` : e.type === "step_failed" || e.type === "step_retry" ? String(p.error) : e.type === "step_skipped" ? String(p.reason) : Object.keys(p).length ? JSON.stringify(p) : "";
        const colour = e.type.includes("failed") ? c.red : e.type === "log" ? (s: string) => s : c.dim;
        out.print(`${c.dim(t)} ${colour(e.type.padEnd(15))} ${who}${detail}`);
      }
      return 0;
    });
  },
});
