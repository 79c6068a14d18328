/**
 * One `materialize`: read state → plan → record the run → execute → commit. The state file is
 * opened only for short transactions; events are buffered and flushed every 250 ms.
 */
import { hostname } from "node:os";
import { type ExecuteDeps, executePlan, type StepResult } from "../core/execute.ts";
import { type Plan, type PlanStep, planRun } from "../core/plan.ts";
import type { EventRecord, EventType, MaterializationRecord, RunStatus, StateStore } from "../core/types.ts";
import { readAssetState } from "./asset-state.ts";
import type { Project } from "./project.ts";
import { createRunEngine } from "./run-engine.ts";
import { createStateWriter } from "./state-writer.ts";

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
  const t0 = Date.now();
  const st = await readAssetState(project.graph, project.storage, store);
  const plan = planRun({ graph: project.graph, selected: o.selected, latest: st.latest, statuses: o.stale ? st.statuses : undefined });
  if (o.dryRun || plan.steps.length === 0) {
    o.reporter?.onPlan?.(plan, null);
    return { runId: null, status: o.dryRun ? "planned" : "nothing", plan, steps: [], durationMs: Date.now() - t0 };
  }
  const runId = Bun.randomUUIDv7();
  await store.createRun({ runId, status: "running", selection: o.selectionText, trigger: o.trigger, pid: process.pid, host: hostname(), startedAt: t0, endedAt: null, heartbeatAt: t0 });
  o.reporter?.onPlan?.(plan, runId);
  const writer = createStateWriter(store, { flushMs: 250 });
  let seq = 0;
  const event = (type: EventType, key: string | null, partitionKey: string | null, payload: Record<string, unknown>) => {
    const e: EventRecord = { runId, seq: ++seq, at: Date.now(), type, assetKey: key, partitionKey, payload };
    writer.event(e);
  };
  event("run_started", null, null, { selection: o.selectionText, steps: plan.steps.length, trigger: o.trigger });
  const heartbeat = setInterval(() => {
    store.updateRun(runId, { heartbeatAt: Date.now() }).catch(() => {});
  }, 10_000);
  const engine = await createRunEngine({
    storage: project.storage,
    graph: project.graph,
    runId,
    resources: project.config.resources ?? {},
    latest: st.latest,
    now: () => Date.now(),
    onMaterialization: (m: MaterializationRecord) => {
      writer.materialization(m);
      event("materialization", m.assetKey, m.partitionKey, { dataVersion: m.dataVersion, codeVersion: m.codeVersion, path: m.path, rows: m.rows, bytes: m.bytes });
    },
    onLog: (key, level, message) => {
      event("log", key, null, { level, message });
      o.reporter?.onLog?.(key, level, message);
    },
  });
  const deps: ExecuteDeps = {
    runAttempt: (step, attempt, signal) => engine.runAttempt(step, attempt, signal),
    checkFresh: o.stale ? async (step) => (st.statuses.get(step.key)?.status === "stale" && !st.drifted.has(step.key) ? earlyCutoff(project, st.latest, step.key) : null) : undefined,
    retryPolicy: (key) => project.graph.assets.get(key)!.retry,
    emit: (type, step, payload) => {
      event(type, step.key, step.partitionKey, payload);
      if (type === "step_retry") o.reporter?.onRetry?.(step, payload);
    },
    onStepStart: o.reporter?.onStepStart,
    onStepEnd: o.reporter?.onStepEnd,
    clock: { now: () => Date.now(), sleep },
    random: Math.random,
  };
  let steps: StepResult[] = [];
  let status: RunStatus = "failed";
  try {
    steps = await executePlan(plan, deps, { concurrency: o.concurrency, signal: o.signal });
    status = o.signal.aborted ? "canceled" : steps.some((s) => s.status === "failed" || s.status === "canceled") ? "failed" : "success";
  } finally {
    clearInterval(heartbeat);
    await engine.close();
    event("run_finished", null, null, { status, durationMs: Date.now() - t0 });
    await writer.close();
    await store.updateRun(runId, { status, endedAt: Date.now() });
  }
  return { runId, status, plan, steps, durationMs: Date.now() - t0 };
}

/** In a --stale run: skip a step whose upstream outputs turned out identical (early cutoff). */
function earlyCutoff(project: Project, latest: ReadonlyMap<string, MaterializationRecord>, key: string): string | null {
  const a = project.graph.assets.get(key)!;
  const m = latest.get(key);
  if (!m || m.codeVersion !== a.codeVersion) return null;
  for (const up of a.deps) if (latest.get(up)?.dataVersion !== m.inputVersions[up]) return null;
  return "fresh: upstream outputs unchanged (early cutoff)";
}
