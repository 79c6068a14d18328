/** What check results mean for a run: which failure blocks the downstream, and counts. */
import type { CheckResult } from "../types.ts";

/** A failure that counts against the data: `error` severity (a `warn` failure only reports). */
export const isErrorFailure = (r: CheckResult): boolean => !r.passed && r.severity === "error";

/** Why the asset's downstream must be skipped (`check "unique(id)" of "orders" failed`), or null. */
export function blockedReason(results: readonly CheckResult[]): string | null {
  const r = results.find((x) => x.blocking && isErrorFailure(x));
  if (!r) return null;
  const partition = r.partitionKey ? ` for partition ${r.partitionKey}` : "";
  return `check "${r.checkName}" of "${r.assetKey}" failed${partition}`;
}

/** Passed / failed (error severity) / warned (warn severity, failed) counts. */
export function countResults(results: readonly CheckResult[]): { passed: number; failed: number; warned: number } {
  let passed = 0;
  let failed = 0;
  let warned = 0;
  for (const r of results) {
    if (r.passed) passed++;
    else if (r.severity === "error") failed++;
    else warned++;
  }
  return { passed, failed, warned };
}
