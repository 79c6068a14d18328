/**
 * The UI's actions against a real project and state: the plan, a materialization launched in a
 * child `dagx` process (trigger `ui`, the run id answered at once), a crash of that child that
 * leaves the server up, cancel, backfill and resume, schedule/sensor start and stop.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { makeProject, removeProject } from "../../cli/helpers.ts";
import type { ApiError, ApiRun, ApiRunDetail, ApiRuns } from "../../../core/ui-api.ts";
import type { UiServer } from "../../../io/ui/index.ts";
import { apiGet, apiPost, readEvents, startTestServer, TOKEN } from "./_server.ts";
import { until } from "../../cli/live.ts";

let dir: string;
let server: UiServer;

const ASSETS = `import { asset, daily, schedule, sensor } from "dagx";
export const fast = asset(() => [{ x: 1 }, { x: 2 }]);
export const after_fast = asset({ ins: { fast } }, (ctx, { fast }) => ctx.sql\`select count(*) as n from \${fast}\`);
export const slow = asset(async (ctx) => {
  await new Promise((done) => { const t = setTimeout(done, 30_000); ctx.signal.addEventListener("abort", () => { clearTimeout(t); done(null); }); });
  return [{ x: 1 }];
});
export const crash = asset(() => { process.kill(process.pid, "SIGKILL"); return [{ x: 1 }]; });
export const days = asset({ partitions: daily({ start: "2024-01-01", end: "2024-01-10" }) }, (ctx) => [{ day: ctx.partition.key }]);
export const up_never = asset(() => [{ x: 1 }]);
export const down_of_never = asset({ ins: { up_never } }, (ctx, { up_never }) => ctx.sql\`select * from \${up_never}\`);
export const nightly = schedule({ cron: "0 3 * * *", select: "fast" });
export const poller = sensor({ interval: "1h", select: "fast" }, () => ({ runRequests: [] }));
`;

beforeAll(async () => {
  dir = makeProject({
    "a.asset.ts": ASSETS,
    // loads in the server, fails in the launched child: a launch that never records its run
    "b.asset.ts": `import { asset } from "dagx";\nif (process.env.DAGX_TRIGGER === "ui") throw new Error("only in the child");\nexport const child_breaks = asset(() => [{ x: 1 }]);\n`,
  }, "dagx-ui-act-");
  server = await startTestServer(dir);
});
afterAll(async () => {
  await server?.close();
  removeProject(dir);
});

const body = async <T>(res: Response, status: number): Promise<T> => {
  const b = await res.json();
  expect(res.status, JSON.stringify(b)).toBe(status);
  return b as T;
};

/** Poll `/api/runs/<id>` until `done(run)` or `ms` pass. */
async function waitRun(runId: string, done: (r: ApiRun | null) => boolean, ms = 30_000): Promise<ApiRun | null> {
  const end = Date.now() + ms;
  for (;;) {
    const res = await apiGet(server, `/api/runs/${runId}`);
    const run = res.status === 200 ? ((await res.json()) as ApiRunDetail).run : null;
    if (done(run) || Date.now() > end) return run;
    await Bun.sleep(100);
  }
}

