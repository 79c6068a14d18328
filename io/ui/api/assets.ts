/**
 * Asset endpoints: `/api/assets`, `/api/assets/<key>`, `/api/assets/<key>/partitions`,
 * `/api/assets/<key>/preview`, `/api/selection`, `/api/overview` — from `dagx list --json` and
 * `dagx status --json` (io/reports), the selection parser of the CLI, and the query engine.
 */
import { DagxError } from "../../../core/errors.ts";
import { quoteIdent } from "../../../core/sql.ts";
import { selectAssets } from "../../../core/selection/index.ts";
import type { ApiAsset, ApiAssetDetail, ApiAssets, ApiCheckResult, ApiMaterialization, ApiOverview, ApiPartitionHealth, ApiPreview, ApiSelection, AssetStatusName } from "../../../core/ui-api.ts";
import type { CheckResult, RunRecord } from "../../../core/types.ts";
import type { IndexSet } from "../../../core/partitions/index.ts";
import { checkJson, listItemJson, readStatusData, runItemJson, statusItemJson, userMetadata, type StatusData } from "../../reports/index.ts";
import { isRunAlive } from "../../status/index.ts";
import { rowObjectsJson, runQuery, viewNameOf } from "../../query/index.ts";
import type { Project } from "../../project/index.ts";
import { readAlerts } from "../../alerts/index.ts";
import { alertFailures } from "../../../core/alerts/index.ts";
import type { ApiContext } from "./context.ts";
import { intParam } from "./_http.ts";

/** Running runs (a dead process's run is not running) and the assets each materializes. */
async function runningRuns(ctx: ApiContext): Promise<RunRecord[]> {
  const now = ctx.now();
  return (await ctx.store.listRuns({ status: "running", limit: 1000 })).filter((r) => isRunAlive(r, now));
}

function apiAsset(project: Project, d: StatusData, key: string, running: readonly RunRecord[]): ApiAsset {
  const a = project.graph.assets.get(key)!;
  const l = listItemJson(a);
  const s = statusItemJson(d, key);
  const runIds = running.filter((r) => r.assets?.includes(key)).map((r) => r.runId);
  const m = s.lastMaterialization;
  return {
    key,
    group: l.group,
    deps: l.deps,
    downstream: [...(project.graph.downstream.get(key) ?? [])],
    description: l.description,
    owners: l.owners,
    tags: l.tags,
    kinds: l.kinds,
    codeVersion: l.codeVersion,
    location: l.location ?? a.file,
    step: l.step,
    partitionsDefinition: l.partitions,
    status: runIds.length ? "running" : s.status,
    causes: s.causes,
    runningRuns: runIds,
    freshness: s.freshness,
    checks: s.checks ? { passed: s.checks.passed, failed: s.checks.failed, warned: s.checks.warned } : null,
    lastMaterialization: m ? { runId: m.runId, at: m.at, rows: m.rows, bytes: m.bytes, durationMs: m.durationMs, partition: m.partition } : null,
    lastFailure: s.lastFailure ? { ...s.lastFailure, partition: null } : null,
    partitions: s.partitions ? { total: s.partitions.total, materialized: s.partitions.materialized, missing: s.partitions.missing, failed: s.partitions.failed, stale: s.partitions.stale } : null,
  };
}

/** Every asset with its status (the catalog and the graph). */
export async function getAssets(ctx: ApiContext): Promise<ApiAssets> {
  const project = ctx.holder.get();
  const keys = [...project.graph.order];
  const [d, running] = await Promise.all([readStatusData(project, ctx.store, keys, ctx.now()), runningRuns(ctx)]);
  return { assets: keys.map((k) => apiAsset(project, d, k, running)) };
}

function knownKey(project: Project, key: string): string {
  if (!project.graph.assets.has(key)) throw new DagxError("NOT_FOUND", `Unknown asset "${key}": see /api/assets for the keys`);
  return key;
}

/** A check result as a `dagx check --json` item (the same builder). */
export function apiCheckResult(r: CheckResult): ApiCheckResult {
  return checkJson(r);
}

/** The detail page of one asset. */
export async function getAsset(ctx: ApiContext, key: string, url: URL): Promise<ApiAssetDetail> {
  const project = ctx.holder.get();
  knownKey(project, key);
  const limit = intParam(url, "limit", 200, 1, 10_000);
  const [d, running, history, checks, latestChecks] = await Promise.all([
    readStatusData(project, ctx.store, [key], ctx.now(), { withConfig: true }),
    runningRuns(ctx),
    ctx.store.materializationHistory(key, limit),
    ctx.store.checkHistory(key, 200),
    ctx.store.latestCheckResults([key]),
  ]);
  return {
    asset: apiAsset(project, d, key, running),
    status: statusItemJson(d, key),
    history: history.map(
      (m): ApiMaterialization => ({
        runId: m.runId,
        at: new Date(m.at).toISOString(),
        partition: m.partitionKey || null,
        rows: m.rows,
        bytes: m.bytes,
        durationMs: (m.metadata?.["dagx/durationMs"] as number | undefined) ?? null,
        dataVersion: m.dataVersion,
        codeVersion: m.codeVersion,
        path: m.path || null,
        schema: m.schema,
        schemaChange: (m.metadata?.["dagx/schemaChange"] as ApiMaterialization["schemaChange"] | undefined) ?? null,
        metadata: m.metadata ? { ...userMetadata(m.metadata), ...Object.fromEntries(Object.entries(m.metadata).filter(([k]) => k.startsWith("dagx/"))) } : null,
      }),
    ),
    checks: { latest: latestChecks.map(apiCheckResult), history: checks.map(apiCheckResult) },
  };
}

