/** The JSON of runs as `materialize --json` and `backfill --json` print it (tests/fixtures/json-shapes.json), and of check results as `check --json` does. */
import type { StepResult } from "../../core/execute.ts";
import type { RunOutcome } from "../run/index.ts";
import type { CheckResult } from "../../core/types.ts";

/** One step of `materialize --json` and `backfill --json`. */
export function stepJson(s: StepResult) {
  return {
    key: s.key,
    partition: s.partition || null,
    status: s.status,
    rows: s.rows,
    durationMs: Math.round(s.durationMs),
    ...(s.status === "failed" ? { error: s.error } : {}),
    ...(s.status === "skipped" ? { reason: s.reason } : {}),
    ...(s.status === "success" && s.checks ? { checks: s.checks.map(checkJson) } : {}),
    ...(s.status === "success" && s.blocked ? { blocked: s.blocked } : {}),
  };
}

/** `materialize --json`: the plan of a dry run (or of nothing to do), else the run and its steps. */
export function runJson(o: RunOutcome) {
  if (o.status === "planned" || o.status === "nothing") {
    return { runId: null, status: o.status, steps: o.plan.steps.map((s) => ({ key: s.key, partition: s.partitionKey || null, status: "planned", reason: s.reason, ...(s.blocked ? { blocked: `blocked: ${s.blocked}` } : {}) })), fresh: o.plan.fresh, waiting: o.plan.waiting ?? [] };
  }
  return { runId: o.runId, status: o.status, durationMs: Math.round(o.durationMs), steps: o.steps.map(stepJson), waiting: o.plan.waiting ?? [] };
}

/** DESIGN §8 `check` JSON (plus description, error, sample, blocking, runId, at). */
export function checkJson(r: CheckResult) {
  return {
    key: r.assetKey,
    check: r.checkName,
    partition: r.partitionKey || null,
    passed: r.passed,
    severity: r.severity,
    metadata: r.metadata,
    description: r.description,
    error: r.error,
    sample: r.sample,
    blocking: r.blocking,
    runId: r.runId,
    at: new Date(r.at).toISOString(),
  };
}
