/**
 * Blocking checks across runs: a blocking check that failed at "error" severity keeps blocking the
 * downstream of its asset (per partition where checks run per partition) in every later run —
 * `materialize`, `--stale`, backfills, the daemon — until a later result of that check passes.
 * State keeps the newest result per (asset, partition, check), so a block is simply a latest result
 * that failed. A check the definitions no longer declare blocking (or at "error") blocks nothing.
 */
import type { ProjectGraph } from "../../core/graph.ts";
import type { StoredBlock } from "../../core/plan.ts";
import type { CheckResult } from "../../core/types.ts";
import type { MaterializationStore } from "../../core/state-store.ts";

/** One block, for `status`. */
export interface BlockInfo extends StoredBlock {
  asset: string;
  check: string;
  runId: string;
}

/** `check "C" of "A" failed[ for partition P] in run R` — the reason a blocked step is skipped with (after "blocked: "). */
export function blockReason(r: Pick<CheckResult, "checkName" | "assetKey" | "partitionKey" | "runId">): string {
  return `check "${r.checkName}" of "${r.assetKey}" failed${r.partitionKey ? ` for partition ${r.partitionKey}` : ""} in run ${r.runId}`;
}

/** Blocks held by the given assets (upstreams of what will run), by asset. */
export async function storedBlocks(graph: ProjectGraph, store: MaterializationStore, keys: Iterable<string>): Promise<Map<string, BlockInfo[]>> {
  const wanted = [...new Set(keys)].filter((k) => graph.assets.get(k)?.checks.some((c) => c.blocking && c.severity === "error"));
  const out = new Map<string, BlockInfo[]>();
  if (wanted.length === 0) return out;
  for (const r of await store.latestCheckResults(wanted, { blockingFailures: true })) {
    const declared = graph.assets.get(r.assetKey)?.checks.find((c) => c.name === r.checkName);
    if (!declared?.blocking || declared.severity !== "error") continue;
    const list = out.get(r.assetKey) ?? out.set(r.assetKey, []).get(r.assetKey)!;
    list.push({ asset: r.assetKey, check: r.checkName, partitionKey: r.partitionKey, runId: r.runId, reason: blockReason(r) });
  }
  return out;
}

/** The upstreams of `keys` (what their steps read). */
export function upstreamOf(graph: ProjectGraph, keys: Iterable<string>): Set<string> {
  const ups = new Set<string>();
  for (const k of keys) for (const u of graph.upstream.get(k) ?? []) ups.add(u);
  return ups;
}
