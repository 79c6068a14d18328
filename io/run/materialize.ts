/**
 * One `materialize`: read state → plan → record the run → execute → commit. The state file is
 * opened only for short transactions; events are buffered and flushed every 250 ms.
 */
import { hostname } from "node:os";
import { join } from "node:path";
import { syncFiles } from "../storage/index.ts";
import { type ExecuteDeps, executePlan, type StepResult } from "../../core/execute.ts";
import { type Plan, type PlanStep, planRun, stepId } from "../../core/plan.ts";
import { earlyCutoff, schemaChange } from "../../core/materialization.ts";
import { partitionTargets } from "../../core/targeting.ts";
import { loadSpaces, ordinalOf, wholeAssetVersion } from "../status/index.ts";
import type { CheckResult, EventRecord, EventType, MaterializationRecord, RunRecord, RunStatus } from "../../core/types.ts";
import type { StateStore } from "../../core/state-store.ts";
import { readAssetState } from "../status/index.ts";
import type { Project } from "../project/index.ts";
import { completeMultiSteps, expandMultiSelection, shareMultiStepWaits } from "../../core/multi-asset.ts";
import { createRunEngine } from "./run-engine.ts";
import { type ComputeInstance, createComputeInstance, mayUseDuckDB } from "./compute-instance.ts";
import { projectResources } from "./resources.ts";
import { createStateWriter } from "../state/index.ts";
import { checkEventPayload } from "./check-results.ts";
import { storedBlocks, upstreamOf } from "./check-blocks.ts";
import { type ResolvedConfig, resolveRunConfig, runConfigRecord } from "./run-config.ts";
import { type RunCancel, runCancel } from "./cancel-watch.ts";
import { alertLogEvents, alertOnRun } from "../alerts/index.ts";

const withConfig = (config: Record<string, unknown> | undefined) => (config ? { config } : {});

export interface RunReporter {
  onPlan?(plan: Plan, runId: string | null): void;
  onStepStart?(step: PlanStep): void;
  onStepEnd?(step: PlanStep, result: StepResult): void;
  onLog?(key: string, level: string, message: string): void;
  onRetry?(step: PlanStep, payload: Record<string, unknown>): void;
}

export interface MaterializeOptions {
  selectionText: string;
  selected: ReadonlySet<string>;
  stale: boolean;
  concurrency: number;
  dryRun: boolean;
  trigger: string;
  signal: AbortSignal;
  reporter?: RunReporter;
  /** `--partition KEY` / `--partitions RANGE` text (DESIGN §5 grammar), applied to each partitioned asset by its own granularity. */
  partitionSelection?: string | null;
  /** `partitionSelection` came from `--partition KEY`: it must name exactly one partition of each asset. */
  singlePartition?: boolean;
  /** Called with the run id and plan before any step starts (backfills record them). */
  onRunCreated?(runId: string, plan: Plan): Promise<void> | void;
  /** Exact partitions per asset (a resumed backfill), instead of `partitionSelection`. */
  explicitPartitions?: ReadonlyMap<string, readonly string[]>;
  /** The run's id, chosen in advance (a daemon's run request carries it). @default a new UUIDv7 */
  runId?: string;
  /** Tags recorded with the run. */
  tags?: Readonly<Record<string, string>>;
  /** Resolve `partitionSelection` against the partition definitions as they were at this instant (a schedule's tick). @default now */
  asOf?: number;
  /** Run what failed blocking checks would skip, in this run and from earlier ones (`--ignore-blocking`). */
  ignoreBlocking?: boolean;
  /** The run's validated config (`resolveRunConfig`); absent: every selected asset's schema defaults (a plain run). */
  config?: ReadonlyMap<string, ResolvedConfig>;
  /** The clock (epoch ms): every time the run records or measures comes from it. */
  now: () => number;
  /**
   * Hand the planned run to the work queue instead of executing it here (`--queue`, io/queue):
   * `submit` records the run (host {@link QUEUED_RUN_HOST}) and enqueues it in one transaction, then
   * returns its outcome (followed live, or at once when detached).
   */
  submit?: (run: QueuedRunSubmission) => Promise<RunOutcome>;
}

/** The `host` of a run that the queue's workers execute: it is alive while queued (no process of its own). */
export const QUEUED_RUN_HOST = "(queue)";

