/**
 * The executor: runs plan steps upstream-first with a concurrency cap, retries with backoff and
 * jitter, skips only the downstream of a failed step, and stops starting steps on cancel.
 * Pure: user code, time and randomness come in through `ExecuteDeps`.
 */
import type { RetryPolicy } from "./asset.ts";
import { parseDuration } from "./duration.ts";
import type { Plan, PlanStep } from "./plan.ts";
import type { CheckResult, EventType } from "./types.ts";

export type StepResult =
  | {
      key: string;
      partition: string;
      status: "success";
      rows: number | null;
      durationMs: number;
      attempts: number;
      /** Results of the asset's checks, run after its output was stored (absent when it has none). */
      checks?: CheckResult[];
      /** Set when a blocking check failed at "error" severity: why the downstream was skipped. */
      blocked?: string;
    }
  | { key: string; partition: string; status: "failed"; rows: null; durationMs: number; attempts: number; error: string; detail?: string }
  | { key: string; partition: string; status: "skipped"; rows: null; durationMs: 0; reason: string }
  | { key: string; partition: string; status: "canceled"; rows: null; durationMs: number };

/**
 * What the io side reports back from one attempt. A stored output whose blocking check failed is
 * still a success (it is materialized), with `blocked` saying why its downstream must not run.
 */
export type AttemptOutcome =
  | { ok: true; rows: number | null; checks?: CheckResult[]; blocked?: string | null }
  /** `detail` (e.g. the compiled SQL of a failed ctx.sql) is shown with --verbose, never stored. */
  | { ok: false; error: string; detail?: string };

export interface Clock {
  now(): number;
  sleep(ms: number, signal: AbortSignal): Promise<void>;
}

export interface ExecuteDeps {
  /** Run one attempt of a step (user code + output writing). Must not throw. */
  runAttempt(step: PlanStep, attempt: number, signal: AbortSignal): Promise<AttemptOutcome>;
  /** Early cutoff: a reason to skip the step as already fresh, or null to run it. */
  checkFresh?(step: PlanStep): Promise<string | null>;
  retryPolicy(key: string): Required<RetryPolicy>;
  emit(type: EventType, step: PlanStep, payload: Record<string, unknown>): void;
  onStepStart?(step: PlanStep): void;
  onStepEnd?(step: PlanStep, result: StepResult): void;
  clock: Clock;
  random(): number;
}

export interface ExecuteOptions {
  concurrency: number;
  signal: AbortSignal;
  /** Run what a failed blocking check would skip (`materialize --ignore-blocking`): in this run and from earlier ones. */
  ignoreBlocking?: boolean;
  /** Concurrency pools (`pools` in the config): at most `limits[pool]` running steps of the assets `poolOf` puts in it. */
  pools?: { limits: Readonly<Record<string, number>>; poolOf(key: string): string | null };
}

/** Delay before retry number `retry` (1-based). */
export function retryDelay(policy: Required<RetryPolicy>, retry: number, random: () => number): number {
  const base = parseDuration(policy.delay, "retry delay");
  const factor = policy.backoff === "exponential" ? 2 ** (retry - 1) : policy.backoff === "linear" ? retry : 1;
  const d = base * factor;
  return policy.jitter ? d * (0.5 + 0.5 * random()) : d;
}

