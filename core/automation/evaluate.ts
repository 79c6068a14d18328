/**
 * One evaluation of declarative automation: which assets (and partitions) the conditions request
 * now. Pure: io gathers the state (materializations, runs in progress, pending cron ticks) and
 * launches the requests, upstream first, then persists `pendingCronTicks`.
 */
import { latestTick } from "./_tick-scan.ts";
import { type AutomationCondition, type CronEvaluator, DEFAULT_MAX_REQUESTS } from "./types.ts";

export interface AutomationUpstream {
  key: string;
  /** Last materialization (for a partitioned upstream: of what this asset reads), or null. */
  lastMaterializedAt: number | null;
  missing: boolean;
  inProgress: boolean;
  /** A blocking check of it failed (and has not passed since): what reads it would be skipped. */
  blocked?: string | null;
}

export interface AutomationPartitions {
  /** The latest partition, which `eager` and `onCron` materialize; null when there is none yet. */
  latestKey: string | null;
  /** Missing partitions (neither materialized nor failed), in request order; io lists at least `maxRequests + 1` of them when there are that many. */
  missingKeys: readonly string[];
  /** How many partitions are missing in all. @default missingKeys.length */
  missingCount?: number;
}

export interface AutomationAssetState {
  key: string;
  condition: AutomationCondition;
  /** Last materialization (of the latest partition when partitioned), or null. */
  lastMaterializedAt: number | null;
  /** When automation last requested this asset: an update already handled does not fire again, so a failing asset is not retried every evaluation. */
  lastRequestedAt?: number | null;
  upstream: readonly AutomationUpstream[];
  /** A run materializing this asset is in progress. */
  inProgress: boolean;
  /** Present when the asset is partitioned. */
  partitions?: AutomationPartitions | null;
  /** `onCron`: the tick an earlier evaluation left waiting (from its `pendingCronTicks`). */
  pendingCronTick?: number | null;
  /** `onOverdue`: the asset's freshness state now (null when it has no policy). */
  freshness?: "fresh" | "late" | "overdue" | null;
}

export interface AutomationInput {
  /** Assets with a condition, upstream before downstream: requests and the cap follow this order. */
  assets: readonly AutomationAssetState[];
  /** When the previous evaluation ran; `onCron` fires for ticks after it. Null at the first evaluation. */
  previousEvaluationAt: number | null;
  now: number;
  cron: CronEvaluator;
  /** Most requests (asset partitions) per evaluation. @default 50 */
  maxRequests?: number;
}

export interface AutomationRequest {
  key: string;
  /** Partition key, or null for an unpartitioned asset. */
  partition: string | null;
  condition: AutomationCondition["kind"];
  /** Why, for the run's tags and logs: `upstream "orders" updated`. */
  reason: string;
}

export interface AutomationResult {
  /** At most `maxRequests`, in the order of `assets`. */
  requests: AutomationRequest[];
  /** More requests were due than `maxRequests`; `leftOut` of them were dropped (the next evaluation finds them again). */
  capped: boolean;
  leftOut: number;
  /** Assets whose condition triggered but is waiting, with why (for logs and status). */
  skipped: { key: string; reason: string }[];
  /** `onCron` ticks still waiting, by key: persist this map in place of the previous one. */
  pendingCronTicks: Record<string, number>;
}

type Want = { partitions: (string | null)[]; extra: number; reason: string } | { blocked: string } | null;

const iso = (t: number) => new Date(t).toISOString();

/**
 * Evaluate every asset's condition.
 * @example
 * const r = evaluateAutomation({ assets, previousEvaluationAt, now, cron });
 * if (r.capped) log.warn(`automation: ${r.leftOut} requests left out (maxRequests)`);
 */
export function evaluateAutomation(input: AutomationInput): AutomationResult {
  const max = input.maxRequests ?? DEFAULT_MAX_REQUESTS;
  const out: AutomationResult = { requests: [], capped: false, leftOut: 0, skipped: [], pendingCronTicks: {} };
  const requested = new Set<string>();
  for (const a of input.assets) {
    const tick = a.condition.kind === "onCron" ? cronTick(a, input) : null;
    const want = wanted(a, tick, requested);
    if (want === null) continue;
    if ("blocked" in want) {
      out.skipped.push({ key: a.key, reason: want.blocked });
      if (tick !== null) out.pendingCronTicks[a.key] = tick;
      continue;
    }
    requested.add(a.key);
    const room = Math.max(0, max - out.requests.length);
    for (const partition of want.partitions.slice(0, room)) out.requests.push({ key: a.key, partition, condition: a.condition.kind, reason: want.reason });
    const dropped = Math.max(0, want.partitions.length - room) + want.extra;
    if (dropped === 0) continue;
    out.capped = true;
    out.leftOut += dropped;
    out.skipped.push({ key: a.key, reason: `${dropped} request(s) left out: more than ${max} in one evaluation (maxRequests)` });
    if (tick !== null) out.pendingCronTicks[a.key] = tick;
  }
  return out;
}

