/**
 * `materialize --queue` / `backfill --queue`: the planned run (recorded by io/run materialize with
 * `submit`) is cut into items (core/queue.ts) and enqueued; the submitting CLI then follows its
 * events in the state as they are committed by the workers, driving the same progress display as
 * a local run, until the run ends — or returns at once (`--detach`). Ctrl-C while following
 * cancels the run: what has not started is canceled here, running steps when their workers renew
 * their leases.
 */
import type { StepResult } from "../../core/execute.ts";
import { stepId } from "../../core/plan.ts";
import { queueItems } from "../../core/queue.ts";
import type { StateStore } from "../../core/state-store.ts";
import type { EventRecord, RunStatus } from "../../core/types.ts";
import type { Project } from "../project/index.ts";
import type { QueuedRunSubmission, RunOutcome } from "../run/index.ts";
import type { PgOps } from "../state/index.ts";
import { enqueueRun } from "./_claims.ts";
import { cancelQueuedRun, eventsAfter } from "./_commit.ts";

export interface SubmitOptions {
  queue: string;
  detach: boolean;
  signal: AbortSignal;
  now: () => number;
  /** How often the follower reads new events. @default 200 */
  pollMs?: number;
  /**
   * What `signal` does to a followed run: cancel it (the CLI's Ctrl-C; the default), or only stop
   * following it (a stopping daemon: the workers go on, and a restarted daemon finds the run).
   */
  onAbort?: "cancel" | "stop-following";
  /** The backfill the run belongs to: the workers' commits record its partition statuses and its end. */
  backfillId?: string;
}

/**
 * Fault injection for crash tests (tests/cli/worker.test.ts): `DAGX_CRASH_AT=before-enqueue` kills the
 * submitter with SIGKILL right before the enqueue transaction.
 */
function crashPoint(point: string): void {
  if (process.env.DAGX_CRASH_AT === point) process.kill(process.pid, "SIGKILL");
}

/** Enqueue the run; follow it to its end unless detached (status "running" then). */
export async function submitQueuedRun(ops: PgOps, store: StateStore, project: Project, s: QueuedRunSubmission, o: SubmitOptions): Promise<RunOutcome> {
  const items = queueItems(s.plan.steps, project.graph.assets);
  const config: Record<string, { value: unknown; recorded: unknown; hash: string }> = {};
  for (const [k, c] of s.config) config[k] = { value: c.value, recorded: c.recorded, hash: c.hash };
  const started: EventRecord = { runId: s.runId, seq: 1, at: s.startedAt, type: "run_started", assetKey: null, partitionKey: null, payload: { selection: s.selectionText, steps: s.plan.steps.length, trigger: s.trigger, queue: o.queue } };
  crashPoint("before-enqueue");
  await enqueueRun(ops, { run: s.run, runId: s.runId, queue: o.queue, items, options: { ignoreBlocking: s.ignoreBlocking, config, ...(s.stale ? { stale: { candidates: s.stale } } : {}) }, submittedAt: s.startedAt, firstEvents: [started], limits: { pools: project.config.pools ?? {}, maxSteps: project.config.workers?.maxSteps ?? null }, backfillId: o.backfillId ?? null });
  await s.onRecorded();
  if (o.detach) return { runId: s.runId, status: "running", plan: s.plan, steps: [], durationMs: o.now() - s.startedAt };
  return followRun(ops, store, s, o);
}

async function followRun(ops: PgOps, store: StateStore, s: QueuedRunSubmission, o: SubmitOptions): Promise<RunOutcome> {
  const byId = new Map(s.plan.steps.map((p) => [p.id, p]));
  const results = new Map<string, StepResult>();
  const startedSteps = new Set<string>();
  let last = 0;
  let status: RunStatus | null = null;
  let cancelAsked = false;
  const pollMs = o.pollMs ?? 200;
  while (status === null) {
    if (o.signal.aborted && o.onAbort === "stop-following") return { runId: s.runId, status: "running", plan: s.plan, steps: [...results.values()], durationMs: o.now() - s.startedAt };
    if (o.signal.aborted && !cancelAsked) {
      cancelAsked = true;
      await store.requestRunCancel(s.runId, o.now());
      await cancelQueuedRun(ops, s.runId, o.now());
    }
    // commits of one run take its counter row: seqs become visible in order, none is skipped
    const events = await eventsAfter(ops, s.runId, last);
    for (const e of events) {
      last = e.seq;
      const step = e.assetKey === null ? undefined : byId.get(stepId(e.assetKey, e.partitionKey ?? "")) ?? findStep(s, e);
      const p = e.payload as Record<string, unknown>;
      if (e.type === "run_finished") status = p.status as RunStatus;
      else if (e.type === "log") s.reporter?.onLog?.(e.assetKey ?? "dagx", String(p.level ?? "info"), String(p.message ?? ""));
      if (!step) continue;
      if (e.type === "step_started" && !startedSteps.has(step.id)) {
        startedSteps.add(step.id);
        s.reporter?.onStepStart?.(step);
      } else if (e.type === "step_retry") s.reporter?.onRetry?.(step, p);
      else if (["step_success", "step_failed", "step_skipped", "step_canceled"].includes(e.type) && !results.has(step.id)) {
        const base = { key: step.key, partition: step.partitionKey };
        const r: StepResult = e.type === "step_success"
          ? { ...base, status: "success", rows: (p.rows as number | null) ?? null, durationMs: Number(p.durationMs ?? 0), attempts: Number(p.attempts ?? 1), ...(p.blocked ? { blocked: String(p.blocked) } : {}) }
          : e.type === "step_failed"
            ? { ...base, status: "failed", rows: null, durationMs: Number(p.durationMs ?? 0), attempts: Number(p.attempts ?? 1), error: String(p.error ?? "failed") }
            : e.type === "step_skipped"
              ? { ...base, status: "skipped", rows: null, durationMs: 0, reason: String(p.reason ?? "") }
              : { ...base, status: "canceled", rows: null, durationMs: Number(p.durationMs ?? 0) };
        results.set(step.id, r);
        s.reporter?.onStepEnd?.(step, r);
      }
    }
    if (status === null) await Bun.sleep(pollMs);
  }
  const steps = s.plan.steps.map((p) => results.get(p.id) ?? { key: p.key, partition: p.partitionKey, status: "canceled" as const, rows: null, durationMs: 0 });
  return { runId: s.runId, status, plan: s.plan, steps, durationMs: o.now() - s.startedAt };
}

/** The step of a per-partition event of a step that runs several partitions (a single-run backfill step). */
function findStep(s: QueuedRunSubmission, e: EventRecord) {
  return s.plan.steps.find((p) => p.key === e.assetKey && (p.partitionKeys ?? []).includes(e.partitionKey ?? ""));
}