/** Execute the plan; resolves with one result per step, in plan order. */
export async function executePlan(plan: Plan, deps: ExecuteDeps, opts: ExecuteOptions): Promise<StepResult[]> {
  const results = new Map<string, StepResult>();
  const pending = new Map<string, PlanStep>(plan.steps.map((s) => [s.id, s]));
  const downstream = new Map<string, string[]>();
  for (const s of plan.steps) for (const u of s.after) (downstream.get(u) ?? downstream.set(u, []).get(u)!).push(s.id);
  const waiting = new Map<string, number>(plan.steps.map((s) => [s.id, s.after.length]));
  const ready: PlanStep[] = plan.steps.filter((s) => s.after.length === 0);
  const running = new Set<Promise<void>>();
  const concurrency = Math.max(1, Math.floor(opts.concurrency));

  const finish = (step: PlanStep, r: StepResult, satisfied = r.status === "success" && (!r.blocked || opts.ignoreBlocking === true), inherited?: string) => {
    results.set(step.id, r);
    pending.delete(step.id);
    deps.onStepEnd?.(step, r);
    if (satisfied) {
      for (const d of downstream.get(step.id) ?? []) {
        const n = (waiting.get(d) ?? 1) - 1;
        waiting.set(d, n);
        if (n === 0 && pending.has(d)) ready.push(pending.get(d)!);
      }
    } else if (r.status === "success" && r.blocked) skipDownstream(step, `blocked: ${r.blocked}`, true);
    else skipDownstream(step, inherited ?? `upstream "${stepLabel(step)}" ${r.status === "canceled" ? "canceled" : "failed"}`, inherited !== undefined);
  };

  /** Skip the downstream of `from`; a blocked check's reason is kept all the way down (`propagate`). */
  const skipDownstream = (from: PlanStep, reason: string, propagate: boolean) => {
    const queue = [...(downstream.get(from.id) ?? [])];
    while (queue.length) {
      const d = queue.shift()!;
      const s = pending.get(d);
      if (!s || results.has(d)) continue;
      const r: StepResult = { key: s.key, partition: s.partitionKey, status: "skipped", rows: null, durationMs: 0, reason };
      deps.emit("step_skipped", s, { reason });
      finish(s, r, false, propagate ? reason : undefined);
    }
  };

  const runStep = async (step: PlanStep) => {
    if (step.blocked && !opts.ignoreBlocking) {
      // an upstream output this step reads failed a blocking check in an earlier run (and has not passed since)
      const reason = `blocked: ${step.blocked}`;
      deps.emit("step_skipped", step, { reason });
      finish(step, { key: step.key, partition: step.partitionKey, status: "skipped", rows: null, durationMs: 0, reason }, false, reason);
      return;
    }
    const fresh = deps.checkFresh ? await deps.checkFresh(step) : null;
    if (fresh !== null) {
      deps.emit("step_skipped", step, { reason: fresh, fresh: true });
      finish(step, { key: step.key, partition: step.partitionKey, status: "skipped", rows: null, durationMs: 0, reason: fresh }, true);
      return;
    }
    const policy = deps.retryPolicy(step.key);
    const started = deps.clock.now();
    deps.onStepStart?.(step);
    deps.emit("step_started", step, {});
    for (let attempt = 1; ; attempt++) {
      const out = await deps.runAttempt(step, attempt, opts.signal);
      const durationMs = deps.clock.now() - started;
      if (out.ok) {
        const checks = out.checks?.length ? { checks: out.checks, ...(out.blocked ? { blocked: out.blocked } : {}) } : {};
        deps.emit("step_success", step, { rows: out.rows, durationMs, attempts: attempt, ...(out.blocked ? { blocked: out.blocked } : {}) });
        return finish(step, { key: step.key, partition: step.partitionKey, status: "success", rows: out.rows, durationMs, attempts: attempt, ...checks });
      }
      if (opts.signal.aborted) {
        deps.emit("step_canceled", step, { durationMs, error: out.error });
        return finish(step, { key: step.key, partition: step.partitionKey, status: "canceled", rows: null, durationMs });
      }
      if (attempt <= policy.maxRetries) {
        const delayMs = Math.round(retryDelay(policy, attempt, deps.random));
        deps.emit("step_retry", step, { attempt, error: out.error, delayMs });
        try {
          await deps.clock.sleep(delayMs, opts.signal);
        } catch {
          // canceled while waiting
        }
        if (!opts.signal.aborted) continue;
        deps.emit("step_canceled", step, { durationMs: deps.clock.now() - started, error: out.error });
        return finish(step, { key: step.key, partition: step.partitionKey, status: "canceled", rows: null, durationMs: deps.clock.now() - started });
      }
      deps.emit("step_failed", step, { error: out.error, durationMs, attempts: attempt });
      return finish(step, { key: step.key, partition: step.partitionKey, status: "failed", rows: null, durationMs, attempts: attempt, error: out.error, ...(out.detail ? { detail: out.detail } : {}) });
    }
  };

  const inPool = new Map<string, number>();
  const poolOf = (s: PlanStep): string | null => opts.pools?.poolOf(s.key) ?? null;
  const poolHasRoom = (s: PlanStep): boolean => {
    const pool = poolOf(s);
    return pool === null || (inPool.get(pool) ?? 0) < (opts.pools?.limits[pool] ?? Number.POSITIVE_INFINITY);
  };
  let wake: (() => void) | null = null;
  const onAbort = () => wake?.();
  opts.signal.addEventListener("abort", onAbort);
  try {
    while (pending.size > 0) {
      if (opts.signal.aborted) break;
      while (running.size < concurrency && !opts.signal.aborted) {
        // the first ready step whose pool has room (steps of a full pool wait, others pass them)
        const i = ready.findIndex((s) => !pending.has(s.id) || poolHasRoom(s));
        if (i < 0) break;
        const step = ready.splice(i, 1)[0]!;
        if (!pending.has(step.id)) continue;
        const pool = poolOf(step);
        if (pool !== null) inPool.set(pool, (inPool.get(pool) ?? 0) + 1);
        const p: Promise<void> = runStep(step).finally(() => {
          running.delete(p);
          if (pool !== null) inPool.set(pool, inPool.get(pool)! - 1);
          wake?.();
        });
        running.add(p);
      }
      if (running.size === 0) break;
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
      wake = null;
    }
    await Promise.all(running);
  } finally {
    opts.signal.removeEventListener("abort", onAbort);
  }
  for (const s of pending.values()) {
    if (results.has(s.id)) continue;
    deps.emit("step_canceled", s, { reason: "run canceled before the step started" });
    results.set(s.id, { key: s.key, partition: s.partitionKey, status: "canceled", rows: null, durationMs: 0 });
  }
  return plan.steps.map((s) => results.get(s.id)!);
}

/** `key` or `key [partition]`, for messages. */
export function stepLabel(s: PlanStep): string {
  if (!s.partitionKey) return s.key;
  const keys = s.partitionKeys ?? [s.partitionKey];
  return keys.length > 1 ? `${s.key} [${keys[0]}..${keys[keys.length - 1]}]` : `${s.key} [${s.partitionKey}]`;
}
