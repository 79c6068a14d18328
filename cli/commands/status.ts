import { defineCommand } from "citty";
import { readAssetState } from "../../io/asset-state.ts";
import { globalArgs, positionals } from "../args.ts";
import { withProject } from "../context.ts";
import { ago, formatRows, formatTable } from "../output.ts";
import { resolveSelected } from "../selection.ts";

export default defineCommand({
  meta: {
    name: "status",
    description:
      "Per asset: missing / fresh / stale (with causes) / failed, and the last materialization.\n\nExamples:\n  dagx status\n  dagx status orders+ --json",
  },
  args: { ...globalArgs, selection: { type: "positional", required: false, description: "Selection (default: all)" } },
  async run({ args }) {
    return withProject(args, async ({ out, project, store }) => {
      const selected = resolveSelected(project, positionals(args));
      const st = await readAssetState(project.graph, project.storage, store);
      const keys = project.graph.order.filter((k) => selected.has(k));
      if (out.json) {
        out.data(
          keys.map((k) => {
            const s = st.statuses.get(k)!;
            const m = s.materialization;
            return {
              key: k,
              status: s.status,
              causes: s.causes,
              lastMaterialization: m ? { runId: m.runId, at: new Date(m.at).toISOString(), rows: m.rows, bytes: m.bytes, partition: m.partitionKey || null, dataVersion: m.dataVersion, codeVersion: m.codeVersion, path: m.path || null } : null,
              lastFailure: s.failure ? { runId: s.failure.runId, at: new Date(s.failure.at).toISOString(), error: s.failure.error } : null,
            };
          }),
        );
        return 0;
      }
      const { c } = out;
      const paint = { fresh: c.green, stale: c.yellow, missing: c.dim, failed: c.red } as const;
      const rows = keys.map((k) => {
        const s = st.statuses.get(k)!;
        const m = s.materialization;
        return [
          c.bold(k),
          paint[s.status](s.status),
          m ? `${ago(m.at)} ${c.dim(`run ${m.runId.slice(-8)}`)}` : c.dim("never"),
          m ? formatRows(m.rows) : "",
          s.status === "fresh" ? "" : s.causes.join("; "),
        ];
      });
      out.say(formatTable(["KEY", "STATUS", "LAST MATERIALIZED", "ROWS", "CAUSE"], rows, c));
      const count = (x: string) => keys.filter((k) => st.statuses.get(k)!.status === x).length;
      out.say(c.dim(`${count("fresh")} fresh, ${count("stale")} stale, ${count("missing")} missing, ${count("failed")} failed`));
      if (count("stale") + count("missing") + count("failed") > 0) out.say(c.dim("Bring everything up to date: dagx materialize --stale"));
      return 0;
    });
  },
});
