/**
 * One attempt of one claimed item on a worker: the same step runner as a local run
 * (io/run createRunEngine → runAttempt: inputs, context, user code, IO manager, records, checks),
 * with everything it records buffered, to be committed by the lease-fenced transaction
 * (_commit.ts commitItem). The events mirror a local run's (core/execute.ts): step_started on the
 * first claim, step_retry / step_failed / step_success with attempts counted across claims.
 */
import { join } from "node:path";
import { retryDelay } from "../../core/execute.ts";
import type { AttemptOutcome } from "../../core/execute.ts";
import { afterAttempt, unitCutoff } from "../../core/queue.ts";
import { attemptTag } from "../../core/attempt-outputs.ts";
import { localOutputProblem, sharedFormats } from "../../core/queue-outputs.ts";
import type { StateStore } from "../../core/state-store.ts";
import type { CheckResult, EventType, MaterializationRecord } from "../../core/types.ts";
import type { Project } from "../project/index.ts";
import { checkEventPayload, type ComputeInstance, createRunEngine, projectResources, recordedMaterialization, type ResolvedConfig } from "../run/index.ts";
import { type AssetPartitions, ordinalOf, readPartitionState, wholeAssetVersion } from "../status/index.ts";
import { syncFiles } from "../storage/index.ts";
import type { Claim, PendingEvent } from "./_claims.ts";
import type { ItemResult } from "./_commit.ts";

export interface ItemContext {
  project: Project;
  store: StateStore;
  now: () => number;
  /** Every worker shares one filesystem (DAGX_WORKERS_SHARED_STORAGE=1): local outputs are allowed. */
  sharedLocalStorage: boolean;
  log(level: string, message: string): void;
  /** Renew and check the lease right before an output is written (rejects when it is lost). */
  beforeStore?: (assetKey: string) => Promise<void>;
  /** The schema of the Postgres state (queue tables): postgresTable's swap checks the lease there when it writes to that database. */
  stateSchema?: string;
  /** The worker's DuckDB instance for this step (released when the attempt ends). */
  compute?: () => { compute: ComputeInstance; release(): void };
}

