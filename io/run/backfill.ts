/**
 * Persistent backfills: a record (id, selection, range, per-partition status) created before the
 * first step, updated as steps finish, resumable and cancelable from another process. On resume
 * the materialization rows are the source of truth: a partition materialized by one of the
 * backfill's runs counts as done even if its status update was lost (kill -9).
 *
 * One vocabulary for partition statuses, recorded here and counted by the store for the run's
 * summary, `backfill show` and `backfill list` alike: `pending` until the step ends (a backfill whose
 * process died keeps them pending and shows abandoned), then the step's own status — a partition
 * the run canceled, started or not, is `canceled`. `--resume` runs everything that is not `success`.
 */
import { hostname } from "node:os";
import type { StepResult } from "../../core/execute.ts";
import type { Plan, PlanStep } from "../../core/plan.ts";
import type { BackfillCounts, BackfillPartitionRecord, BackfillPartitionStatus, BackfillRecord } from "../../core/types.ts";
import type { BackfillStore, StateStore } from "../../core/state-store.ts";
import { isRunAlive } from "../status/index.ts";
import { type MaterializeOptions, QUEUED_RUN_HOST, type RunOutcome, type RunReporter, runMaterialize } from "./materialize.ts";
import type { Project } from "../project/index.ts";

export interface BackfillOptions extends Omit<MaterializeOptions, "trigger" | "onRunCreated" | "explicitPartitions" | "stale" | "dryRun"> {
  /** Resume this backfill instead of starting one. */
  resume?: { backfill: BackfillRecord; partitions: BackfillPartitionRecord[] } | null;
  /** The config as given (`--config`, `--config-file`), kept in the backfill's options so `--resume` runs with the same. */
  configInput?: Record<string, unknown>;
  /** The id of a new backfill (a caller that answers with it before the backfill starts: the UI); a fresh one when absent. */
  backfillId?: string;
}

export interface BackfillOutcome {
  backfillId: string;
  status: BackfillRecord["status"];
  outcome: RunOutcome | null;
  /** Partitions skipped on resume because they were already done. */
  alreadyDone: number;
  /** Recorded partition statuses after the run (what `backfill show` counts). */
  counts: BackfillCounts;
}

const pkOf = (s: PlanStep) => s.partitionKeys ?? [""];

