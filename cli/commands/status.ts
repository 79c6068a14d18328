import { defineCommand } from "citty";
import { formatRanges, IndexSet } from "../../core/partitions/index.ts";
import { plainConfigHashes, readAssetState } from "../../io/status/index.ts";
import { configChanged } from "../../core/status/index.ts";
import { isConfigSchema } from "../../core/run-config.ts";
import { projectFreshness } from "../../io/status/index.ts";
import { checkSummaries } from "../../io/run/index.ts";
import { type BlockInfo, storedBlocks, upstreamOf } from "../../io/run/index.ts";
import { checkLine, checksJson, printDetail, userMetadata } from "../status-detail.ts";
import type { PartitionStatusInfo } from "../../io/status/index.ts";
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
  async run(cmd) {
    const { args } = cmd;
    return withProject(cmd, async ({ out, project, store, now: clock }) => {
      const selected = resolveSelected(project, positionals(args));
      const keys = project.graph.order.filter((k) => selected.has(k));
      const now = clock();
      const st = await readAssetState(project.graph, project.storage, store, { now, perPartition: true });
      const fresh = projectFreshness(project, st, now);
      const plain = out.json ? await plainConfigHashes(project.graph) : new Map<string, string>();
      const checks = await checkSummaries(store, keys);
      // failed blocking checks of an upstream (from any earlier run) block these assets until they pass
      const blocks = await storedBlocks(project.graph, store, upstreamOf(project.graph, keys));
      const blockedOf = (k: string): BlockInfo[] => (project.graph.upstream.get(k) ?? []).flatMap((u) => blocks.get(u) ?? []);
      // { hash: a plain run's config hash now, lastHash: the last materialization's, changed }: null without a config schema
      const configJson = (k: string, m: { configHash?: string | null } | null) => {
        if (!isConfigSchema(project.graph.assets.get(k)!.def.options.config)) return null;
        const hash = plain.get(k) ?? null;
        const lastHash = m?.configHash ?? null;
        // a partitioned asset: whether any materialized partition ran with other config than a plain run would use
        const parts = st.parts.get(k);
        const changed = parts ? !(parts.configChanged ?? IndexSet.EMPTY).intersect(parts.materialized).isEmpty : configChanged(lastHash, hash);
        return { hash, lastHash, changed };
      };
      const view = (k: string) => {
        const ps = st.partitionStatuses.get(k);
        if (!ps) return { s: st.statuses.get(k)!, ps: null };
        return { s: { key: k, status: ps.status, causes: ps.causes, materialization: ps.last, failure: null }, ps };
      };
      if (out.json) {
        out.data(
          keys.map((k) => {
            const { s, ps } = view(k);
            const m = s.materialization;
            const a = project.graph.assets.get(k)!;
            const f = fresh.get(k);
            return {
              key: k,
              status: s.status,
              causes: s.causes,
              group: a.group,
              description: a.description,
              owners: a.owners,
              tags: a.tags,
              kinds: a.kinds,
              freshness: f ? { state: f.state, lagMs: f.lagMs, reason: f.reason } : null,
              checks: checksJson(checks.get(k)),
              config: configJson(k, m),
              blocked: blockedOf(k).length ? blockedOf(k).map((b) => ({ asset: b.asset, check: b.check, partition: b.partitionKey || null, runId: b.runId, reason: `blocked: ${b.reason}` })) : null,
              lastMaterialization: m
                ? {
                    runId: m.runId,
                    at: new Date(m.at).toISOString(),
                    rows: m.rows,
                    bytes: m.bytes,
                    durationMs: (m.metadata?.["dagx/durationMs"] as number | undefined) ?? null,
                    partition: m.partitionKey || null,
                    dataVersion: m.dataVersion,
                    codeVersion: m.codeVersion,
                    path: m.path || null,
                    schema: m.schema,
                    schemaChange: (m.metadata?.["dagx/schemaChange"] as unknown) ?? null,
                    metadata: userMetadata(m.metadata),
                  }
                : null,
              lastFailure: s.failure ? { runId: s.failure.runId, at: new Date(s.failure.at).toISOString(), error: s.failure.error } : null,
              ...(ps
                ? {
                    partitions: {
                      definition: ps.space.label,
                      total: ps.total,
                      materialized: ps.materialized.size,
                      missing: ps.missing.size,
                      failed: ps.failed.size,
                      stale: ps.stale.size,
                      ranges: {
                        materialized: formatRanges(ps.materialized, ps.space, { maxRanges: 20 }),
                        failed: formatRanges(ps.failed, ps.space, { maxRanges: 20 }),
                        stale: formatRanges(ps.stale, ps.space, { maxRanges: 20 }),
                      },
                    },
                  }
                : {}),
            };
          }),
        );
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
          ps ? `${ps.materialized.size.toLocaleString("en-US")}/${ps.total.toLocaleString("en-US")} parts` : m ? formatRows(m.rows) : "",
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
  if (ps.materialized.isEmpty && ps.failed.isEmpty) parts.push(`none of ${ps.total.toLocaleString("en-US")} materialized`);
  const extra = ps.causes.filter((c) => c.startsWith("code changed") || c.startsWith("config changed") || c.startsWith("upstream") && !c.includes(" has newer data for "));
  return [parts.join(", "), ...extra].join("; ");
}
