/**
 * Run checks: within the step, once every output is in place, each partition is checked on its own
 * stored output (io/run/checks.ts); a failing blocking check tells the executor to skip the downstream.
 */
import { blockedReason } from "../../core/checks/outcome.ts";
import type { CheckResult, MaterializationRecord } from "../../core/types.ts";
import { keyColumns } from "../tabular/index.ts";
import { runAssetChecks } from "./checks.ts";
import { partitionContext } from "./step-context.ts";
import type { RunScope, StepAttempt } from "./step-scope.ts";

export async function runChecks(run: RunScope, a: StepAttempt, records: readonly MaterializationRecord[]): Promise<{ checks: CheckResult[]; blocked: string | null }> {
  const parts = run.partitions.get(a.asset.key);
  const checkRun = { storage: run.storage, runId: run.runId, ioManagers: run.ioManagers, resources: run.resources, conn: a.conn, now: run.now, onLog: run.onLog, configOf: (key: string) => run.config?.get(key)?.value };
  const targets = records.map((m) => ({
    record: m,
    partition: partitionContext(parts, m.partitionKey ? [m.partitionKey] : null),
    keyColumns: parts && m.partitionKey ? keyColumns(parts.space, m.partitionKey) : null,
  }));
  const checks = await runAssetChecks(checkRun, a.asset, targets, a.signal);
  run.onCheckResults(checks);
  return { checks, blocked: blockedReason(checks) };
}
