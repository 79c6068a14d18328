/**
 * One automation evaluation: gather what the conditions need from state, evaluate (pure), and
 * turn the requests into queued run requests — one per partition key, upstream first inside it.
 */
import { type AutomationAssetState, type AutomationInput, evaluateAutomation, type AutomationResult } from "../../core/automation/index.ts";
import { IndexSet } from "../../core/partitions/index.ts";
import type { InstigatorState, RunRequestRecord } from "../../core/types.ts";
import type { MaterializationStore, RunStore } from "../../core/state-store.ts";
import { readAssetState } from "../status/index.ts";
import { croner } from "./cron.ts";
import { storedBlocks, upstreamOf } from "../run/index.ts";
import { newRunRequest } from "./requests.ts";
import { projectFreshness } from "../status/index.ts";
import type { Project } from "../project/index.ts";

export const AUTOMATION = "automation";

export interface AutomationData {
  pendingCronTicks?: Record<string, number>;
  lastRequestedAt?: Record<string, number>;
}

/** Evaluate automation now; returns the result and the run requests to queue. */
export async function evaluateProjectAutomation(
  project: Project,
  store: RunStore & MaterializationStore,
  state: InstigatorState,
  busyHere: ReadonlySet<string>,
  now: number,
  maxRequests: number,
): Promise<{ result: AutomationResult; requests: RunRequestRecord[]; data: AutomationData }> {
  const conditions = project.instigators.automation;
  let busy = busyHere;
  const data = state.data as AutomationData;
  const st = await readAssetState(project.graph, project.storage, store, { now, perPartition: false });
  // runs in progress in any process (readAssetState marked the dead ones abandoned): a `materialize`
  // in another terminal keeps its assets busy just like a run this daemon launched
  const running = await store.listRuns({ status: "running" });
  busy = new Set([...busy, ...running.flatMap((r) => r.assets ?? [])]);
  // upstreams whose blocking check failed: what reads them would be skipped, so automation waits
  const blocks = await storedBlocks(project.graph, store, upstreamOf(project.graph, conditions.keys()));
  const assets: AutomationAssetState[] = [];
  for (const key of project.graph.order) {
    const condition = conditions.get(key);
    if (!condition) continue;
    const a = project.graph.assets.get(key)!;
    const p = st.parts.get(key);
    let lastMaterializedAt = st.latest.get(key)?.at ?? null;
    let partitions: AutomationAssetState["partitions"] = null;
    if (p) {
      const latestKey = p.space.size > 0 ? p.space.keyAt(p.space.size - 1) : null;
      lastMaterializedAt = latestKey ? ((await store.latestPartitionMaterializations(key, [latestKey]))[0]?.at ?? null) : null;
      const missing = IndexSet.range(0, p.space.size).difference(p.materialized.union(p.failed));
      const missingKeys: string[] = [];
      for (const i of missing) {
        if (missingKeys.length > maxRequests) break;
        missingKeys.push(p.space.keyAt(i));
      }
      partitions = { latestKey, missingKeys, missingCount: missing.size };
    }
    assets.push({
      key,
      condition,
      lastMaterializedAt,
      lastRequestedAt: data.lastRequestedAt?.[key] ?? null,
      inProgress: busy.has(key),
      partitions,
      pendingCronTick: data.pendingCronTicks?.[key] ?? null,
      upstream: a.deps.map((u) => {
        const up = st.parts.get(u);
        return {
          key: u,
          lastMaterializedAt: up ? (up.last?.at ?? null) : (st.latest.get(u)?.at ?? null),
          missing: up ? up.materialized.isEmpty : !st.latest.has(u),
          inProgress: busy.has(u),
          blocked: blocks.get(u)?.[0]?.reason ?? null,
        };
      }),
    });
  }
  const fresh = projectFreshness(project, st, now);
  for (const a of assets) a.freshness = fresh.get(a.key)?.state ?? null;
  const input: AutomationInput = { assets, previousEvaluationAt: state.lastTickAt, now, cron: croner, maxRequests };
  const result = evaluateAutomation(input);
  // one request per partition key of one definition (a key of a daily asset is no key of a static one)
  const groups = new Map<string, { partition: string | null; keys: string[] }>();
  for (const r of result.requests) {
    const g = `${st.parts.get(r.key)?.space.id ?? ""}\u0000${r.partition ?? ""}`;
    (groups.get(g) ?? groups.set(g, { partition: r.partition, keys: [] }).get(g)!).keys.push(r.key);
  }
  const requests: RunRequestRecord[] = [...groups.values()].map(({ partition, keys }) => {
    const mine = result.requests.filter((r) => keys.includes(r.key));
    return newRunRequest({
      source: AUTOMATION,
      kind: "automation",
      keys,
      partitions: partition ? `"${partition.replaceAll('"', '""')}"` : null,
      runKey: null,
      reason: mine.map((r) => `${r.key}: ${r.reason}`).join("; "),
      tags: { "dagx/automation": [...new Set(mine.map((r) => r.condition))].join(",") },
      asOf: now,
    }, now);
  });
  const lastRequestedAt = { ...(data.lastRequestedAt ?? {}) };
  for (const r of result.requests) lastRequestedAt[r.key] = now;
  return { result, requests, data: { pendingCronTicks: result.pendingCronTicks, lastRequestedAt } };
}