export async function runItem(w: ItemContext, c: Claim, signal: AbortSignal): Promise<ItemResult> {
  const { project, store, now } = w;
  const events: PendingEvent[] = [];
  const materializations: MaterializationRecord[] = [];
  const checks: CheckResult[] = [];
  const event = (type: EventType, key: string | null, partitionKey: string | null, payload: Record<string, unknown>) =>
    void events.push({ runId: c.runId, at: now(), type, assetKey: key, partitionKey, payload });
  const end = (r: Omit<ItemResult, "events" | "materializations" | "checks" | "at">): ItemResult => ({ ...r, events, materializations, checks, at: now() });
  const stepEvent = (type: EventType, s: Claim["steps"][number], payload: Record<string, unknown>) => {
    const space = type === "step_failed" && s.partitionKeys ? parts?.get(s.key)?.space : undefined;
    // one failure per partition, with its ordinal, so partition status sees each of them (as a local run)
    if (space && s.partitionKeys) for (const pk of s.partitionKeys) event(type, s.key, pk, { ...payload, ordinal: ordinalOf(space, pk) });
    else event(type, s.key, s.partitionKey, payload);
  };
  const eachStep = (type: EventType, payload: (step: Claim["steps"][number]) => Record<string, unknown>) => {
    for (const s of c.steps) stepEvent(type, s, payload(s));
  };
  let parts: ReadonlyMap<string, AssetPartitions> | undefined;

  if (c.cancelRequested) {
    eachStep("step_canceled", () => ({ reason: "run canceled before the step started" }));
    return end({ outcome: "canceled" });
  }
  const blocked = c.options.ignoreBlocking ? null : (c.steps.find((s) => s.blocked)?.blocked ?? null);
  // `--stale`: skipped as fresh, as a local run's step is, when its upstream units re-materialized the same data
  const fresh = c.options.stale && !blocked ? await freshAtClaim(project, store, c) : null;
  if (fresh !== null) {
    eachStep("step_skipped", () => ({ reason: fresh, fresh: true }));
    return end({ outcome: "skipped", fresh: true, error: fresh });
  }
  if (c.attempts === 1) eachStep("step_started", () => ({}));
  if (c.lostBy !== null) {
    const error = `the worker ${c.lostBy} running the step stopped renewing its lease (killed, or its machine is gone)`;
    if (c.attempts > c.maxAttempts) {
      eachStep("step_failed", () => ({ error, durationMs: 0, attempts: c.attempts - 1 }));
      return end({ outcome: "failed", error });
    }
    eachStep("step_retry", () => ({ attempt: c.attempts - 1, error, delayMs: 0 }));
  }
  // outputs other machines cannot read: refused before any user code runs
  if (!w.sharedLocalStorage) {
    for (const s of c.steps) {
      const a = project.graph.assets.get(s.key)!;
      const problem = localOutputProblem(s.key, a.io, project.config.io, project.config.ioManagers ?? {});
      if (problem) {
        eachStep("step_failed", () => ({ error: `Refused by the worker: ${problem}`, durationMs: 0, attempts: c.attempts }));
        return end({ outcome: "failed", error: problem });
      }
    }
  }
  if (blocked) {
    eachStep("step_skipped", () => ({ reason: `blocked: ${blocked}` }));
    return end({ outcome: "skipped", blocked });
  }

  const t0 = now();
  const st = await readStepState(project, store, c.steps.map((s) => s.key), t0);
  parts = st.parts;
  const config = new Map<string, ResolvedConfig>(Object.entries(c.options.config ?? {}));
  const resources = projectResources(project);
  const stepStarts = new Map<string, number>();
  const shared = w.compute?.();
  const engine = await createRunEngine({
    ...(shared ? { compute: shared.compute } : {}),
    ...(w.beforeStore ? { beforeStore: w.beforeStore } : {}),
    // each attempt writes its own locations; the fenced commit of its records publishes them
    attempt: attemptTag(c.runId, c.epoch),
    ...(w.stateSchema ? { lease: { stateSchema: w.stateSchema, runId: c.runId, itemId: c.itemId, epoch: c.epoch, workerId: c.workerId, ...(c.claimOrder ? { claimOrder: c.claimOrder } : {}) } } : {}),
    recordedLocations: true,
    storage: project.storage,
    graph: project.graph,
    runId: c.runId,
    plannedSteps: new Set(c.steps.map((s) => s.id)),
    resources,
    config,
    ioManagers: project.ioManagers,
    latest: st.latest,
    partitions: st.parts,
    loadPartitions: (key, keys) => store.latestPartitionMaterializations(key, keys),
    latestSchemas: (key) => store.latestSchemas(key),
    wholeVersion: async (key) => wholeAssetVersion(await store.partitionSummary(key, project.graph.assets.get(key)!.codeVersion)),
    now,
    onMaterialization: (m) => {
      materializations.push(m);
      const previous = st.latest.get(m.assetKey) ?? st.parts.get(m.assetKey)?.last ?? null;
      recordedMaterialization(m, stepStarts.get(m.assetKey), previous, now(), event);
    },
    onCheckResults: (results) => {
      checks.push(...results);
      for (const r of results) event("check_evaluation", r.assetKey, r.partitionKey, checkEventPayload(r));
    },
    onLog: (key, level, message) => event("log", key, null, { level, message }),
  });
  const outcomes: AttemptOutcome[] = [];
  try {
    for (const s of c.steps) {
      stepStarts.set(s.key, now());
      outcomes.push(await engine.runAttempt(s, c.attempts, signal));
    }
  } finally {
    await engine.close();
    shared?.release();
    await resources.teardown((message) => event("log", null, null, { level: "warn", message }));
  }
  const durationMs = now() - t0;
  // an output written where other workers cannot read it (a value the default manager stored as a local file)
  if (!w.sharedLocalStorage) {
    const shared = sharedFormats(project.config.io, project.config.ioManagers ?? {}, [...project.graph.assets.values()].map((a) => a.io));
    const local = materializations.find((m) => m.path && !shared.has(m.format));
    if (local) {
      const error = `Refused by the worker: asset "${local.assetKey}" stored its output with the IO manager "${local.format}", which writes on this worker's machine where other workers cannot read it: store it with s3Parquet({ … }) or postgresTable({ … }), or, when every worker shares one filesystem, set DAGX_WORKERS_SHARED_STORAGE=1 for the workers`;
      materializations.length = 0;
      eachStep("step_failed", () => ({ error, durationMs, attempts: c.attempts }));
      return end({ outcome: "failed", error });
    }
  }
  // outputs reach the disk before the rows that point at them are committed (as a local run's state writer does)
  await syncFiles(materializations.filter((m) => m.path).map((m) => join(project.storage.dataRoot, m.path)));
  const failed = outcomes.find((o) => !o.ok) as Extract<AttemptOutcome, { ok: false }> | undefined;
  if (!failed) {
    let blockedBy: string | null = null;
    c.steps.forEach((s, i) => {
      const o = outcomes[i] as Extract<AttemptOutcome, { ok: true }>;
      if (o.blocked) blockedBy ??= o.blocked;
      event("step_success", s.key, s.partitionKey, { rows: o.rows, durationMs, attempts: c.attempts, ...(o.blocked ? { blocked: o.blocked } : {}) });
    });
    return end({ outcome: "success", blocked: blockedBy });
  }
  if (signal.aborted) {
    eachStep("step_canceled", () => ({ durationMs, error: failed.error }));
    return end({ outcome: "canceled", error: failed.error });
  }
  const next = afterAttempt(false, c.attempts, c.maxAttempts);
  if (next === "retry") {
    const policy = c.steps.map((s) => project.graph.assets.get(s.key)!.retry)[0]!;
    const delayMs = Math.round(retryDelay(policy, c.attempts, Math.random));
    eachStep("step_retry", () => ({ attempt: c.attempts, error: failed.error, delayMs }));
    return end({ outcome: "retry", delayMs, error: failed.error });
  }
  // the last attempt of a unit of several outs (a multi-asset call): each out as a local run reports
  // it, the outs stored before the failure succeeded (their materializations are committed)
  const failedKeys = c.steps.filter((_, i) => !outcomes[i]!.ok).map((s) => s.key);
  c.steps.forEach((s, i) => {
    const o = outcomes[i]!;
    if (o.ok) stepEvent("step_success", s, { rows: o.rows, durationMs, attempts: c.attempts, ...(o.blocked ? { blocked: o.blocked } : {}) });
    else stepEvent("step_failed", s, { error: o.error, durationMs, attempts: c.attempts });
  });
  return end({ outcome: "failed", error: failed.error, ...(failedKeys.length < c.steps.length ? { failedKeys } : {}) });
}

