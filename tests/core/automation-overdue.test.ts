import { describe, expect, test } from "bun:test";
import { type AutomationAssetState, evaluateAutomation, onOverdue } from "../../core/automation/index.ts";

const cron = { next: () => null, validate: () => null };
const asset = (patch: Partial<AutomationAssetState>): AutomationAssetState => ({ key: "fx", condition: onOverdue(), lastMaterializedAt: 100, upstream: [], inProgress: false, freshness: "overdue", ...patch });
const run = (a: AutomationAssetState) => evaluateAutomation({ assets: [a], previousEvaluationAt: 0, now: 1000, cron });

describe("onOverdue()", () => {
  test("requests an overdue asset, not a fresh or late one", () => {
    expect(run(asset({})).requests).toEqual([{ key: "fx", partition: null, condition: "onOverdue", reason: "overdue (freshness policy)" }]);
    expect(run(asset({ freshness: "fresh" })).requests).toEqual([]);
    expect(run(asset({ freshness: "late" })).requests).toEqual([]);
    expect(run(asset({ freshness: null })).requests).toEqual([]);
  });

  test("does not ask again while its request has not materialized it (a failing run is not retried every evaluation)", () => {
    expect(run(asset({ lastRequestedAt: 500, lastMaterializedAt: 100 })).requests).toEqual([]);
    expect(run(asset({ lastRequestedAt: 50, lastMaterializedAt: 100 })).requests.length).toBe(1);
  });

  test("waits while it or an upstream is in progress or an upstream is missing; a partitioned asset gets its latest partition", () => {
    expect(run(asset({ inProgress: true })).skipped[0]!.reason).toContain("a run of it is in progress");
    expect(run(asset({ upstream: [{ key: "raw", lastMaterializedAt: null, missing: true, inProgress: false }] })).skipped[0]!.reason).toContain('upstream "raw" is missing');
    expect(run(asset({ partitions: { latestKey: "2024-01-02", missingKeys: [] } })).requests[0]!.partition).toBe("2024-01-02");
  });
});