describe("plan", () => {
  test("POST /api/plan is materialize --dry-run --json", async () => {
    const p = await body<{ runId: null; status: string; steps: { key: string; status: string }[] }>(await apiPost(server, "/api/plan", { selection: "fast+" }), 200);
    expect(p.runId).toBeNull();
    expect(p.status).toBe("planned");
    expect(p.steps.map((s) => s.key)).toEqual(["fast", "after_fast"]);
    const parts = await body<{ steps: { key: string; partition: string }[] }>(await apiPost(server, "/api/plan", { selection: "days", partitions: "2024-01-02..2024-01-04" }), 200);
    expect(parts.steps.map((s) => s.partition)).toEqual(["2024-01-02", "2024-01-03", "2024-01-04"]);
  });
  test("a bad selection is a 400 with the caret pointer; bad bodies are 400s", async () => {
    const e = await body<ApiError>(await apiPost(server, "/api/plan", { selection: "fast and (" }), 400);
    expect(e.error.code).toBe("SELECTION_SYNTAX");
    expect(e.error.pointer).toContain("^");
    expect((await body<ApiError>(await apiPost(server, "/api/plan", { selection: 3 }), 400)).error.message).toContain("selection");
    expect((await body<ApiError>(await apiPost(server, "/api/plan", { selection: "--stale" }), 400)).error.code).toBe("USAGE");
    expect((await body<ApiError>(await apiPost(server, "/api/plan", { selection: "days", partitions: "nope..x" }), 400)).error.code).toBeDefined();
    // an upstream never materialized and not selected: a conflict with the state (409), the CLI's message
    const missing = await body<ApiError>(await apiPost(server, "/api/materialize", { selection: "down_of_never" }), 409);
    expect(missing.error.code).toBe("MISSING_UPSTREAM");
    expect(missing.error.message).toContain('"up_never"');
    const raw = await fetch(`${server.origin}/api/plan`, { method: "POST", headers: { "X-Dagx-Token": TOKEN, Origin: server.origin, "Content-Type": "application/json" }, body: "{" });
    expect(raw.status).toBe(400);
  });
});

describe("materialize in a child process", () => {
  test("answers the run id at once; the run has trigger ui, shows in /api/runs and succeeds", async () => {
    const t0 = performance.now();
    const { runId } = await body<{ runId: string }>(await apiPost(server, "/api/materialize", { selection: "fast+", tags: { ticket: "UI-1" } }), 202);
    expect(performance.now() - t0).toBeLessThan(5000);
    expect(runId).toMatch(/^[0-9a-f-]{36}$/);
    const run = await waitRun(runId, (r) => r?.status === "success");
    expect(run?.status).toBe("success");
    expect(run?.trigger).toBe("ui");
    expect(run?.tags).toEqual({ ticket: "UI-1" });
    const { runs } = (await (await apiGet(server, "/api/runs?trigger=ui")).json()) as ApiRuns;
    expect(runs.map((r) => r.runId)).toContain(runId);
    // nothing stale now: a --stale launch starts nothing
    const none = await body<{ runId: null; status: string }>(await apiPost(server, "/api/materialize", { selection: "fast+", stale: true }), 200);
    expect(none).toMatchObject({ runId: null, status: "nothing" });
  }, 60_000);
  test("reserved tags are refused before anything starts", async () => {
    const e = await body<ApiError>(await apiPost(server, "/api/materialize", { selection: "fast", tags: { "dagx/x": "1" } }), 400);
    expect(e.error.message).toContain("dagx/");
  });
  test("a crash of user code kills the child, never the server; the run ends abandoned", async () => {
    const { runId } = await body<{ runId: string }>(await apiPost(server, "/api/materialize", { selection: "crash" }), 202);
    const run = await waitRun(runId, (r) => r !== null && r.status !== "running");
    expect(run?.status).toBe("abandoned");
    expect((await apiGet(server, "/api/meta")).status).toBe(200);
  }, 60_000);
  test("a launch whose child fails before recording the run says why on /api/runs/<id>", async () => {
    const { runId } = await body<{ runId: string }>(await apiPost(server, "/api/materialize", { selection: "child_breaks" }), 202);
    let e: ApiError | null = null;
    for (let i = 0; i < 300 && e?.error.code !== "LAUNCH_FAILED"; i++) {
      await Bun.sleep(100);
      e = (await (await apiGet(server, `/api/runs/${runId}`)).json()) as ApiError;
    }
    expect(e?.error.code).toBe("LAUNCH_FAILED");
    expect(e?.error.message).toContain(`Run ${runId} did not start`);
    expect(e?.error.message).toContain("only in the child");
  }, 60_000);
  test("cancel: a running run is flagged and ends canceled; the stream names its events", async () => {
    const stream = await fetch(`${server.origin}/api/events`, { headers: { Cookie: `dagx_token=${TOKEN}`, Origin: server.origin } });
    const { runId } = await body<{ runId: string }>(await apiPost(server, "/api/materialize", { selection: "slow" }), 202);
    const running = await waitRun(runId, (r) => r?.status === "running");
    expect(running?.status).toBe("running");
    const assets = (await (await apiGet(server, "/api/assets")).json()) as { assets: { key: string; status: string; runningRuns: string[] }[] };
    expect(assets.assets.find((a) => a.key === "slow")).toMatchObject({ status: "running", runningRuns: [runId] });
    const seen = await readEvents(stream, (events) => events.some((e) => JSON.parse(e.data).runIds?.includes(runId)), 10_000);
    expect(seen.events.some((e) => JSON.parse(e.data).runIds?.includes(runId))).toBe(true);
    const c = await body<{ runId: string; status: string }>(await apiPost(server, `/api/runs/${runId}/cancel`), 200);
    expect(c).toEqual({ runId, status: "cancel-requested" });
    const ended = await waitRun(runId, (r) => r?.status !== "running", 15_000);
    expect(ended?.status).toBe("canceled");
    expect((await body<ApiError>(await apiPost(server, "/api/runs/nope/cancel"), 404)).error.code).toBe("NOT_FOUND");
  }, 60_000);
});