function wanted(a: AutomationAssetState, tick: number | null, requested: ReadonlySet<string>): Want {
  const wait = (label: string, why: string): Want => ({ blocked: `${label}, waiting: ${why}` });
  switch (a.condition.kind) {
    case "eager": {
      const since = Math.max(a.lastMaterializedAt ?? -Infinity, a.lastRequestedAt ?? -Infinity);
      const updated = a.upstream.find((u) => u.lastMaterializedAt !== null && u.lastMaterializedAt > since);
      if (!updated) return null;
      const label = `upstream "${updated.key}" updated`;
      const why = blockedBy(a, null);
      return why ? wait(label, why) : latest(a, label);
    }
    case "onCron": {
      if (tick === null) return null;
      const label = `cron tick ${iso(tick)} ("${a.condition.cron}" ${a.condition.timezone})`;
      const late = a.upstream.find((u) => u.lastMaterializedAt === null || u.lastMaterializedAt < tick);
      const why = blockedBy(a, null) ?? (late ? `upstream "${late.key}" has not updated since the tick` : null);
      return why ? wait(label, why) : latest(a, label);
    }
    case "onOverdue": {
      if (a.freshness !== "overdue") return null;
      // requested since the last materialization: that run handles it (or failed; not again each evaluation)
      if ((a.lastRequestedAt ?? -Infinity) >= (a.lastMaterializedAt ?? -Infinity) && a.lastRequestedAt != null) return null;
      const why = blockedBy(a, null);
      return why ? wait("overdue (freshness)", why) : latest(a, "overdue (freshness policy)");
    }
    case "onMissing": {
      const p = a.partitions;
      const count = p ? (p.missingCount ?? p.missingKeys.length) : a.lastMaterializedAt === null && (a.lastRequestedAt ?? null) === null ? 1 : 0;
      if (count === 0) return null;
      const label = p ? `${count} missing partition(s)` : "never materialized";
      const why = blockedBy(a, requested);
      if (why) return wait(label, why);
      if (!p) return { partitions: [null], extra: 0, reason: label };
      return { partitions: [...p.missingKeys], extra: Math.max(0, count - p.missingKeys.length), reason: "missing partition" };
    }
  }
}

/** Why the asset must wait now, or null. `requested`: upstreams this evaluation requests may be missing (io runs them first). */
function blockedBy(a: AutomationAssetState, requested: ReadonlySet<string> | null): string | null {
  if (a.inProgress) return "a run of it is in progress";
  for (const u of a.upstream) {
    if (u.inProgress) return `upstream "${u.key}" is in progress`;
    // a run now would skip the asset anyway ("blocked: …"): wait until the check passes
    if (u.blocked) return `upstream "${u.key}" is blocked: ${u.blocked}`;
    if (u.missing && !requested?.has(u.key)) return `upstream "${u.key}" is missing`;
  }
  return null;
}

function latest(a: AutomationAssetState, reason: string): Want {
  if (!a.partitions) return { partitions: [null], extra: 0, reason };
  if (a.partitions.latestKey === null) return { blocked: `${reason}, waiting: it has no partitions yet` };
  return { partitions: [a.partitions.latestKey], extra: 0, reason };
}

/** The newest cron tick to act on: one since the previous evaluation, or the pending one; null once handled. */
function cronTick(a: AutomationAssetState, input: AutomationInput): number | null {
  if (a.condition.kind !== "onCron") return null;
  const { cron, timezone } = a.condition;
  const fresh = input.previousEvaluationAt === null ? null : latestTick(input.cron, cron, timezone, input.previousEvaluationAt, input.now);
  const tick = Math.max(fresh ?? -Infinity, a.pendingCronTick ?? -Infinity);
  if (tick === -Infinity) return null;
  // a materialization or request at or after the tick handled it (e.g. a manual run)
  const handled = Math.max(a.lastMaterializedAt ?? -Infinity, a.lastRequestedAt ?? -Infinity) >= tick;
  return handled ? null : tick;
}
