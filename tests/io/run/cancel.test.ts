/**
 * Cancel from another process, in-process on the memory store: `cancelRun()` (what `dagx cancel`
 * and the UI call) sets the flag, the run's `watchRunCancel()` poll sees it and the run ends
 * `canceled` as with Ctrl-C — steps canceled, outputs and state consistent. A trivial run never
 * polls. The spawned journey (two real processes, the DuckDB state) is tests/cli/cancel-run.test.ts.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import type { RunStore } from "../../../core/state-store.ts";
import type { RunRecord } from "../../../core/types.ts";
import { cancelRun, waitForRunEnd } from "../../../io/run/index.ts";
import { watchRunCancel } from "../../../io/run/cancel-watch.ts";
import { createMemoryStateStore } from "../../../io/state/index.ts";
import { withEnv } from "../../support/env.ts";
import { testProjects } from "../../support/project.ts";

const projects = testProjects("dagx-cancel-io-");
afterAll(projects.cleanup);

// `slow` sleeps SLOW_MS (0 by default) and honours ctx.signal, as the Ctrl-C journeys' asset does
const PROJECT = {
  "a.asset.ts": `
import { asset } from "dagx";
export const fast = asset(() => [{ id: 1 }]);
export const slow = asset({ deps: [fast], io: "json" }, async (ctx) => {
  const ms = Number(process.env.SLOW_MS ?? 0);
  ctx.log.info("slow started");
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(resolve, ms);
    ctx.signal.addEventListener("abort", () => { clearTimeout(t); reject(new Error("stopped by signal")); });
  });
  return { run: process.env.RUN_NO ?? "1" };
});
export const after_slow = asset({ deps: [slow] }, () => 1);
`,
};

const run = (id: string, patch: Partial<RunRecord> = {}): RunRecord => ({ runId: id, status: "running", selection: "*", trigger: "cli", pid: process.pid, host: hostname(), startedAt: 1, endedAt: null, heartbeatAt: 1, ...patch });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Resolve with the id of the first `running` run in `store`. */
async function runningRunId(store: RunStore): Promise<string> {
  for (let i = 0; i < 400; i++) {
    const [r] = await store.listRuns({ status: "running" });
    if (r) return r.runId;
    await sleep(5);
  }
  throw new Error("no run started");
}

describe("runMaterialize() and a cancel from elsewhere", () => {
  test("cancelRun() during a long step: the run ends canceled within a second, the step canceled and its downstream skipped (as Ctrl-C does), the previous output intact", async () => {
    const p = await projects.open(PROJECT);
    expect((await p.materialize("*")).status).toBe("success");
    const output = join(p.project.storage.dataRoot, (await p.store.latestMaterializations(["slow"]))[0]!.path!);
    const before = readFileSync(output, "utf8");

    const running = withEnv({ SLOW_MS: "20000", RUN_NO: "2" }, () => p.materialize("*"));
    const runId = await runningRunId(p.store);
    await sleep(700); // past the first poll: the request is seen by a later one
    const asked = Date.now();
    const r = await cancelRun(p.store, runId, asked);
    expect(r).toMatchObject({ status: "requested", alreadyRequested: false, run: { runId, status: "running", cancelRequestedAt: asked } });
    const outcome = await running;
    const tookMs = Date.now() - asked;
    expect(outcome.status).toBe("canceled");
    expect(tookMs).toBeLessThan(1_000);
    expect(outcome.steps.map((s) => [s.key, s.status])).toEqual([["fast", "success"], ["slow", "canceled"], ["after_slow", "skipped"]]);
    const recorded = (await p.store.getRun(runId))!;
    expect(recorded).toMatchObject({ status: "canceled", cancelRequestedAt: asked });
    expect(recorded.endedAt! - asked).toBeLessThan(1_000);
    const events = await p.store.getEvents(runId);
    expect(events.some((e) => e.type === "log" && String(e.payload.message).startsWith("Cancel requested from another process"))).toBe(true);
    expect(events.filter((e) => e.type === "step_canceled").map((e) => e.assetKey)).toEqual(["slow"]);
    expect(readFileSync(output, "utf8")).toBe(before);
    // a second request of the finished run changes nothing
    expect(await cancelRun(p.store, runId, Date.now())).toMatchObject({ status: "finished", run: { status: "canceled" } });
  });

  test("a trivial run never reads its cancel flag (no poll before the run is 500 ms old)", async () => {
    const p = await projects.open(PROJECT);
    let reads = 0;
    const counting = new Proxy(p.store, { get: (t, k) => (k === "getRun" ? (id: string) => (reads++, t.getRun(id)) : Reflect.get(t, k)) });
    const { runMaterialize } = await import("../../../io/run/index.ts");
    const { selectAssets } = await import("../../../core/selection/index.ts");
    const outcome = await runMaterialize(p.project, counting, { selectionText: "*", selected: selectAssets(["*"], p.project.graph), stale: false, concurrency: 2, dryRun: false, trigger: "cli", signal: new AbortController().signal, now: () => Date.now() });
    expect(outcome.status).toBe("success");
    expect(reads).toBe(0);
  });

  test("a backfill's run canceled with cancelRun(): the backfill ends canceled too", async () => {
    const p = await projects.open({
      "d.asset.ts": `
import { asset, daily } from "dagx";
export const days = asset({ partitions: daily({ start: "2024-01-01", end: "2024-02-01" }) }, async (ctx) => {
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(resolve, ctx.partition.key === "2024-01-01" ? 0 : 20000);
    ctx.signal.addEventListener("abort", () => { clearTimeout(t); reject(new Error("stopped")); });
  });
  return [{ day: ctx.partition.key }];
});
`,
    });
    const running = p.backfill("days", { partitionSelection: "2024-01-01..2024-01-03", concurrency: 1 });
    const runId = await runningRunId(p.store);
    await sleep(600);
    expect((await cancelRun(p.store, runId, Date.now())).status).toBe("requested");
    const out = await running;
    expect(out.status).toBe("canceled");
    expect((await p.store.getBackfill(out.backfillId))?.backfill.status).toBe("canceled");
    expect(out.counts).toMatchObject({ success: 1, canceled: 2, pending: 0 });
  });
});

