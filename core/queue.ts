/**
 * The pure decisions of the work queue (io/queue; DESIGN §16, docs/workers.md): how a run's plan
 * becomes units of work, what a step's attempt leads to, what a step's end does to the rest of the
 * run, and the run's status once every unit has ended.
 *
 * A unit of work ("item") is the plan steps one call runs: one step, or the steps of the outs of
 * one multi-asset call (same multi-asset, same partitions), which must run in one process since the
 * call stores every out. An item is ready when every item holding a step it waits for succeeded.
 */
import type { AnyAssetDef, RetryPolicy } from "./asset.ts";
import type { LoadedAsset } from "./definitions.ts";
import { EARLY_CUTOFF_REASON, earlyCutoff } from "./materialization.ts";
import { multiOutOf } from "./multi-asset.ts";
import type { PlanStep } from "./plan.ts";
import type { MaterializationRecord } from "./types.ts";

/** One unit of work of a queued run. */
export interface QueueItem {
  id: string;
  /** The plan steps it runs, in plan order. */
  steps: PlanStep[];
  /** Items that hold a step this item waits for. */
  upstream: string[];
  /** Items that wait for this one. */
  downstream: string[];
  /** Code version of each step's asset at submission: a worker whose project differs refuses the item. */
  codeVersions: Record<string, string>;
  /** Claims allowed before the item fails: 1 + the smallest `maxRetries` of its assets. */
  maxAttempts: number;
  /** The concurrency pool of its step (`pool:` on the asset; the outs of a multi-asset share it), or null. */
  pool: string | null;
}

/** The item of each step: multi-asset outs of one call share one. */
export function queueItems(
  steps: readonly PlanStep[],
  assets: ReadonlyMap<string, { key: string; def: AnyAssetDef; codeVersion: string; retry: Required<RetryPolicy>; pool?: string | null }>,
): QueueItem[] {
  const keyOfDef = new Map<AnyAssetDef, string>();
  for (const a of assets.values()) keyOfDef.set(a.def, a.key);
  const itemOf = new Map<string, string>();
  const items = new Map<string, QueueItem>();
  for (const s of steps) {
    const asset = assets.get(s.key)!;
    const info = multiOutOf(asset.def);
    const outs = info ? Object.values(info.step.outs).map((d) => keyOfDef.get(d) ?? "?").sort() : null;
    // ids are stored as Postgres text, which holds no NUL (a plan step's id has one): key@partition(s)
    const parts = (s.partitionKeys ?? (s.partitionKey ? [s.partitionKey] : [])).join("|");
    const id = `${outs ? `multi:${outs.join(",")}` : s.key}${parts ? `@${parts}` : ""}`;
    itemOf.set(s.id, id);
    const item = items.get(id) ?? items.set(id, { id, steps: [], upstream: [], downstream: [], codeVersions: {}, maxAttempts: Number.MAX_SAFE_INTEGER, pool: null }).get(id)!;
    item.steps.push(s);
    item.codeVersions[s.key] = asset.codeVersion;
    item.maxAttempts = Math.min(item.maxAttempts, 1 + Math.max(0, asset.retry.maxRetries));
    item.pool ??= asset.pool ?? null;
  }
  for (const item of items.values()) {
    const up = new Set<string>();
    for (const s of item.steps) for (const a of s.after) if (itemOf.has(a) && itemOf.get(a) !== item.id) up.add(itemOf.get(a)!);
    item.upstream = [...up];
    for (const u of up) items.get(u)!.downstream.push(item.id);
  }
  return [...items.values()];
}

/** Where an item stands: waiting (for upstream items), ready, claimed, or ended. */
export type ItemStatus = "waiting" | "ready" | "claimed" | "success" | "failed" | "skipped" | "canceled";

export const ENDED_ITEM: readonly ItemStatus[] = ["success", "failed", "skipped", "canceled"];

/**
 * What follows a claimed item's attempt: success; a retry (released with a delay) while claims
 * remain; else failed. A claim whose previous holder lost its lease counts as an attempt.
 */
export function afterAttempt(ok: boolean, attempts: number, maxAttempts: number): "success" | "retry" | "failed" {
  if (ok) return "success";
  return attempts < maxAttempts ? "retry" : "failed";
}

/**
 * The status of a run whose items all ended. An item skipped by `--stale`'s early cutoff (`fresh`)
 * ended satisfied, as a local run's fresh skip does.
 */
export function queuedRunStatus(items: readonly { status: ItemStatus; blocked?: boolean; fresh?: boolean }[], canceled: boolean): "success" | "failed" | "canceled" {
  if (canceled) return "canceled";
  return items.every((i) => (i.status === "success" && !i.blocked) || (i.status === "skipped" && i.fresh === true)) ? "success" : "failed";
}

/** An ended item's note (queue_items.error) says it was skipped by the early cutoff. */
export const isFreshNote = (status: ItemStatus, note: string | null): boolean => status === "skipped" && note === EARLY_CUTOFF_REASON;

/**
 * `--stale`'s early cutoff for a queued unit, evaluated by the worker when it claims the unit,
 * against the state as it is then (its upstream units committed their outputs before it became
 * ready): the reason to skip every step of the unit as fresh, or null to run it. A step may be
 * skipped only when it is a `candidate` (stale and its output not drifted when the run was
 * planned, as a local run's check), was not already materialized by this run, and `earlyCutoff`
 * finds its code, config and every upstream's data version unchanged. A unit of several outs (one
 * multi-asset call) is skipped only when every out is: the call stores them all.
 */
export function unitCutoff(
  steps: readonly Pick<PlanStep, "key">[],
  o: {
    candidates: ReadonlySet<string>;
    runId: string;
    latest: ReadonlyMap<string, MaterializationRecord>;
    asset(key: string): Pick<LoadedAsset, "codeVersion" | "deps"> | undefined;
    configHash(key: string): string | undefined;
  },
): string | null {
  let reason: string | null = null;
  for (const s of steps) {
    const asset = o.asset(s.key);
    if (!asset || !o.candidates.has(s.key) || o.latest.get(s.key)?.runId === o.runId) return null;
    reason = earlyCutoff(asset, o.latest, s.key, o.configHash(s.key));
    if (reason === null) return null;
  }
  return reason;
}

/** Does the code version recorded at submission match the worker's project for every step of the item? Returns the first mismatch. */
export function codeMismatch(recorded: Readonly<Record<string, string>>, current: (key: string) => string | null): { key: string; recorded: string; current: string | null } | null {
  for (const [key, version] of Object.entries(recorded)) {
    const now = current(key);
    if (now !== version) return { key, recorded: version, current: now };
  }
  return null;
}