/** What `MaterializeOptions.submit` gets: the run to record, its plan and its validated config. */
export interface QueuedRunSubmission {
  /** The run record: `submit` writes it in the transaction that enqueues the run (both or neither). */
  run: RunRecord;
  /** Call once the run is recorded and queued (the caller's `onRunCreated`, the reporter's plan). */
  onRecorded(): Promise<void>;
  runId: string;
  plan: Plan;
  config: ReadonlyMap<string, ResolvedConfig>;
  selectionText: string;
  trigger: string;
  startedAt: number;
  ignoreBlocking: boolean;
  /**
   * A `--stale` run: the assets of the plan its early cutoff may skip (stale, their output not
   * drifted, when planned); the workers evaluate the cutoff when each step is claimed. Null otherwise.
   */
  stale: string[] | null;
  /** The run's reporter (the submitter drives it from the run's events). */
  reporter?: RunReporter;
}

export interface RunOutcome {
  runId: string | null;
  status: RunStatus | "nothing" | "planned";
  plan: Plan;
  steps: StepResult[];
  durationMs: number;
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    if (signal.aborted) return reject(new Error("aborted"));
    const t = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(new Error("aborted"));
    };
    signal.addEventListener("abort", onAbort, { once: true });
  });

export async function runMaterialize(project: Project, store: StateStore, o: MaterializeOptions): Promise<RunOutcome> {
  // the run's DuckDB is created on a worker thread while the state is read, when the run will likely use it
  const compute = createComputeInstance();
  if (!o.dryRun && mayUseDuckDB(project.graph, o.selected)) compute.warm();
  try {
    return await materialize(project, store, o, compute);
  } finally {
    await compute.close(); // the engine closed it already, unless the run ended before it started
  }
}

