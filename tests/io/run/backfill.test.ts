/**
 * runBackfill() in-process on the memory store: one range applied to each asset by its own
 * granularity, upstream before downstream per partition, the concurrency cap, the persistent
 * per-partition record, failures and what a resume runs. The CLI journeys
 * (tests/cli/backfill.test.ts) keep the progress lines, list/show, exit codes, Ctrl-C, cancel
 * from another process and kill -9.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { withEnv } from "../../support/env.ts";
import { testProjects } from "../../support/project.ts";
import { BACKFILL_PIPELINE } from "../../support/projects.ts";

const projects = testProjects("dagx-backfill-io-");
afterAll(projects.cleanup);

const day = (d: number) => `2024-01-${String(d).padStart(2, "0")}`;
const days = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => day(from + i));

/** exec.log lines as [asset, partitions, event]. */
function execLog(dir: string): [string, string, string][] {
  const p = join(dir, "exec.log");
  if (!existsSync(p)) return [];
  return readFileSync(p, "utf8").trim().split("\n").filter(Boolean).map((l) => l.split(" ") as [string, string, string]);
}

describe("runBackfill()", () => {
  test("daily and monthly assets over one range: each by its granularity, upstream first per partition, at most `concurrency` steps at once, recorded per partition; a resume of a finished one runs nothing", async () => {
    const p = await projects.open(BACKFILL_PIPELINE);
    // raw naps 30 ms, so steps overlap
    const out = await withEnv({ NAP: "30" }, () => p.backfill("raw+ and not whole", { partitionSelection: "2024-01", concurrency: 3 }));
    expect(out.status).toBe("success");
    const steps = out.outcome!.steps;
    const of = (k: string) => steps.filter((s) => s.key === k).map((s) => s.partition);
    expect(of("raw")).toEqual(days(1, 31));
    expect(of("agg").length).toBe(31);
    expect(of("per_month")).toEqual(["2024-01"]);
    expect(steps.every((s) => s.status === "success")).toBe(true);

    const log = execLog(p.dir);
    const at = (a: string, part: string, e: string) => log.findIndex(([x, y, z]) => x === a && y === part && z === e);
    for (const d of days(1, 31)) {
      expect(at("raw", d, "end")).toBeGreaterThanOrEqual(0);
      expect(at("raw", d, "end")).toBeLessThan(at("agg", d, "start"));
      expect(at("raw", d, "end")).toBeLessThan(at("per_month", "2024-01", "start"));
    }
    let running = 0;
    let peak = 0;
    for (const [a, , e] of log) {
      if (a !== "raw") continue;
      running += e === "start" ? 1 : -1;
      peak = Math.max(peak, running);
    }
    expect(peak).toBe(3);

    const recorded = (await p.store.getBackfill(out.backfillId))!;
    expect(recorded.backfill).toMatchObject({ status: "success", selection: "raw+ and not whole", partitions: "2024-01" });
    expect(recorded.partitions.length).toBe(63);
    expect(recorded.partitions.every((x) => x.status === "success" && x.runId === out.outcome!.runId)).toBe(true);
    expect(out.counts).toEqual({ total: 63, success: 63, failed: 0, pending: 0, skipped: 0, canceled: 0 });

    const before = execLog(p.dir).length;
    const again = await p.backfill("", { resume: out.backfillId });
    expect([again.status, again.alreadyDone, again.outcome?.steps ?? []]).toEqual(["success", 63, []]);
    expect(execLog(p.dir).length).toBe(before);
  });

  test("a failed partition is recorded with its error, what reads it is skipped, the rest succeeds; a resume runs only what is not done", async () => {
    const p = await projects.open(BACKFILL_PIPELINE);
    const out = await withEnv({ FAIL_ON: "2024-01-02" }, () => p.backfill("raw, agg", { partitionSelection: "2024-01-01..2024-01-04", concurrency: 1 }));
    expect(out.status).toBe("failed");
    const st = Object.fromEntries(out.outcome!.steps.map((s) => [`${s.key}[${s.partition}]`, s.status]));
    expect(st).toMatchObject({ "raw[2024-01-02]": "failed", "agg[2024-01-02]": "skipped", "agg[2024-01-03]": "success" });
    expect(out.counts).toMatchObject({ total: 8, success: 6, failed: 1, skipped: 1 });
    const recorded = (await p.store.getBackfill(out.backfillId))!;
    expect(recorded.partitions.find((x) => x.assetKey === "raw" && x.partitionKey === "2024-01-02")!.error).toContain("raw broke on 2024-01-02");

    const resumed = await p.backfill("", { resume: out.backfillId });
    expect([resumed.backfillId, resumed.status, resumed.alreadyDone]).toEqual([out.backfillId, "success", 6]);
    expect(resumed.outcome!.steps.map((x) => `${x.key}[${x.partition}]`)).toEqual(["raw[2024-01-02]", "agg[2024-01-02]"]);
    const starts = execLog(p.dir).filter(([a, , e]) => a === "raw" && e === "start").map(([, d]) => d);
    expect(starts).toEqual([day(1), day(2), day(3), day(4), day(2)]);
    expect(resumed.counts).toMatchObject({ total: 8, success: 8 });
    expect((await p.store.listBackfills())[0]!.status).toBe("success");
  });
});
