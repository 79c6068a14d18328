import { defineCommand } from "citty";
import { formatRanges } from "../../core/partitions/index.ts";
import { readStatusData, statusItemJson } from "../../io/reports/index.ts";
import { checkLine, printDetail } from "../status-detail.ts";
import type { PartitionStatusInfo } from "../../io/status/index.ts";
import { globalArgs, positionals } from "../args.ts";
import { withProject } from "../context.ts";
import { ago, formatRows, formatTable, groupDigits } from "../output.ts";
import { resolveSelected } from "../selection.ts";

export default defineCommand({
  meta: {
    name: "status",
    description:
      "Per asset: missing / fresh / stale (with causes) / failed, and the last materialization.\n\nExamples:\n  dagx status\n  dagx status orders+ --json",
  },
  args: { ...globalArgs, selection: { type: "positional", required: false, description: "Selection (default: all)" } },
  async run(cmd) {
    const { args } = cmd;
    return withProject(cmd, async ({ out, project, store, now: clock }) => {
      const selected = resolveSelected(project, positionals(args));
      const keys = project.graph.order.filter((k) => selected.has(k));
      const now = clock();
      const d = await readStatusData(project, store, keys, now, { withConfig: out.json });
      const { view, blockedOf, checks, fresh } = d;
      if (out.json) {
        out.data(keys.map((k) => statusItemJson(d, k)));
        return 0;
      }
      const { c } = out;
      const paint = { fresh: c.green, stale: c.yellow, missing: c.dim, failed: c.red } as const;
      if (keys.length === 1 && positionals(args).length > 0) {
        const k = keys[0]!;
        const { s, ps } = view(k);
        printDetail(out, project.graph.assets.get(k)!, s, ps, fresh.get(k) ?? null, paint, checks.get(k) ?? null);
        for (const b of blockedOf(k)) out.say(`${c.dim("blocked".padEnd(14))}${c.red(`blocked: ${b.reason}`)} (\`dagx materialize --ignore-blocking\` runs it anyway)`);
        return 0;
      }
      const fpaint = { fresh: c.green, late: c.yellow, overdue: c.red } as const;
      const hasFreshness = keys.some((k) => fresh.has(k));
      const rows = keys.map((k) => {
        const { s, ps } = view(k);
        const m = s.materialization;
        const f = fresh.get(k);
        return [
          c.bold(k),
          paint[s.status](s.status),
          ...(hasFreshness ? [f ? fpaint[f.state](f.state) : c.dim("—")] : []),
          m ? `${ago(m.at)} ${c.dim(`run ${m.runId.slice(-8)}`)}` : c.dim("never"),
          ps ? `${groupDigits(ps.materialized.size)}/${groupDigits(ps.total)} parts` : m ? formatRows(m.rows) : "",
          [ps ? partitionLine(ps) : s.status === "fresh" ? "" : s.causes.join("; "), checkLine(checks.get(k), c), ...blockedOf(k).slice(0, 1).map((b) => c.red(`blocked: ${b.reason}`))].filter(Boolean).join("; "),
        ];
      });
      out.print(formatTable(["KEY", "STATUS", ...(hasFreshness ? ["FRESHNESS"] : []), "LAST MATERIALIZED", "ROWS", "CAUSE"], rows, c));
      const count = (x: string) => keys.filter((k) => view(k).s.status === x).length;
      out.say(c.dim(`${count("fresh")} fresh, ${count("stale")} stale, ${count("missing")} missing, ${count("failed")} failed`));
      if (count("stale") + count("missing") + count("failed") > 0) out.say(c.dim("Bring everything up to date: dagx materialize --stale"));
      return 0;
    }, { readsState: true });
  },
});

/** `2024-01-01..2024-02-14 materialized, 2024-02-15 failed; 3 stale` */
function partitionLine(ps: PartitionStatusInfo): string {
  const parts: string[] = [];
  if (!ps.materialized.isEmpty) parts.push(`${formatRanges(ps.materialized, ps.space, { maxRanges: 3 })} materialized`);
  if (!ps.failed.isEmpty) parts.push(`${formatRanges(ps.failed, ps.space, { maxRanges: 3 })} failed`);
  if (!ps.stale.isEmpty) parts.push(`${formatRanges(ps.stale, ps.space, { maxRanges: 3 })} stale`);
  if (ps.materialized.isEmpty && ps.failed.isEmpty) parts.push(`none of ${groupDigits(ps.total)} materialized`);
  const extra = ps.causes.filter((c) => c.startsWith("code changed") || c.startsWith("config changed") || c.startsWith("upstream") && !c.includes(" has newer data for "));
  return [parts.join(", "), ...extra].join("; ");
}
