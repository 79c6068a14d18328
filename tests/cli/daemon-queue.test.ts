/**
 * `workers: { enqueue: true }` (issue 17 item 2): the daemon hands its run requests to the queue
 * of `dagx worker` processes instead of running them itself, and follows each to its end. Real
 * Postgres, a real `dagx daemon` and a real `dagx worker`, each in its own copy of the project (a
 * machine's stand-in) sharing one data folder. While no worker runs, `dagx runs` says queued.
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
};

function machine(files: Record<string, string> = FILES): string {
  const dir = fx.project(files);
  mkdirSync(join(dir, ".dagx"), { recursive: true });
  symlinkSync(data, join(dir, ".dagx", "data"));
  return dir;
}

describe("the daemon with workers.enqueue", () => {
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
      const statusOf = async () => ((await (await fetch(`${server.origin}/api/runs`, { headers: { "X-Dagx-Token": token } })).json()) as { runs: { runId: string; status: string }[] }).runs.find((r) => r.runId === runId)?.status;
      await until(async () => (await statusOf()) !== undefined, "the UI's run", 20_000);
      expect(await statusOf()).toBe("queued");
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

  test("workers.enqueue without a Postgres state: the daemon refuses with a clear config error", async () => {
    const dir = fx.project(FILES);
    const r = await runDagx(dir, ["daemon"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("workers.enqueue in dagx.config.ts needs a Postgres state");
  });
});
