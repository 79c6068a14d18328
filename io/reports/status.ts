/**
 * `dagx status --json` and what it is read from: one gathering (state, freshness, checks, blocking
 * checks, config hashes) and one item builder, used by `dagx status` and by the UI's API alike.
 */
import { formatRanges, IndexSet } from "../../core/partitions/index.ts";
import { configChanged, type StatusInfo } from "../../core/status/index.ts";
import { isConfigSchema } from "../../core/run-config.ts";
import type { StateStore } from "../../core/state-store.ts";
import type { FreshnessResult } from "../../core/freshness.ts";
import type { Project } from "../project/index.ts";
import { plainConfigHashes, projectFreshness, readAssetState, type AssetState, type PartitionStatusInfo } from "../status/index.ts";
import { type BlockInfo, type CheckSummary, checkSummaries, storedBlocks, upstreamOf } from "../run/index.ts";

/** Everything `dagx status` decides from, for `keys`. */
export interface StatusData {
  project: Project;
  keys: string[];
  st: AssetState;
  fresh: Map<string, FreshnessResult>;
  checks: Map<string, CheckSummary>;
  /** A plain run's config hash per asset (only read when `withConfig`). */
  plain: Map<string, string>;
  /** The status of an asset: a partitioned asset's rolled up from its partitions (`ps`). */
  view(k: string): { s: Pick<StatusInfo, "status" | "causes" | "materialization" | "failure">; ps: PartitionStatusInfo | null };
  /** Failed blocking checks of an upstream that block this asset. */
  blockedOf(k: string): BlockInfo[];
}

/** Read what `dagx status` shows for `keys` (short state sessions; nothing held). */
export async function readStatusData(project: Project, store: StateStore, keys: string[], now: number, options: { withConfig?: boolean } = {}): Promise<StatusData> {
  const st = await readAssetState(project.graph, project.storage, store, { now, perPartition: true });
  const fresh = projectFreshness(project, st, now);
  const plain = options.withConfig ? await plainConfigHashes(project.graph) : new Map<string, string>();
  const checks = await checkSummaries(store, keys);
  // failed blocking checks of an upstream (from any earlier run) block these assets until they pass
  const blocks = await storedBlocks(project.graph, store, upstreamOf(project.graph, keys));
  const blockedOf = (k: string): BlockInfo[] => (project.graph.upstream.get(k) ?? []).flatMap((u) => blocks.get(u) ?? []);
  const view = (k: string) => {
    const ps = st.partitionStatuses.get(k);
    if (!ps) return { s: st.statuses.get(k)!, ps: null };
    return { s: { key: k, status: ps.status, causes: ps.causes, materialization: ps.last, failure: null }, ps };
  };
  return { project, keys, st, fresh, checks, plain, view, blockedOf };
}

/** `checks` in status JSON: counts and the latest result of each check (per partition). */
export function checksJson(s: CheckSummary | undefined) {
  if (!s) return null;
  return {
    passed: s.passed,
    failed: s.failed,
    warned: s.warned,
    results: s.latest.map((r) => ({ check: r.checkName, partition: r.partitionKey || null, passed: r.passed, severity: r.severity, blocking: r.blocking, at: new Date(r.at).toISOString(), error: r.error ?? null })),
  };
}

/** Metadata the user attached (without dagx's own `dagx/…` keys), or null. */
export function userMetadata(m: Record<string, unknown> | null | undefined): Record<string, unknown> | null {
  if (!m) return null;
  const entries = Object.entries(m).filter(([k]) => !k.startsWith("dagx/"));
  return entries.length ? Object.fromEntries(entries) : null;
}

/** One item of `dagx status --json` (README "JSON shapes"). */
export function statusItemJson(d: StatusData, k: string) {
  const { project } = d;
  const { s, ps } = d.view(k);
  const m = s.materialization;
  const a = project.graph.assets.get(k)!;
  const f = d.fresh.get(k);
  // { hash: a plain run's config hash now, lastHash: the last materialization's, changed }: null without a config schema
  const configJson = () => {
    if (!isConfigSchema(a.def.options.config)) return null;
    const hash = d.plain.get(k) ?? null;
    const lastHash = m?.configHash ?? null;
    // a partitioned asset: whether any materialized partition ran with other config than a plain run would use
    const parts = d.st.parts.get(k);
    const changed = parts ? !(parts.configChanged ?? IndexSet.EMPTY).intersect(parts.materialized).isEmpty : configChanged(lastHash, hash);
    return { hash, lastHash, changed };
  };
  const blocked = d.blockedOf(k);
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
    checks: checksJson(d.checks.get(k)),
    config: configJson(),
    blocked: blocked.length ? blocked.map((b) => ({ asset: b.asset, check: b.check, partition: b.partitionKey || null, runId: b.runId, reason: `blocked: ${b.reason}` })) : null,
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
          ...(m.metadata?.["dagx/observation"] === true ? { observation: true } : {}),
        }
      : null,
    ...(a.external ? { external: true } : {}),
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
}

/** The type of one `dagx status --json` item. */
export type StatusItemJson = ReturnType<typeof statusItemJson>;
