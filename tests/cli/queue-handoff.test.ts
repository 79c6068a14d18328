/**
 * Runs handed to `dagx worker` processes by others than a following CLI (issue 17 item 2):
 * - `workers: { enqueue: true }`: the daemon hands its run requests to the queue instead of running
 *   them itself, and follows each to its end; the UI's launches go to the queue too;
 * - `backfill --queue --detach`: nobody follows; the workers' fenced commits record the backfill's
 *   partition statuses and its end.
 * Real Postgres, a real `dagx daemon`, UI server and `dagx worker`, each in its own copy of the
 * project (a machine's stand-in) sharing one data folder. While no worker runs, runs say queued.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { mkdirSync, mkdtempSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createPostgresStateStore } from "../../io/state/index.ts";
import { type PostgresServer, startPostgres } from "../support/postgres.ts";
import { startUiServer } from "../../io/ui/index.ts";
import { ok, removeProject, runDagx } from "./helpers.ts";
import { liveFixtures, startLive, until } from "./live.ts";

setDefaultTimeout(60_000);
const fx = liveFixtures("dagx-daemon-queue-");
let pg: PostgresServer;
let data: string;
beforeAll(async () => {
  pg = await startPostgres();
  data = mkdtempSync(join(tmpdir(), "dagx-daemon-queue-data-"));
});
afterAll(async () => {
  await fx.cleanup();
  await pg?.stop();
  removeProject(data);
});

const FILES = {
  "dagx.config.ts": `import { defineConfig } from "dagx";\nexport default defineConfig({ workers: { enqueue: true } });\n`,
  "a.asset.ts": `import { asset, sensor } from "dagx";
export const a = asset(() => [{ x: 1 }]);
export const once = sensor({ interval: "1s", select: "a" }, () => ({ runRequests: [{ runKey: "only" }] }));
`,
  "events.asset.ts": `import { asset, daily } from "dagx";
export const events = asset({ partitions: daily({ start: "2024-01-01" }) }, (ctx) => {
  if (ctx.partition!.key === "2024-01-03") throw new Error("no data for 2024-01-03");
  return [{ day: ctx.partition!.key }];
});
export const rollup = asset({ ins: { events }, partitions: daily({ start: "2024-01-01" }) }, (ctx, { events }) => ctx.sql\`select count(*) as n from \${events}\`);
`,
};

function machine(files: Record<string, string> = FILES): string {
  const dir = fx.project(files);
  mkdirSync(join(dir, ".dagx"), { recursive: true });
  symlinkSync(data, join(dir, ".dagx", "data"));
  return dir;
}

describe("runs handed to workers with no CLI following them", () => {
  test("a sensor's run goes to the queue: queued while no worker runs, then a worker runs it; the daemon records its end", async () => {
    const env = { DAGX_STATE_URL: `${pg.url}?schema=dq`, DAGX_WORKERS_SHARED_STORAGE: "1" };
    const daemonDir = machine();
    const daemon = fx.track(startLive(daemonDir, ["daemon"], env));
    await daemon.waitFor(`Runs go to queue "default"`);
    const store = createPostgresStateStore(env.DAGX_STATE_URL);
    try {
      await until(async () => (await store.listRuns({ limit: 5 })).length > 0, "the sensor's run", 20_000, () => daemon.text());
      const [run] = await store.listRuns({ limit: 5 });
      expect(run!.host).toBe("(queue)");
      const listed = ok(await runDagx(daemonDir, ["runs", "--json"], { env })).json<{ runId: string; status: string }[]>();
      expect(listed.find((r) => r.runId === run!.runId)?.status).toBe("queued");
      const worker = fx.track(startLive(machine(), ["worker"], env));
      await until(async () => (await store.getRun(run!.runId))?.status === "success", "the run's end", 20_000, () => worker.text());
      expect(worker.text()).toContain(`a: started (run ${run!.runId}`);
      await daemon.waitFor(`sensor once: run ${run!.runId} success`);
      const [request] = await store.listRunRequests({ source: "once" });
      expect([request!.status, request!.runId]).toEqual(["started", run!.runId]);
      expect((await store.getEvents(run!.runId)).filter((e) => e.type === "materialization").map((e) => e.assetKey)).toEqual(["a"]);
      expect(await daemon.stop("SIGTERM")).toBe(0);
      expect(await worker.stop("SIGTERM")).toBe(0);
    } finally {
      await store.close();
    }
  });

  test("the UI's launch goes to the queue too: /api/runs says queued until a worker takes it", async () => {
    const url = `${pg.url}?schema=ui`;
    const files = { ...FILES, "dagx.config.ts": `import { defineConfig } from "dagx";\nexport default defineConfig({ state: ${JSON.stringify(url)}, workers: { enqueue: true } });\n` };
    const root = machine(files);
    const token = "test-token-0123456789abcdefghijklmnopqrstuv";
    const server = await startUiServer({ root, port: 0, watch: false, version: "test", token });
    const store = createPostgresStateStore(url);
    try {
      const post = await fetch(`${server.origin}/api/materialize`, { method: "POST", headers: { "X-Dagx-Token": token, Origin: server.origin, "Content-Type": "application/json" }, body: JSON.stringify({ selection: "a" }) });
      expect(post.status).toBe(202);
      const { runId } = (await post.json()) as { runId: string };
      const statusOf = async (id = runId) => ((await (await fetch(`${server.origin}/api/runs`, { headers: { "X-Dagx-Token": token } })).json()) as { runs: { runId: string; status: string }[] }).runs.find((r) => r.runId === id)?.status;
      await until(async () => (await statusOf()) !== undefined, "the UI's run", 20_000);
      expect(await statusOf()).toBe("queued");
      // the overview's list of runs in progress says so too
      const overview = (await (await fetch(`${server.origin}/api/overview`, { headers: { "X-Dagx-Token": token } })).json()) as { runningRuns: { runId: string; status: string }[] };
      expect(overview.runningRuns.find((r) => r.runId === runId)?.status).toBe("queued");
      // a second one, canceled from the UI while no worker runs: canceled at once
      const second = await fetch(`${server.origin}/api/materialize`, { method: "POST", headers: { "X-Dagx-Token": token, Origin: server.origin, "Content-Type": "application/json" }, body: JSON.stringify({ selection: "a" }) });
      const { runId: other } = (await second.json()) as { runId: string };
      await until(async () => (await statusOf(other)) === "queued", "the second run", 20_000);
      const cancel = await fetch(`${server.origin}/api/runs/${other}/cancel`, { method: "POST", headers: { "X-Dagx-Token": token, Origin: server.origin, "Content-Type": "application/json" }, body: "{}" });
      expect(cancel.status).toBe(200);
      await until(async () => (await statusOf(other)) === "canceled", "the second run's cancel", 5_000);
      const worker = fx.track(startLive(machine(files), ["worker"], { DAGX_WORKERS_SHARED_STORAGE: "1" }));
      await until(async () => (await statusOf()) === "success", "the run's end", 20_000, () => worker.text());
      expect((await store.getRun(runId))?.host).toBe("(queue)");
      expect(worker.text()).toContain(`a: started (run ${runId}`);
      expect(await worker.stop("SIGTERM")).toBe(0);
    } finally {
      await store.close();
      await server.close();
    }
  });

  test("backfill --queue --detach returns at once; the workers' commits record every partition's status and the backfill's end", async () => {
    const env = { DAGX_STATE_URL: `${pg.url}?schema=bq`, DAGX_WORKERS_SHARED_STORAGE: "1" };
    const submitter = machine();
    const queued = ok(await runDagx(submitter, ["backfill", "events", "rollup", "--partitions", "2024-01-01..2024-01-06", "--queue", "--detach", "--json"], { env })).json<{ backfillId: string; runId: string; status: string }>();
    expect(queued.status).toBe("queued");
    type Show = { status: string; counts: Record<string, number>; steps: { key: string; partition: string; status: string; runId: string; error: string | null }[] };
    const show = async () => ok(await runDagx(submitter, ["backfill", "show", queued.backfillId, "--json"], { env })).json<Show>();
    // no process follows it, and it is not abandoned: it waits for a worker
    const before = await show();
    expect([before.status, before.counts.pending]).toEqual(["running", 12]);
    const worker = fx.track(startLive(machine(), ["worker", "--concurrency", "3"], env));
    let after = before;
    await until(async () => (after = await show()).status !== "running", "the backfill's end", 20_000, () => worker.text());
    expect(after.status).toBe("failed");
    expect([after.counts.success, after.counts.failed, after.counts.skipped, after.counts.pending]).toEqual([10, 1, 1, 0]);
    const failed = after.steps.find((s) => s.status === "failed")!;
    expect([failed.key, failed.partition, failed.runId]).toEqual(["events", "2024-01-03", queued.runId]);
    expect(failed.error).toContain("no data for 2024-01-03");
    expect(after.steps.find((s) => s.status === "skipped")).toMatchObject({ key: "rollup", partition: "2024-01-03" });
    expect(await worker.stop("SIGTERM")).toBe(0);
  });

  test("backfill cancel of a detached backfill no worker took: its run and every partition are canceled at once, from any machine", async () => {
    const env = { DAGX_STATE_URL: `${pg.url}?schema=bc`, DAGX_WORKERS_SHARED_STORAGE: "1" };
    const queued = ok(await runDagx(machine(), ["backfill", "events", "--partitions", "2024-01-01..2024-01-04", "--queue", "--detach", "--json"], { env })).json<{ backfillId: string; runId: string }>();
    const other = machine();
    ok(await runDagx(other, ["backfill", "cancel", queued.backfillId], { env }));
    const show = ok(await runDagx(other, ["backfill", "show", queued.backfillId, "--json"], { env })).json<{ status: string; counts: Record<string, number> }>();
    expect([show.status, show.counts.canceled, show.counts.pending]).toEqual(["canceled", 4, 0]);
    const runs = ok(await runDagx(other, ["runs", "--json"], { env })).json<{ runId: string; status: string }[]>();
    expect(runs.find((r) => r.runId === queued.runId)?.status).toBe("canceled");
  });

  test("workers.enqueue without a Postgres state: the daemon refuses with a clear config error", async () => {
    const dir = fx.project(FILES);
    const r = await runDagx(dir, ["daemon"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("workers.enqueue in dagx.config.ts needs a Postgres state");
  });
});