describe("backfill", () => {
  test("launches with the id answered at once and runs to success; canceling a finished one says so", async () => {
    const { backfillId } = await body<{ backfillId: string }>(await apiPost(server, "/api/backfill", { selection: "days", partitions: "2024-01-01..2024-01-03" }), 202);
    type Shown = { status: string; counts: { success: number } };
    let b = null as Shown | null;
    for (let i = 0; i < 300; i++) {
      const res = await apiGet(server, `/api/backfills/${backfillId}`);
      if (res.status === 200) {
        b = (await res.json()) as Shown;
        if (b.status === "success") break;
      }
      await Bun.sleep(100);
    }
    expect(b?.status).toBe("success");
    expect(b?.counts.success).toBe(3);
    const r = await body<{ backfillId: string; status: string }>(await apiPost(server, `/api/backfills/${backfillId}/cancel`), 200);
    expect(r).toEqual({ backfillId, status: "success" });
    // resume runs `dagx backfill --resume ID` in a child: nothing left to do, it ends success again
    expect(await body(await apiPost(server, `/api/backfills/${backfillId}/resume`), 202)).toEqual({ backfillId, status: "running" });
    await until(async () => server.launcher.running === 0, "the resume child to end", 30_000);
    expect(((await (await apiGet(server, `/api/backfills/${backfillId}`)).json()) as Shown).status).toBe("success");
    expect((await body<ApiError>(await apiPost(server, "/api/backfills/nope/resume"), 404)).error.code).toBe("NOT_FOUND");
    expect((await body<ApiError>(await apiPost(server, "/api/backfill", { selection: "days" }), 400)).error.message).toContain("partitions");

  }, 60_000);
});

describe("schedules and sensors", () => {
  test("stop and start go through the store as the CLI does", async () => {
    expect(await body(await apiPost(server, "/api/schedules/nightly/stop"), 200)).toEqual({ name: "nightly", status: "stopped" });
    const s = (await (await apiGet(server, "/api/schedules")).json()) as { schedules: { name: string; status: string }[] };
    expect(s.schedules.find((x) => x.name === "nightly")?.status).toBe("stopped");
    expect(await body(await apiPost(server, "/api/schedules/nightly/start"), 200)).toEqual({ name: "nightly", status: "running" });
    expect(await body(await apiPost(server, "/api/sensors/poller/stop"), 200)).toEqual({ name: "poller", status: "stopped" });
    const e = await body<ApiError>(await apiPost(server, "/api/sensors/polller/stop"), 404);
    expect(e.error.message).toContain('"poller"');
  });
});