/**
 * What an attempt that failed outside the step runner (the state unreadable, a bug) records: a
 * retry while attempts remain, else the step's failure, as for an error in user code.
 */
export function errorResult(c: Claim, error: string, now: number): ItemResult {
  const next = afterAttempt(false, c.attempts, c.maxAttempts);
  const events: PendingEvent[] = c.steps.map((s) => ({
    runId: c.runId, at: now, type: next === "retry" ? "step_retry" : "step_failed", assetKey: s.key, partitionKey: s.partitionKey,
    payload: next === "retry" ? { attempt: c.attempts, error, delayMs: 0 } : { error, durationMs: 0, attempts: c.attempts },
  }));
  return { outcome: next === "retry" ? "retry" : "failed", delayMs: 0, error, events, materializations: [], checks: [], at: now };
}

/**
 * `--stale`'s early cutoff for the claimed unit (core/queue.ts unitCutoff) against the latest
 * materializations of its assets and their upstreams as they are now: an upstream unit of this run
 * committed its output before this one became ready.
 */
async function freshAtClaim(project: Project, store: StateStore, c: Claim): Promise<string | null> {
  const candidates = new Set(c.options.stale?.candidates ?? []);
  if (!c.steps.every((s) => candidates.has(s.key))) return null;
  const wanted = new Set<string>();
  for (const s of c.steps) {
    wanted.add(s.key);
    for (const u of project.graph.assets.get(s.key)?.deps ?? []) wanted.add(u);
  }
  const latest = new Map((await store.latestMaterializations([...wanted], { unpartitioned: true })).map((m) => [m.assetKey, m]));
  return unitCutoff(c.steps, { candidates, runId: c.runId, latest, asset: (k) => project.graph.assets.get(k), configHash: (k) => c.options.config?.[k]?.hash });
}

/**
 * What the step runner reads from the state for the item's assets: the latest unpartitioned
 * materializations and the partition state of the assets and their upstreams, as they are now
 * (the upstream units committed before this one became ready). Not the whole status snapshot a
 * local run plans from: the plan was made at submission.
 */
async function readStepState(project: Project, store: StateStore, keys: readonly string[], now: number): Promise<{ latest: Map<string, MaterializationRecord>; parts: Map<string, AssetPartitions> }> {
  const wanted = new Set<string>();
  for (const k of keys) {
    wanted.add(k);
    for (const u of project.graph.upstream.get(k) ?? []) wanted.add(u);
  }
  const [mats, parts] = await Promise.all([
    store.latestMaterializations([...wanted], { unpartitioned: true }),
    readPartitionState(project.graph, store, now, wanted),
  ]);
  return { latest: new Map(mats.map((m) => [m.assetKey, m])), parts };
}
