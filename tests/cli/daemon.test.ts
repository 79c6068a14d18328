/**
 * `dagx daemon` as a real process: clean stop on SIGTERM/SIGINT, one daemon per project, kill -9
 * and restart (no tick twice, none lost beyond catch-up), and other commands meanwhile.
 */
import { afterAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { createDuckDBStateStore } from "../../io/state/duckdb-store.ts";
import type { TickRecord } from "../../core/types.ts";
import { dagx, runDagx } from "./helpers.ts";
import { alive, childPids, type Live, startLive, until, liveFixtures } from "./live.ts";

setDefaultTimeout(60_000);
const fx = liveFixtures("dagx-daemon-cli-");
afterAll(() => fx.cleanup());
const project = fx.project;

function daemon(dir: string, args: string[] = []): Live {
  const l = startLive(dir, ["daemon", ...args]);
  fx.track(l);
  return l;
}

interface RunJson {
  runId: string;
  status: string;
  trigger: string;
  selection: string;
}
const runs = async (dir: string) => (await runDagx(dir, ["runs", "--json", "--limit", "1000"])).json<RunJson[]>();

const count = (text: string, needle: string) => text.split(needle).length - 1;

describe("dagx daemon: lifecycle", () => {
  const FILES = {
    "a.asset.ts": `import { asset, schedule } from "dagx";
export const a = asset(() => [{ at: Date.now() }]);
export const slow = asset(async (ctx) => {
  await Bun.write("slow.started", String(Date.now()));
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(resolve, 30_000);
    ctx.signal.addEventListener("abort", () => { clearTimeout(t); reject(new Error("stopped by signal")); });
  });
  return 1;
});
export const every = schedule({ cron: "*/1 * * * * *", select: "a" });
`,
  };

  test("runs a seconds cron; a second daemon refuses with exit 2 naming the first's pid; SIGTERM stops it cleanly within seconds", async () => {
    const dir = project(FILES);
    const d = daemon(dir);
    await d.waitFor("daemon started: 1 schedule(s)");
    await d.waitFor(/schedule every: run \S+ success/);

    const second = await dagx(dir, ["daemon"], { timeoutMs: 20_000 });
    expect(second.code).toBe(2);
    expect(second.stderr).toContain(`Another dagx daemon (pid ${d.pid}) already runs schedules and sensors for this project`);
    // status names the lock's holder, and taking a look does not take the lock from it
    const status = (await runDagx(dir, ["daemon", "status", "--json"])).json<{ election: string; leader: { pid: number } | null; standbys: unknown[] }>();
    expect(status).toMatchObject({ election: "file-lock", leader: { pid: d.pid }, standbys: [] });

    const t0 = Date.now();
    expect(await d.stop("SIGTERM")).toBe(0);
    expect(Date.now() - t0).toBeLessThan(5_000);
    expect(d.text()).toContain("daemon stopped");
    const all = await runs(dir);
    expect(all.filter((r) => r.trigger === "schedule:every").every((r) => r.status === "success")).toBe(true);

    expect((await runDagx(dir, ["daemon", "status", "--json"])).json<{ leader: unknown }>().leader).toBeNull();
    // the lock went with it: a new daemon starts
    const again = daemon(dir);
    await again.waitFor("daemon started");
    expect(await again.stop("SIGINT")).toBe(0);
  });

  test("SIGINT during a run cancels it gracefully (ctx.signal), records it canceled and exits within seconds", async () => {
    const dir = project({ ...FILES, "a.asset.ts": FILES["a.asset.ts"].replace('select: "a"', 'select: "slow"') });
    const d = daemon(dir);
    await d.waitFor("daemon started");
    await until(() => existsSync(join(dir, "slow.started")), "the slow step to start", 30_000, () => d.text());
    const t0 = Date.now();
    expect(await d.stop("SIGINT")).toBe(0);
    expect(Date.now() - t0).toBeLessThan(6_000);
    expect(d.text()).toContain("daemon stopping: canceling 1 run(s) in progress");
    const all = await runs(dir);
    expect(all.filter((r) => r.trigger === "schedule:every").map((r) => r.status)).toEqual(["canceled"]);
  });
});

describe("dagx daemon: kill -9 and restart", () => {
  test("no tick runs twice, every tick is accounted for (run, missed or skipped), only the latest missed tick runs, a run key never runs twice", async () => {
    const dir = project({
      "a.asset.ts": `import { asset, schedule, sensor } from "dagx";
export const a = asset(async () => { await Bun.sleep(150); return [{ at: Date.now() }]; });
export const b = asset(() => [{ at: Date.now() }]);
export const every = schedule({ cron: "*/1 * * * * *", select: "a" });
// asks for the same three run keys on every tick: each must run once, across restarts
export const keys = sensor({ interval: "1s", select: "b" }, (ctx) => ({
  runRequests: ["x", "y", "z"].map((k) => ({ runKey: k })),
  cursor: String(Number(ctx.cursor ?? 0) + 1),
}));
`,
    });
    const d1 = daemon(dir);
    await d1.waitFor("daemon started");
    await until(() => count(d1.text(), "schedule every: tick") >= 3, "3 ticks before the kill", 30_000, () => d1.text());
    expect(await d1.stop("SIGKILL")).not.toBe(0);
    await Bun.sleep(2_500); // down for at least 2 ticks
    const d2 = daemon(dir);
    await d2.waitFor(/tick\(s\) missed while the daemon was down/);
    await until(() => count(d2.text(), "requested a run") >= 3, "3 ticks after the restart", 30_000, () => d2.text());
    expect(await d2.stop("SIGTERM")).toBe(0);
    expect(d2.text()).not.toMatch(/lock/i);

    const store = createDuckDBStateStore(join(dir, ".dagx/state.duckdb"));
    let ticks: TickRecord[];
    let requests: Awaited<ReturnType<typeof store.listRunRequests>>;
    try {
      ticks = (await store.listTicks({ name: "every" })).sort((x, y) => x.tickAt - y.tickAt);
      requests = await store.listRunRequests();
    } finally {
      await store.close();
    }
    // every second from the first tick to the last is covered exactly once: run, skipped, or within a missed range
    const covered: number[] = [];
    let missedRecords = 0;
    for (const t of ticks) {
      // on a loaded machine the loop may also come round late and miss a tick while running
      const m = /^(\d+) tick\(s\) missed while the daemon (was down|loop ran late) \((\S+) … (\S+)\)$/.exec(t.reason ?? "");
      if (t.reason === "missed while the daemon was down" || t.reason === "missed while the daemon loop ran late") {
        if (t.reason.includes("down")) missedRecords++;
        covered.push(t.tickAt);
      } else if (m) {
        if (m[2] === "was down") missedRecords++;
        const [from, to] = [Date.parse(m[3]!), Date.parse(m[4]!)];
        expect(to).toBe(t.tickAt);
        expect((to - from) / 1000 + 1).toBe(Number(m[1]));
        for (let s = from; s <= to; s += 1000) covered.push(s);
      } else covered.push(t.tickAt);
    }
    const shown = ticks.map((t) => `${new Date(t.tickAt).toISOString()} ${t.status} ${t.reason ?? ""}`).join("\n");
    expect(`${missedRecords} missed record(s)\n${shown}`).toStartWith("1 missed record(s)\n");
    covered.sort((x, y) => x - y);
    const seconds = (covered.at(-1)! - covered[0]!) / 1000 + 1;
    expect(covered.length).toBe(seconds);
    expect(new Set(covered).size).toBe(seconds);
    // the missed ticks are followed by a run of the latest due tick
    const missedAt = ticks.findIndex((t) => t.reason?.includes("missed while the daemon was down"));
    expect(ticks[missedAt + 1]!.status).toBe("requested");
    expect(ticks[missedAt + 1]!.tickAt).toBe(ticks[missedAt]!.tickAt + 1000);

    // runs per tick: each schedule run belongs to exactly one request, each request (tick) has at most one run
    const all = await runs(dir);
    const scheduleRuns = all.filter((r) => r.trigger === "schedule:every");
    const everyRequests = requests.filter((r) => r.source === "every");
    const linked = everyRequests.flatMap((r) => (r.runId ? [r.runId] : []));
    expect(new Set(linked).size).toBe(linked.length);
    expect(scheduleRuns.map((r) => r.runId).sort()).toEqual([...linked].sort());
    const requestedTicks = ticks.filter((t) => t.status === "requested");
    expect(everyRequests.length).toBe(requestedTicks.length);
    expect(new Set(everyRequests.map((r) => r.runKey)).size).toBe(everyRequests.length);

    // the sensor's three run keys: one request and one run each, although asked for on every tick of both daemons
    const sensorRequests = requests.filter((r) => r.source === "keys");
    expect(sensorRequests.map((r) => r.runKey).sort()).toEqual(["sensor:keys:x", "sensor:keys:y", "sensor:keys:z"]);
    const sensorRuns = all.filter((r) => r.trigger === "sensor:keys");
    expect(sensorRuns.length).toBe(3);
    expect(sensorRuns.map((r) => r.runId).sort()).toEqual(sensorRequests.map((r) => r.runId ?? "").sort());
  });
});

describe("dagx daemon: kill -9 between creating a run and marking its request started", () => {
  test("after a restart the request is not launched again: its run (chosen with the request) is found and recorded abandoned", async () => {
    const dir = project({
      "a.asset.ts": `import { asset, sensor } from "dagx";
export const b = asset(() => [{ at: Date.now() }]);
export const once = sensor({ interval: "1s", select: "b" }, () => ({ runRequests: [{ runKey: "only" }] }));
`,
    });
    // the first daemon kills itself (SIGKILL) right after creating the run, before marking the request started
    const d1 = fx.track(startLive(dir, ["daemon"], { DAGX_CRASH_AT: "run-created" }));
    expect(await d1.exited).not.toBe(0);
    const d2 = daemon(dir);
    await d2.waitFor("daemon started");
    // two more sensor ticks (the run key dedupes them) and as many launcher rounds
    let from = 0;
    for (let i = 0; i < 2; i++) from = await d2.waitFor("skipped (run key already used)", { from });
    await Bun.sleep(1_500);
    expect(await d2.stop("SIGTERM")).toBe(0);

    const once = (await runs(dir)).filter((r) => r.trigger === "sensor:once");
    expect(once.map((r) => r.status)).toEqual(["abandoned"]);
    const store = createDuckDBStateStore(join(dir, ".dagx/state.duckdb"));
    try {
      const requests = await store.listRunRequests({ source: "once" });
      expect(requests.length).toBe(1);
      expect(requests[0]).toMatchObject({ status: "started", runId: once[0]!.runId });
      expect(requests[0]!.reason).toContain("abandoned");
    } finally {
      await store.close();
    }
    expect(d2.text()).toContain(`run ${once[0]!.runId} was abandoned`);
  });
});

describe("dagx daemon: other commands meanwhile", () => {
  test("status, materialize, backfill and query work with no lock error; eager automation fires after an upstream materialized from another terminal; the automation cap is logged", async () => {
    const day = (n: number) => new Date(Date.now() - n * 86_400_000).toISOString().slice(0, 10);
    const dir = project({
      "a.asset.ts": `import { asset, daily, eager, onMissing, schedule } from "dagx";
export const src = asset(() => [{ id: 1, at: Date.now() }, { id: 2, at: Date.now() }]);
export const down = asset({ ins: { src }, automation: eager() }, (ctx, { src }) => ctx.sql\`select count(*)::int as n from \${src}\`);
export const events = asset({ partitions: daily({ start: "${day(5)}" }) }, (ctx) => [{ day: ctx.partition.key }]);
export const hist = asset({ partitions: daily({ start: "${day(5)}" }), automation: onMissing() }, (ctx) => [{ day: ctx.partition.key }]);
export const beat = asset(() => [{ at: Date.now() }]);
export const every = schedule({ cron: "*/1 * * * * *", select: "beat" });
`,
    });
    const d = daemon(dir, ["--automation-interval", "1s", "--max-automation-requests", "2"]);
    await d.waitFor("daemon started");
    await d.waitFor(/capped at 2 request\(s\): \d+ left for the next evaluation — a guard against surprise mass runs; raise it with --max-automation-requests/);

    for (let round = 0; round < 2; round++) {
      // four processes at once beside the daemon's
      const [m, s, b, q] = await Promise.all([
        dagx(dir, ["materialize", "src", "--json"]),
        dagx(dir, ["status", "--json"]),
        dagx(dir, ["backfill", "events", "--partitions", `${day(5)}..${day(1)}`, "--json"]),
        dagx(dir, ["query", "select 1 as one", "--json"]),
      ]);
      for (const r of [m, s, b, q]) {
        expect(r.stderr).not.toMatch(/lock/i);
        expect(r.code).toBe(0);
      }
      expect(m.json<{ status: string }>().status).toBe("success");
      expect(q.json()).toEqual([{ one: 1 }]);
      // the loop sees the materialization from this terminal: down follows
      await until(async () => (await runs(dir)).filter((r) => r.trigger === "automation:automation" && r.selection === "down" && r.status === "success").length === round + 1, `down materialized by automation (round ${round + 1})`, 30_000, () => d.text());
    }
    const st = (await runDagx(dir, ["status", "--json"])).json<{ key: string; status: string }[]>();
    expect(st.find((x) => x.key === "down")!.status).toBe("fresh");
    expect((await runDagx(dir, ["query", "select n from down", "--json"])).json()).toEqual([{ n: 2 }]);
    await until(async () => {
      const h = (await runDagx(dir, ["status", "--json", "hist"])).json<{ partitions?: { missing: number } }[]>();
      return h[0]?.partitions?.missing === 0;
    }, "every hist partition materialized by onMissing", 30_000, () => d.text());
    expect(await d.stop("SIGTERM")).toBe(0);
    expect(d.text()).not.toMatch(/lock/i);
    expect(d.text()).toMatch(/automation: requested down: down: upstream "src" updated/);
  });
});