/** Per-bucket counts of `set` over `[0, total)` cut in buckets of `width`: one pass over its ranges. */
export function countPerBucket(set: IndexSet, width: number, buckets: number): number[] {
  const counts = new Array<number>(buckets).fill(0);
  for (const [s, e] of set.ranges()) {
    for (let b = Math.floor(s / width); b < buckets && b * width < e; b++) {
      const lo = Math.max(s, b * width);
      const hi = Math.min(e, (b + 1) * width);
      if (hi > lo) counts[b]! += hi - lo;
    }
  }
  return counts;
}

/** The partition health bar of one asset: at most `buckets` buckets of consecutive partitions, from ranges. */
export async function getPartitionHealth(ctx: ApiContext, key: string, url: URL): Promise<ApiPartitionHealth> {
  const project = ctx.holder.get();
  knownKey(project, key);
  const n = intParam(url, "buckets", 200, 1, 5000);
  const d = await readStatusData(project, ctx.store, [key], ctx.now());
  const ps = d.view(key).ps;
  if (!ps) throw new DagxError("NOT_FOUND", `Asset "${key}" is not partitioned: it has no partition health bar`);
  const total = ps.total;
  const width = Math.max(1, Math.ceil(total / n));
  const count = total === 0 ? 0 : Math.ceil(total / width);
  const mat = countPerBucket(ps.materialized, width, count);
  const failed = countPerBucket(ps.failed, width, count);
  const stale = countPerBucket(ps.stale, width, count);
  const missing = countPerBucket(ps.missing, width, count);
  const buckets = Array.from({ length: count }, (_, b) => {
    const first = b * width;
    const last = Math.min(total, first + width) - 1;
    return { first: ps.space.keyAt(first), last: ps.space.keyAt(last), size: last - first + 1, materialized: mat[b]!, failed: failed[b]!, stale: stale[b]!, missing: missing[b]! };
  });
  return {
    definition: ps.space.label,
    total,
    counts: { materialized: ps.materialized.size, missing: ps.missing.size, failed: ps.failed.size, stale: ps.stale.size },
    buckets,
  };
}

const PREVIEW_ROWS = 100;

/** The first 100 rows of an asset's current output, through the query engine (`dagx query`'s views). */
export async function getPreview(ctx: ApiContext, key: string): Promise<ApiPreview> {
  const project = ctx.holder.get();
  knownKey(project, key);
  const { schema, view } = viewNameOf(key);
  const target = schema === null ? quoteIdent(view) : `${quoteIdent(schema)}.${quoteIdent(view)}`;
  return runQuery(
    project.storage,
    ctx.store,
    `SELECT * FROM ${target} LIMIT ${PREVIEW_ROWS + 1}`,
    {
      limit: PREVIEW_ROWS + 1,
      // only this asset's view: a project with a million-partition asset elsewhere stays cheap
      keys: [key],
      onMounted: (m) => {
        if (m.views.some((v) => v.key === key)) return;
        const skipped = m.skipped.find((s) => s.key === key);
        throw new DagxError("NOT_FOUND", skipped ? `No preview of "${key}": ${skipped.reason}` : `No preview of "${key}": it was never materialized — materialize it first`);
      },
    },
    ({ reader }) => {
      const names = reader.columnNames();
      const types = reader.columnTypes();
      const rows = rowObjectsJson(reader) as Record<string, unknown>[];
      return { columns: names.map((name, i) => ({ name, type: String(types[i]) })), rows: rows.slice(0, PREVIEW_ROWS), truncated: rows.length > PREVIEW_ROWS };
    },
  );
}

/** The keys a selection picks, with the CLI's parser (a bad one: 400 with the caret pointer). */
export function getSelection(ctx: ApiContext, url: URL): ApiSelection {
  const project = ctx.holder.get();
  const q = url.searchParams.get("q") ?? "";
  const picked = selectAssets(q.trim() ? [q] : [], project.graph);
  return { selection: q, keys: project.graph.order.filter((k) => picked.has(k)) };
}

/** What `/` shows: failed and running runs, failing checks, overdue freshness, counts by status. */
export async function getOverview(ctx: ApiContext): Promise<ApiOverview> {
  const [{ assets }, recent, alerts] = await Promise.all([getAssets(ctx), ctx.store.listRuns({ limit: 50 }), readAlerts(ctx.store, { limit: 200 })]);
  const failing = await ctx.store.latestCheckResults();
  const counts: Record<AssetStatusName, number> = { fresh: 0, stale: 0, missing: 0, failed: 0, running: 0 };
  for (const a of assets) counts[a.status]++;
  const now = ctx.now();
  const running = recent.filter((r) => r.status === "running" && isRunAlive(r, now));
  // runs handed to workers that none took yet say "queued", as on the runs page
  const queued = ctx.queuedRuns && running.length > 0 ? await ctx.queuedRuns() : null;
  return {
    failedRuns: recent.filter((r) => r.status === "failed" || r.status === "abandoned").slice(0, 20).map((r) => runItemJson(r)),
    runningRuns: running.map((r) => runItemJson(r, queued?.has(r.runId))),
    failingChecks: failing.filter((r) => !r.passed).map(apiCheckResult),
    overdue: assets.filter((a) => a.freshness?.state === "overdue").map((a) => ({ key: a.key, reason: a.freshness!.reason })),
    assets: counts,
    alertFailures: alertFailures(alerts).slice(0, 50),
  };
}