/** Run (or resume) a backfill. Status updates are flushed every second; cancel is polled as often. */
export async function runBackfill(project: Project, store: StateStore, o: BackfillOptions, reporter?: RunReporter): Promise<BackfillOutcome> {
  const now = o.now();
  // a backfill handed to workers (`--queue`) has no process of its own: the workers' commits record its partitions and its end
  const owner = o.submit ? { pid: 0, host: QUEUED_RUN_HOST } : { pid: process.pid, host: hostname() };
  let record: BackfillRecord;
  let explicit: Map<string, string[]> | undefined;
  let alreadyDone = 0;
  if (o.resume) {
    record = { ...o.resume.backfill, status: "running", ...owner, updatedAt: now, cancelRequested: false };
    // every partition row carries the id of the run that last attempted it
    const runIds = new Set(o.resume.partitions.map((p) => p.runId).filter((id): id is string => id !== null));
    explicit = new Map();
    const done: BackfillPartitionRecord[] = [];
    let trusted = 0;
    const byAsset = new Map<string, BackfillPartitionRecord[]>();
    for (const p of o.resume.partitions) (byAsset.get(p.assetKey) ?? byAsset.set(p.assetKey, []).get(p.assetKey)!).push(p);
    for (const [asset, parts] of byAsset) {
      const recs = parts[0]!.partitionKey === "" ? await store.latestMaterializations([asset], { unpartitioned: true }) : await store.latestPartitionMaterializations(asset, parts.map((p) => p.partitionKey));
      const byKey = new Map(recs.map((r) => [r.partitionKey, r]));
      const left: string[] = [];
      for (const p of parts) {
        // State is the source of truth: a status row can say "success" while its materialization
        // never committed (kill -9 between the two flushes), and the reverse.
        const m = byKey.get(p.partitionKey);
        if (m && (runIds.has(m.runId) || p.status === "success")) {
          if (p.status === "success") trusted++;
          else done.push({ ...p, status: "success", runId: m.runId, updatedAt: now });
        } else left.push(p.partitionKey);
      }
      if (left.length) explicit.set(asset, left);
    }
    alreadyDone = trusted + done.length;
    if (done.length) await store.updateBackfillPartitions(done);
    await store.updateBackfill(record.backfillId, { status: "running", ...owner, updatedAt: now, cancelRequested: false });
    if (explicit.size === 0) {
      await store.updateBackfill(record.backfillId, { status: "success", updatedAt: o.now() });
      return { backfillId: record.backfillId, status: "success", outcome: null, alreadyDone, counts: await countsOf(store, record.backfillId) };
    }
  } else {
    record = { backfillId: o.backfillId ?? Bun.randomUUIDv7(), status: "running", selection: o.selectionText, partitions: o.partitionSelection ?? "", ...owner, createdAt: now, updatedAt: now, cancelRequested: false, options: { concurrency: o.concurrency, ...(o.configInput && Object.keys(o.configInput).length ? { config: o.configInput } : {}) } };
  }

  const pending = new Map<string, BackfillPartitionRecord>();
  const ended = new Set<string>();
  const slot = (key: string, pk: string) => `${key}\0${pk}`;
  let flushing: Promise<void> = Promise.resolve();
  const flush = () => {
    if (pending.size === 0) return flushing;
    const batch = [...pending.values()];
    pending.clear();
    flushing = flushing.then(() => store.updateBackfillPartitions(batch)).catch(() => batch.forEach((b) => pending.set(`${b.assetKey}\0${b.partitionKey}`, b)));
    return flushing;
  };
  const controller = new AbortController();
  o.signal.addEventListener("abort", () => controller.abort(), { once: true });
  let timer: ReturnType<typeof setInterval> | null = null;
  const statusOf = (r: StepResult): BackfillPartitionStatus => (r.status === "success" ? "success" : r.status === "failed" ? "failed" : r.status === "skipped" ? "skipped" : "canceled");
  let runIdSeen: string | null = null;

  const outcome = await runMaterialize(project, store, {
    ...o,
    stale: false,
    dryRun: false,
    trigger: "backfill",
    signal: controller.signal,
    explicitPartitions: explicit,
    reporter: {
      ...reporter,
      onStepEnd(step, r) {
        for (const pk of pkOf(step)) {
          ended.add(slot(step.key, pk));
          pending.set(slot(step.key, pk), { backfillId: record.backfillId, assetKey: step.key, partitionKey: pk, status: statusOf(r), runId: runIdSeen, error: r.status === "failed" ? r.error : null, updatedAt: o.now() });
        }
        reporter?.onStepEnd?.(step, r);
      },
    },
    onRunCreated: async (runId: string, plan: Plan) => {
      runIdSeen = runId;
      const rows = plan.steps.flatMap((s) => pkOf(s).map((pk) => ({ backfillId: record.backfillId, assetKey: s.key, partitionKey: pk, status: "pending" as const, runId, error: null, updatedAt: o.now() })));
      if (o.resume) {
        await store.updateBackfillPartitions(rows);
        await store.updateBackfill(record.backfillId, { updatedAt: o.now() });
      } else await store.createBackfill(record, rows);
      timer = setInterval(() => {
        void flush();
        store.getBackfill(record.backfillId).then((b) => {
          if (b?.backfill.cancelRequested) controller.abort();
        }).catch(() => {});
      }, 1000);
    },
  }).finally(() => {
    if (timer) clearInterval(timer);
  });
  // detached (`--queue --detach`): the workers' commits record the partitions and the backfill's end
  if (outcome.status === "running" && outcome.runId !== null) return { backfillId: record.backfillId, status: "running", outcome, alreadyDone, counts: await countsOf(store, record.backfillId) };
  // steps canceled before they started never reach onStepEnd: record the run's result for them too
  outcome.plan.steps.forEach((step, i) => {
    const r = outcome.steps[i];
    if (!r) return;
    for (const pk of pkOf(step)) {
      if (!ended.has(slot(step.key, pk))) pending.set(slot(step.key, pk), { backfillId: record.backfillId, assetKey: step.key, partitionKey: pk, status: statusOf(r), runId: runIdSeen, error: null, updatedAt: o.now() });
    }
  });
  await flush();
  await flushing;
  const status: BackfillRecord["status"] = outcome.status === "success" || outcome.status === "nothing" ? "success" : outcome.status === "canceled" ? "canceled" : "failed";
  if (outcome.runId !== null) await store.updateBackfill(record.backfillId, { status, updatedAt: o.now() });
  return { backfillId: record.backfillId, status: outcome.runId === null ? "success" : status, outcome, alreadyDone, counts: await countsOf(store, record.backfillId) };
}

async function countsOf(store: BackfillStore, backfillId: string): Promise<BackfillCounts> {
  return (await store.countBackfillPartitions([backfillId])).get(backfillId)!;
}

/** A `running` backfill whose process is gone is shown (and resumable) as abandoned. */
export function backfillLiveStatus(b: BackfillRecord, now: number): BackfillRecord["status"] {
  if (b.status !== "running") return b.status;
  return isRunAlive({ runId: b.backfillId, status: "running", selection: b.selection, trigger: "backfill", pid: b.pid, host: b.host, startedAt: b.createdAt, endedAt: null, heartbeatAt: b.updatedAt }, now) ? "running" : "abandoned";
}

/** What `cancelBackfill` did: asked the running process to stop, or found it not running (an abandoned one is marked canceled). */
export type BackfillCancelResult = { cancelRequested: true } | { cancelRequested: false; live: BackfillRecord["status"]; markedCanceled: boolean };

/**
 * Cancel a backfill from any process (`dagx backfill cancel`, the UI): a running one gets the flag
 * its process polls; one whose process died has what it left pending marked canceled.
 */
export async function cancelBackfill(store: BackfillStore, found: { backfill: BackfillRecord; partitions: readonly BackfillPartitionRecord[] }, now: number): Promise<BackfillCancelResult> {
  const { backfill: b, partitions } = found;
  const live = backfillLiveStatus(b, now);
  if (live === "running") {
    await store.updateBackfill(b.backfillId, { cancelRequested: true, updatedAt: now });
    return { cancelRequested: true };
  }
  if (live === "abandoned") {
    // its process died: what it left pending is canceled now, in the one vocabulary of backfills
    await store.updateBackfillPartitions(partitions.filter((p) => p.status === "pending").map((p) => ({ ...p, status: "canceled" as const, updatedAt: now })));
    await store.updateBackfill(b.backfillId, { status: "canceled", updatedAt: now });
  }
  return { cancelRequested: false, live, markedCanceled: live === "abandoned" };
}