describe("cancelRun()", () => {
  test("unknown id, finished run, dead process (marked abandoned), live run (requested, then already requested)", async () => {
    const store = createMemoryStateStore();
    await store.createRun(run("live"));
    await store.createRun(run("done", { status: "success", endedAt: 5 }));
    await store.createRun(run("dead", { pid: 2 ** 22 + 12345 }));
    const alive = (r: RunRecord) => r.runId !== "dead";
    expect(await cancelRun(store, "nope", 100, alive)).toEqual({ status: "unknown", runId: "nope" });
    expect(await cancelRun(store, "done", 100, alive)).toEqual({ status: "finished", run: run("done", { status: "success", endedAt: 5 }) });
    expect(await cancelRun(store, "dead", 100, alive)).toEqual({ status: "abandoned", run: run("dead", { pid: 2 ** 22 + 12345, status: "abandoned", endedAt: 100 }) });
    expect(await cancelRun(store, "dead", 200, alive)).toMatchObject({ status: "finished", run: { status: "abandoned" } });
    expect(await cancelRun(store, "live", 300, alive)).toEqual({ status: "requested", alreadyRequested: false, run: run("live", { cancelRequestedAt: 300 }) });
    expect(await cancelRun(store, "live", 400, alive)).toEqual({ status: "requested", alreadyRequested: true, run: run("live", { cancelRequestedAt: 300 }) });
  });

  test("waitForRunEnd() resolves when the run ends, or marks it abandoned when its process is gone", async () => {
    const store = createMemoryStateStore();
    await store.createRun(run("r1"));
    const waiting = waitForRunEnd(store, "r1", { now: Date.now, everyMs: 10 });
    await sleep(30);
    await store.updateRun("r1", { status: "canceled", endedAt: 9 });
    expect((await waiting)?.status).toBe("canceled");
    await store.createRun(run("gone", { host: "another-host", heartbeatAt: 0 }));
    expect((await waitForRunEnd(store, "gone", { now: Date.now, everyMs: 10 }))?.status).toBe("abandoned");
    expect(await waitForRunEnd(store, "nope", { now: Date.now })).toBeNull();
    await store.createRun(run("long"));
    expect((await waitForRunEnd(store, "long", { now: Date.now, everyMs: 10, timeoutMs: 30 }))?.status).toBe("running");
  });
});

