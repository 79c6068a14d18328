/**
 * Blocking checks across runs, in-process on the memory store: a failed blocking check skips
 * what reads the failing output (per partition) in later materializations, --stale runs,
 * dry-run plans and backfills, until it passes; `ignoreBlocking` runs it anyway. The CLI
 * journeys (tests/cli/checks.test.ts) keep exit codes, printed lines and `dagx status`.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import { join } from "node:path";
import type { RunOutcome } from "../../../io/run/index.ts";
import { testProjects } from "../../support/project.ts";
import { BLOCKING_CHECK_PIPELINE, PARTITION_BLOCKING_PIPELINE } from "../../support/projects.ts";

const projects = testProjects("dagx-checks-io-");
afterAll(projects.cleanup);

const steps = (o: RunOutcome) => o.steps.map((s) => [s.key, s.partition || null, s.status, s.status === "skipped" ? s.reason : null]);

describe("a failed blocking check", () => {
  test("keeps blocking its downstream in later runs (materialize, --stale, a dry run) until it passes; ignoreBlocking overrides", async () => {
    const p = await projects.open(BLOCKING_CHECK_PIPELINE);
    const first = await p.materialize("orders");
    expect(first.status).toBe("failed");
    const reason = `blocked: check "unique(id)" of "orders" failed in run ${first.runId}`;

    const later = await p.materialize("revenue+");
    expect([later.status, steps(later)]).toEqual(["failed", [["revenue", null, "skipped", reason], ["report", null, "skipped", reason]]]);
    const dry = await p.materialize("revenue", { dryRun: true });
    expect(dry.plan.steps.map((s) => [s.key, s.blocked])).toEqual([["revenue", reason.slice("blocked: ".length)]]);
    const stale = await p.materialize("*", { stale: true });
    expect([stale.status, steps(stale)]).toEqual(["failed", [["revenue", null, "skipped", reason], ["report", null, "skipped", reason]]]);

    const forced = await p.materialize("revenue", { ignoreBlocking: true });
    expect([forced.status, steps(forced)]).toEqual(["success", [["revenue", null, "success", null]]]);

    // the data is fixed: orders passes its check again, and the block is lifted
    rmSync(join(p.dir, "dup"));
    expect((await p.materialize("orders")).status).toBe("success");
    const after = await p.materialize("revenue+");
    expect([after.status, after.steps.map((s) => s.status)]).toEqual(["success", ["success", "success"]]);
  });

  test("per partition: only what reads a failing partition is blocked (a partitioned downstream's partition, an unpartitioned reader of all), in materialize and backfill", async () => {
    const p = await projects.open(PARTITION_BLOCKING_PIPELINE);
    const first = await p.materialize("orders", { partitionSelection: "eu,us" });
    expect(first.status).toBe("failed");
    const reason = `blocked: check "unique(id)" of "orders" failed for partition us in run ${first.runId}`;
    const later = await p.materialize("revenue, total", { partitionSelection: "eu,us" });
    expect([later.status, steps(later)]).toEqual(["failed", [["revenue", "eu", "success", null], ["revenue", "us", "skipped", reason], ["total", null, "skipped", reason]]]);
    const backfill = await p.backfill("revenue", { partitionSelection: "us" });
    expect([backfill.status, steps(backfill.outcome!)]).toEqual(["failed", [["revenue", "us", "skipped", reason]]]);
  });
});