async function materialize(project: Project, store: StateStore, given: MaterializeOptions, compute: ComputeInstance): Promise<RunOutcome> {
  const t0 = given.now();
  // an out of a multi-asset that cannot subset brings its sibling outs: they are one step
  const multi = expandMultiSelection(project.graph.assets, given.selected);
  const o: MaterializeOptions = multi.added.size ? { ...given, selected: multi.selected } : given;
  // validated before anything is read or planned: a bad config stops the run with every problem (exit 2)
  const resolved = o.config ?? (await resolveRunConfig(project.graph, o.selected, {}));
  // a sibling out brought in by its step runs with the config given to the out that brought it
  const config = multi.from.size ? new Map(resolved) : resolved;
  for (const [sib, by] of multi.from) if (!config.has(sib) && config.has(by)) (config as Map<string, ResolvedConfig>).set(sib, config.get(by)!);
  const st = await readAssetState(project.graph, project.storage, store, { now: t0, perPartition: o.stale });
  // the run keeps what it reads from `st`, not `st`: the statuses of every asset are for planning
  const { parts, latest } = st;
  const stale = o.stale ? { statuses: st.statuses, drifted: st.drifted } : null;
  const asOfSpaces = o.asOf === undefined ? null : await loadSpaces(project.graph, store, o.asOf);
  const partitions = partitionTargets({ ...o, graph: project.graph, parts, partitionStatuses: st.partitionStatuses, asOfSpaces, backfill: o.trigger === "backfill" });
  // a blocking check that failed in an earlier run (and has not passed since) blocks what reads its output
  const blocks = o.ignoreBlocking ? undefined : await storedBlocks(project.graph, store, upstreamOf(project.graph, o.selected));
  const plan = planRun({ graph: project.graph, selected: o.selected, latest, statuses: stale?.statuses, partitions, blocks });
  completeMultiSteps(plan.steps, project.graph.assets, stepId, multi.added);
  shareMultiStepWaits(plan.steps, project.graph.assets);
  if (o.dryRun || plan.steps.length === 0) {
    o.reporter?.onPlan?.(plan, null);
    return { runId: null, status: o.dryRun ? "planned" : "nothing", plan, steps: [], durationMs: o.now() - t0 };
  }
  const runId = o.runId ?? Bun.randomUUIDv7();
  const tags = o.tags && Object.keys(o.tags).length ? { tags: { ...o.tags } } : {};
  const assets = [...new Set(plan.steps.map((s) => s.key))];
  // what `--stale`'s early cutoff may skip (re-checked when each step is about to start)
  const cutoffCandidates = stale ? new Set(assets.filter((k) => stale.statuses.get(k)?.status === "stale" && !stale.drifted.has(k))) : null;
  if (o.submit) {
    // the run record is written by the submission, in the transaction that enqueues it
    const run: RunRecord = { runId, status: "running", selection: o.selectionText, trigger: o.trigger, pid: 0, host: QUEUED_RUN_HOST, startedAt: t0, endedAt: null, heartbeatAt: t0, assets, ...tags, ...withConfig(runConfigRecord(config, assets)) };
    const onRecorded = async () => {
      await o.onRunCreated?.(runId, plan);
      o.reporter?.onPlan?.(plan, runId);
    };
    return o.submit({ run, onRecorded, runId, plan, config, selectionText: o.selectionText, trigger: o.trigger, startedAt: t0, ignoreBlocking: o.ignoreBlocking === true, stale: cutoffCandidates ? [...cutoffCandidates] : null, ...(o.reporter ? { reporter: o.reporter } : {}) });
  }
  await store.createRun({ runId, status: "running", selection: o.selectionText, trigger: o.trigger, pid: process.pid, host: hostname(), startedAt: t0, endedAt: null, heartbeatAt: t0, assets, ...tags, ...withConfig(runConfigRecord(config, assets)) });
  await o.onRunCreated?.(runId, plan);
  o.reporter?.onPlan?.(plan, runId);
  let cancelWatch: RunCancel | null = null;
  const stepStarts = new Map<string, number>();
  // the schema of each output as it was before this run, to report schema changes against: the
  // schema alone, as the run replaces the records themselves (a chain of 1,000 kept 1,000 of them)
  const schemaBefore = new Map<string, MaterializationRecord["schema"]>();
  for (const [k, m] of latest) schemaBefore.set(k, m.schema);
  for (const [k, p] of parts) if (p.last) schemaBefore.set(k, p.last.schema);
  const checkResults: CheckResult[] = []; // what alerts observe once the run is recorded
  let beforeWrite = (): void => {}; // the engine's, once it exists
  // a cancel poll due soon joins the session of the run's own write (cancel-watch.ts); a long run
  // collects its garbage first, so that the session's memory adds to a small heap (run-engine.ts)
  const writeTarget = {
    write: (batch: Parameters<StateStore["write"]>[0]) => {
      beforeWrite();
      return store.write(batch).then(() => cancelWatch?.afterWrite());
    },
    recordCheckResults: (results: Parameters<StateStore["recordCheckResults"]>[0]) => store.recordCheckResults(results),
  };
  const writer = createStateWriter(writeTarget, {
    flushMs: 250,
    beforeWrite: (ms) => syncFiles(ms.filter((m) => m.path).map((m) => join(project.storage.dataRoot, m.path))),
  });
  let seq = 0;
  const event = (type: EventType, key: string | null, partitionKey: string | null, payload: Record<string, unknown>) => {
    const e: EventRecord = { runId, seq: ++seq, at: o.now(), type, assetKey: key, partitionKey, payload };
    writer.event(e);
  };
  event("run_started", null, null, { selection: o.selectionText, steps: plan.steps.length, trigger: o.trigger });
  const heartbeat = setInterval(() => {
    store.updateRun(runId, { heartbeatAt: o.now() }).catch(() => {});
  }, 10_000);
  const resources = projectResources(project);
  const engine = await createRunEngine({
    storage: project.storage,
    graph: project.graph,
    runId,
    plannedSteps: new Set(plan.steps.map((s) => s.id)),
    resources,
    config,
    ioManagers: project.ioManagers,
    latest,
    partitions: parts,
    loadPartitions: (key, keys) => store.latestPartitionMaterializations(key, keys),
    latestSchemas: (key) => store.latestSchemas(key),
    // workers share a Postgres state and write attempt-named files: read what the records name
    recordedLocations: store.backend === "postgres",
    wholeVersion: async (key) => {
      await writer.flush();
      return wholeAssetVersion(await store.partitionSummary(key, project.graph.assets.get(key)!.codeVersion));
    },
    now: o.now,
    compute,
    onMaterialization: (m: MaterializationRecord) => {
      writer.materialization(m);
      recordedMaterialization(m, stepStarts.get(m.assetKey), schemaBefore.has(m.assetKey) ? { schema: schemaBefore.get(m.assetKey)! } : null, o.now(), event);
    },
    onCheckResults: (results) => {
      checkResults.push(...results);
      writer.checkResults(results);
      for (const r of results) event("check_evaluation", r.assetKey, r.partitionKey, checkEventPayload(r));
    },
    onLog: (key, level, message) => {
      event("log", key, null, { level, message });
      o.reporter?.onLog?.(key, level, message);
    },
  });
  beforeWrite = () => engine.beforeStateWrite();
  const deps: ExecuteDeps = {
    runAttempt: (step, attempt, signal) => engine.runAttempt(step, attempt, signal),
    // an output recorded in this run (a multi-asset's out, stored by the step's leader) is never
    // "fresh": its step takes the leader's outcome (io/run/multi-step.ts)
    checkFresh: cutoffCandidates ? async (step) => (cutoffCandidates.has(step.key) && latest.get(step.key)?.runId !== runId ? earlyCutoff(project.graph.assets.get(step.key)!, latest, step.key, config.get(step.key)?.hash) : null) : undefined,
    retryPolicy: (key) => project.graph.assets.get(key)!.retry,
    emit: (type, step, payload) => {
      const space = parts.get(step.key)?.space;
      if (type === "step_failed" && space && step.partitionKeys) {
        // one failure per partition, with its ordinal, so partition status sees each of them
        for (const pk of step.partitionKeys) event(type, step.key, pk, { ...payload, ordinal: ordinalOf(space, pk) });
      } else event(type, step.key, step.partitionKey, payload);
      if (type === "step_retry") o.reporter?.onRetry?.(step, payload);
    },
    onStepStart: (step) => {
      stepStarts.set(step.key, o.now());
      o.reporter?.onStepStart?.(step);
    },
    onStepEnd: o.reporter?.onStepEnd,
    clock: { now: o.now, sleep },
    random: Math.random,
  };
  let steps: StepResult[] = [];
  let status: RunStatus = "failed";
  // a cancel from another process (`dagx cancel`, the UI) aborts the run's signal as Ctrl-C does
  cancelWatch = runCancel(store, runId, o.signal, {
    notice: (message) => {
      event("log", null, null, { level: "warn", message });
      o.reporter?.onLog?.("dagx", "warn", message);
    },
  });
  const { signal } = cancelWatch;
  try {
    const pools = { limits: project.config.pools ?? {}, poolOf: (key: string) => project.graph.assets.get(key)?.pool ?? null };
    steps = await executePlan(plan, deps, { concurrency: o.concurrency, signal, ignoreBlocking: o.ignoreBlocking, pools });
    // a blocking check that failed (in this run or an earlier one) kept part of the selection from running: the run failed
    const blocked = (s: StepResult) => (s.status === "success" && Boolean(s.blocked) && !o.ignoreBlocking) || (s.status === "skipped" && s.reason.startsWith("blocked: "));
    status = signal.aborted ? "canceled" : steps.some((s) => s.status === "failed" || s.status === "canceled" || blocked(s)) ? "failed" : "success";
  } finally {
    cancelWatch.stop();
    clearInterval(heartbeat);
    // reverse setup order, after every step ended; a failing teardown is a warning, not a failed run
    await resources.teardown((message) => {
      event("log", null, null, { level: "warn", message });
      o.reporter?.onLog?.("dagx", "warn", message);
    });
    event("run_finished", null, null, { status, durationMs: o.now() - t0 });
    // The last outputs' fsync and the final state write start first; the run's DuckDB closes
    // (~10 ms of CPU on this thread) while they wait on the disk and the state session.
    const recorded = writer.close().then(async () => {
      await store.updateRun(runId, { status, endedAt: o.now() });
    });
    recorded.catch(() => {}); // awaited below, after the engine closed: never an unhandled rejection meanwhile
    try {
      await engine.close();
    } finally {
      await recorded;
    }
  }
  const durationMs = o.now() - t0;
  // after the run is recorded: its outcome never waits on an alert, and an alert's failure is only logged (io/alerts)
  const alertLines = o.signal.aborted ? [] : await alertOnRun(project, store, { runId, steps, checks: checkResults, now: o.now });
  for (const l of alertLines) o.reporter?.onLog?.("dagx", l.level, l.message);
  if (alertLines.length) await store.write({ events: alertLogEvents(runId, alertLines, () => ++seq, o.now) }).catch(() => {});
  return { runId, status, plan, steps, durationMs };
}

/**
 * A materialization's automatic metadata (step duration, how the schema changed since the previous
 * output; set on `m`) and its events. Shared by local runs and queue workers (io/queue).
 */
export function recordedMaterialization(
  m: MaterializationRecord,
  stepStartedAt: number | undefined,
  previous: Pick<MaterializationRecord, "schema"> | null,
  now: number,
  event: (type: EventType, key: string | null, partitionKey: string | null, payload: Record<string, unknown>) => void,
): void {
  const change = previous ? schemaChange(previous.schema, m.schema) : null;
  m.metadata = { ...(m.metadata ?? {}), ...(stepStartedAt !== undefined ? { "dagx/durationMs": Math.round(now - stepStartedAt) } : {}), ...(change ? { "dagx/schemaChange": change } : {}) };
  event("materialization", m.assetKey, m.partitionKey, { dataVersion: m.dataVersion, codeVersion: m.codeVersion, ...(m.configHash ? { configHash: m.configHash } : {}), path: m.path, rows: m.rows, bytes: m.bytes, schema: m.schema, metadata: m.metadata });
  if (change) event("schema_change", m.assetKey, m.partitionKey, { ...change });
}