describe("watchRunCancel()", () => {
  test("polls every period once the run is that old, then early after a write past half a period, and stops at the flag", async () => {
    const reads: number[] = [];
    const t0 = Date.now();
    let flagged = false;
    const store = { getRun: async () => (reads.push(Date.now() - t0), run("r", flagged ? { cancelRequestedAt: 1 } : {})) };
    const seen: number[] = [];
    // margins of 100 ms or more around each timer: this must hold on a loaded machine
    const watch = watchRunCancel(store, "r", { everyMs: 300, onCancel: (at) => seen.push(at) });
    watch.afterWrite(); // too early: the run is not a period old
    await sleep(160);
    watch.afterWrite(); // still too early, though half a period passed
    expect(reads).toEqual([]);
    await sleep(340); // ~500 ms: the timer polled at ~300, the next is due at ~600
    expect(reads.length).toBe(1);
    watch.afterWrite(); // ~200 ms after the last poll: past half a period, so now, in the write's session
    expect(reads.length).toBe(2);
    flagged = true;
    await sleep(450); // the timer, re-armed from that poll, sees the flag at ~800
    expect(seen).toEqual([1]);
    const n = reads.length;
    await sleep(400);
    expect(reads.length).toBe(n); // stopped after the flag
    watch.stop();
  });

  test("stop() ends polling; a failing read is retried next period", async () => {
    let reads = 0;
    const store = { getRun: async () => (reads++, Promise.reject(new Error("busy"))) };
    const watch = watchRunCancel(store as never, "r", { everyMs: 30, onCancel: () => {} });
    await sleep(250);
    expect(reads).toBeGreaterThanOrEqual(2);
    watch.stop();
    const n = reads;
    await sleep(80);
    expect(reads).toBe(n);
  });
});

describe("a daemon's run and a cancel from elsewhere", () => {
  test("createLauncher(): the launched run ends canceled after cancelRun(), and the daemon logs it", async () => {
    const p = await projects.open(PROJECT);
    const { createLauncher } = await import("../../../io/daemon/launcher.ts");
    const logs: string[] = [];
    const launcher = createLauncher({ project: p.project, store: p.store, maxRuns: 1, concurrency: 1, log: (l) => logs.push(l), now: Date.now });
    const runId = Bun.randomUUIDv7();
    await p.store.recordTick(
      { name: "nightly", kind: "schedule", tickAt: 1, evaluatedAt: 1, status: "requested", reason: null, requestIds: ["q1"] },
      [{ requestId: "q1", source: "nightly", kind: "schedule", runKey: null, selection: ["*"], partitions: null, status: "requested", runId, reason: null, createdAt: 1, updatedAt: 1 }],
      { lastTickAt: 1 },
    );
    await withEnv({ SLOW_MS: "20000" }, async () => {
      await launcher.pump();
      expect(await runningRunId(p.store)).toBe(runId);
      await sleep(600);
      const asked = Date.now();
      expect((await cancelRun(p.store, runId, asked)).status).toBe("requested");
      const ended = await waitForRunEnd(p.store, runId, { now: Date.now, everyMs: 20, timeoutMs: 5_000 });
      expect(ended?.status).toBe("canceled");
      expect(ended!.endedAt! - asked).toBeLessThan(1_000);
      await launcher.stop(5_000);
    });
    expect(logs.some((l) => l.includes(`run ${runId} canceled`))).toBe(true);
  });
});

describe("a `dagx check` run and a cancel from elsewhere", () => {
  test("runCheckCommand(): the check that runs sees its signal aborted, the run ends canceled", async () => {
    const p = await projects.open({
      "c.asset.ts": `
import { asset, check } from "dagx";
export const rows = asset(() => [{ id: 1 }]);
export const slow_check = check(rows, async (ctx) => {
  await new Promise<void>((resolve) => { const t = setTimeout(resolve, Number(process.env.SLOW_MS ?? 0)); ctx.signal.addEventListener("abort", () => { clearTimeout(t); resolve(); }); });
  return !ctx.signal.aborted;
});
`,
    });
    expect((await p.materialize("*")).status).toBe("success");
    await withEnv({ SLOW_MS: "20000" }, async () => {
      const running = p.check("rows");
      const runId = await runningRunId(p.store);
      await sleep(600);
      const asked = Date.now();
      expect((await cancelRun(p.store, runId, asked)).status).toBe("requested");
      const out = await running;
      expect(out.status).toBe("canceled");
      const run = (await p.store.getRun(runId))!;
      expect(run.status).toBe("canceled");
      expect(run.endedAt! - asked).toBeLessThan(1_000);
    });
  });
});
