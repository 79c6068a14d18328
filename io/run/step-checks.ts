/**
 * Run checks: within the step, once every output is in place, each partition is checked on its own
 * stored output (io/run/checks.ts), and the results the step reported for its `checkSpec()`s
 * (core/checks/reported.ts) are added; a failing blocking check tells the executor to skip the downstream.
 */
import { blockedReason } from "../../core/checks/outcome.ts";
import { reportedCheckResults } from "../../core/checks/reported.ts";
import type { CheckResult, MaterializationRecord } from "../../core/types.ts";
import { keyColumns } from "../tabular/index.ts";
import { jsonSafe, runAssetChecks } from "./checks.ts";
import { partitionContext } from "./step-context.ts";
import type { RunScope, StepAttempt } from "./step-scope.ts";

/** Does the step have checks to record: declared ones, or results it reported (`reported`: `ctx.output(…, { checks })`)? */
export function hasChecks(a: StepAttempt, reported: unknown): boolean {
  return a.asset.checks.length > 0 || reported !== undefined;
}

export async function runChecks(run: RunScope, a: StepAttempt, records: readonly MaterializationRecord[], reported?: unknown): Promise<{ checks: CheckResult[]; blocked: string | null }> {
  const parts = run.partitions.get(a.asset.key);
  const checks: CheckResult[] = [];
  if (a.asset.checks.some((c) => c.kind !== "reported")) {
    const checkRun = { storage: run.storage, runId: run.runId, ioManagers: run.ioManagers, resources: run.resources, conn: a.conn, now: run.now, onLog: run.onLog, configOf: (key: string) => run.config?.get(key)?.value };
    const targets = records.map((m) => ({
      record: m,
      partition: partitionContext(parts, m.partitionKey ? [m.partitionKey] : null),
      keyColumns: parts && m.partitionKey ? keyColumns(parts.space, m.partitionKey) : null,
    }));
    checks.push(...(await runAssetChecks(checkRun, a.asset, targets, a.signal)));
  }
  if (reported !== undefined || a.asset.checks.some((c) => c.kind === "reported")) {
    records.forEach((m, i) => {
      const got = reportedCheckResults(a.asset.checks, reported, { runId: run.runId, assetKey: a.asset.key, partitionKey: m.partitionKey, at: run.now() });
      for (const r of got.results) checks.push({ ...r, metadata: jsonSafe(r.metadata) as Record<string, unknown> });
      if (i === 0) for (const w of got.warnings) run.onLog(a.asset.key, "warn", w);
    });
  }
  run.onCheckResults(checks);
  return { checks, blocked: blockedReason(checks) };
}
