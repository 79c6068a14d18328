/** Check results as the run's events carry them, and as `dagx status` sums them up. */
import { countResults } from "../../core/checks/index.ts";
import type { MaterializationStore } from "../../core/state-store.ts";
import type { CheckResult } from "../../core/types.ts";

/** Payload of a `check_evaluation` event (the sample stays in check_results). */
export function checkEventPayload(r: CheckResult): Record<string, unknown> {
  return { check: r.checkName, passed: r.passed, severity: r.severity, blocking: r.blocking, metadata: r.metadata, ...(r.description ? { description: r.description } : {}), ...(r.error ? { error: r.error } : {}) };
}

export interface CheckSummary {
  passed: number;
  /** Failed at "error" severity (including checks that could not be evaluated). */
  failed: number;
  /** Failed at "warn" severity. */
  warned: number;
  /** Latest result per partition and check, by partition, then check. */
  latest: CheckResult[];
}

/**
 * Per asset: counts over the latest result of each (partition, check), and those results — for
 * `dagx status`. Assets without any result are absent from the map.
 */
export async function checkSummaries(store: MaterializationStore, keys: readonly string[]): Promise<Map<string, CheckSummary>> {
  const out = new Map<string, CheckSummary>();
  for (const r of await store.latestCheckResults(keys)) {
    const s = out.get(r.assetKey) ?? out.set(r.assetKey, { passed: 0, failed: 0, warned: 0, latest: [] }).get(r.assetKey)!;
    s.latest.push(r);
  }
  for (const s of out.values()) Object.assign(s, countResults(s.latest));
  return out;
}
