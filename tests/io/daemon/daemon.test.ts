/**
 * runDaemon in-process: schedules (DST, catch-up, overlap), sensors (cursor, run keys, failures,
 * timeouts) with an injected clock and a tiny tickMs; automation (eager, onCron, onMissing, cap)
 * with the real clock (materializations carry real times). User code reaches the test through
 * `globalThis.__dagxTest` (asset and sensor code runs in this process).
 */
import { afterAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { dueTicks } from "../../../core/automation/index.ts";
import type { TickRecord } from "../../../core/types.ts";
import type { StateStore } from "../../../core/state-store.ts";
import { croner } from "../../../io/daemon/cron.ts";
import { runDaemon } from "../../../io/daemon/daemon.ts";
import { createDuckDBStateStore } from "../../../io/state/duckdb-store.ts";
import { runMaterialize } from "../../../io/run/materialize.ts";
import { createMemoryStateStore } from "../../../io/state/memory-store.ts";
import { loadProject, type Project } from "../../../io/project/project.ts";
import { makeProject, removeProject } from "../../cli/helpers.ts";

setDefaultTimeout(40_000);
const dirs: string[] = [];
afterAll(() => dirs.forEach(removeProject));

interface TestGlobals {
  gate?: Promise<void>;
  started?: number;
  files?: string[];
  replay?: string[];
  sensorCursors?: (string | null)[];
  result?: unknown;
}
const g = globalThis as unknown as { __dagxTest: TestGlobals };
g.__dagxTest = {};

async function project(files: Record<string, string>): Promise<Project> {
  const dir = makeProject({ ".dagx/.keep": "", ...files }, "dagx-daemon-io-");
  dirs.push(dir);
  return loadProject(dir, { exactRoot: true, now: () => performance.now() });
}

/** Poll `cond` until true; fail with `label` (and the daemon log) after `ms`. */
async function until(cond: () => boolean | Promise<boolean>, label: string, ms = 15_000, logs?: string[]): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${label}${logs ? `\ndaemon log:\n${logs.join("\n")}` : ""}`);
    await Bun.sleep(10);
  }
}

/** An injected clock that counts its reads (a loop iteration reads it several times). */
function fakeClock(start: number) {
  let t = start;
  let reads = 0;
  return {
    now: () => {
      reads++;
      return t;
    },
    set(v: number) {
      t = v;
    },
    advance(ms: number) {
      t += ms;
    },
    /** Resolve once the loop has read the clock `n` more times: at least one full iteration at the current time. */
    async settle(n = 16) {
      const target = reads + n;
      await until(() => reads >= target, "the daemon loop to go round");
    },
  };
}

function start(p: Project, store: StateStore, o: { now?: () => number; automationMs?: number; maxAutomationRequests?: number; tickMs?: number; maxRuns?: number } = {}) {
  const controller = new AbortController();
  const logs: string[] = [];
  const done = runDaemon({ project: p, store, signal: controller.signal, log: (l) => logs.push(l), tickMs: o.tickMs ?? 5, concurrency: 2, maxRuns: 2, ...o });
  return {
    logs,
    done,
    async stop() {
      controller.abort();
      await done;
    },
  };
}

const iso = (t: number) => new Date(t).toISOString();
const ticksOf = async (store: StateStore, name: string): Promise<TickRecord[]> => (await store.listTicks({ name })).sort((a, b) => a.tickAt - b.tickAt || a.evaluatedAt - b.evaluatedAt);
const runsOf = async (store: StateStore, trigger: string) => (await store.listRuns({ limit: 10_000 })).filter((r) => r.trigger === trigger);
const finished = async (store: StateStore, trigger: string, n: number) => {
  const runs = await runsOf(store, trigger);
  return runs.length >= n && runs.every((r) => r.status !== "running");
};

const QUICK = `import { asset, schedule } from "dagx";\nexport const a = asset(() => [{ id: 1 }]);\n`;

describe("schedules across daylight-saving changes (Europe/Berlin)", () => {
  // "30 2 * * *": 02:30 does not exist on 2024-03-31 (cron runs it at 03:00 CEST) and happens twice on 2024-10-27 (cron runs it once)
  const cases = [
    { day: "spring forward 2024-03-31", from: "2024-03-29T12:00:00Z", to: "2024-04-01T12:00:00Z", ticks: ["2024-03-30T01:30:00.000Z", "2024-03-31T01:00:00.000Z", "2024-04-01T00:30:00.000Z"] },
    { day: "fall back 2024-10-27", from: "2024-10-25T12:00:00Z", to: "2024-10-28T12:00:00Z", ticks: ["2024-10-26T00:30:00.000Z", "2024-10-27T00:30:00.000Z", "2024-10-28T01:30:00.000Z"] },
  ];

  for (const c of cases) {
    test(`dueTicks + croner: "30 2 * * *" over the ${c.day} ticks once a day at cron's times`, () => {
      const due = dueTicks({ createdAt: Date.parse(c.from), lastTickAt: null }, { cron: "30 2 * * *", timezone: "Europe/Berlin", catchUp: "all" }, Date.parse(c.to), croner);
      expect(due.runs.map(iso)).toEqual(c.ticks);
      expect(due.missed).toEqual([]);
    });

    test(`runDaemon with an injected clock stepping through the ${c.day}: one run per tick, none in the gap or the repeated hour`, async () => {
      const p = await project({ "s.asset.ts": `${QUICK}export const berlin = schedule({ cron: "30 2 * * *", timezone: "Europe/Berlin", select: "a" });\n` });
      const store = createMemoryStateStore();
      const clock = fakeClock(Date.parse(c.from));
      const d = start(p, store, { now: clock.now });
      try {
        // 20-minute steps: every tick is seen on time, one at a time
        for (let t = Date.parse(c.from); t <= Date.parse(c.to); t += 20 * 60_000) {
          clock.set(t);
          const expected = c.ticks.filter((x) => Date.parse(x) <= t).length;
          await until(async () => (await store.listTicks({ name: "berlin" })).length === expected, `${expected} tick(s) at ${iso(t)}`, 15_000, d.logs);
          // the clock runs far faster than the runs: let each finish, so overlap never skips a tick here
          await until(() => finished(store, "schedule:berlin", expected), `${expected} run(s)`, 15_000, d.logs);
          // the loop sees the first instant (the schedule's creation) and every instant near a tick
          if (t === Date.parse(c.from) || c.ticks.some((x) => Math.abs(Date.parse(x) - t) < 40 * 60_000)) await clock.settle();
        }
        await until(() => finished(store, "schedule:berlin", 3), "3 runs", 15_000, d.logs);
      } finally {
        await d.stop();
      }
      const ticks = await ticksOf(store, "berlin");
      expect(ticks.map((t) => iso(t.tickAt))).toEqual(c.ticks);
      expect(ticks.map((t) => t.status)).toEqual(["requested", "requested", "requested"]);
      const runs = await runsOf(store, "schedule:berlin");
      expect(runs.map((r) => r.status)).toEqual(["success", "success", "success"]);
      const requests = await store.listRunRequests({ source: "berlin" });
      expect(requests.map((r) => r.runKey)).toEqual(c.ticks.map((t) => `schedule:berlin:${t}`));
      expect(new Set(requests.map((r) => r.runId)).size).toBe(3);
    });
  }
});

describe("schedules: catch-up after downtime, never before the schedule existed, no tick twice", () => {
  test('after 50 minutes down: "latest" runs only the newest missed tick, "all" every one, "none" none (late); a restart with nothing due runs nothing', async () => {
    const p = await project({
      "s.asset.ts": `${QUICK}
export const latest_s = schedule({ cron: "*/10 * * * *", select: "a" });
export const all_s = schedule({ cron: "*/10 * * * *", select: "a", catchUp: "all" });
export const none_s = schedule({ cron: "*/10 * * * *", select: "a", catchUp: "none" });
`,
    });
    const store = createMemoryStateStore();
    const at = (hm: string) => Date.parse(`2024-01-01T${hm}Z`);
    const names = ["latest_s", "all_s", "none_s"];
    const clock = fakeClock(at("12:05:00"));
    let d = start(p, store, { now: clock.now });
    try {
      await clock.settle();
      // 12:00 is before the schedules were first seen (12:05): never run
      expect(await store.listTicks()).toEqual([]);
      clock.set(at("12:10:30"));
      await until(async () => (await store.listTicks()).length === 3, "the 12:10 ticks", 15_000, d.logs);
      for (const n of names) await until(() => finished(store, `schedule:${n}`, 1), `run of ${n}`, 15_000, d.logs);
    } finally {
      await d.stop();
    }
    // down from 12:10:30 to 13:02 (ticks 12:20 … 13:00 missed)
    clock.set(at("13:02:00"));
    d = start(p, store, { now: clock.now });
    try {
      await until(async () => (await store.listTicks()).length >= 3 + 2 + 5 + 1, "the catch-up ticks", 15_000, d.logs);
      await until(() => finished(store, "schedule:latest_s", 2), "latest_s runs", 15_000, d.logs);
      await until(() => finished(store, "schedule:all_s", 6), "all_s runs", 15_000, d.logs);
      await clock.settle();
    } finally {
      await d.stop();
    }
    const latest = await ticksOf(store, "latest_s");
    expect(latest.map((t) => [iso(t.tickAt), t.status])).toEqual([
      ["2024-01-01T12:10:00.000Z", "requested"],
      ["2024-01-01T12:50:00.000Z", "skipped"],
      ["2024-01-01T13:00:00.000Z", "requested"],
    ]);
    expect(latest[1]!.reason).toBe("4 tick(s) missed while the daemon was down (2024-01-01T12:20:00.000Z … 2024-01-01T12:50:00.000Z)");
    const all = await ticksOf(store, "all_s");
    expect(all.map((t) => [iso(t.tickAt).slice(11, 16), t.status])).toEqual([
      ["12:10", "requested"], ["12:20", "requested"], ["12:30", "requested"], ["12:40", "requested"], ["12:50", "requested"], ["13:00", "requested"],
    ]);
    const none = await ticksOf(store, "none_s");
    // catchUp "none": the latest tick (13:00) is 2 minutes late, so it is missed too; one record for all five
    expect(none.map((t) => [iso(t.tickAt).slice(11, 16), t.status])).toEqual([["12:10", "requested"], ["13:00", "skipped"]]);
    expect(none[1]!.reason).toBe("5 tick(s) missed while the daemon was down (2024-01-01T12:20:00.000Z … 2024-01-01T13:00:00.000Z)");
    const counts = async () => Object.fromEntries(await Promise.all(names.map(async (n) => [n, (await runsOf(store, `schedule:${n}`)).length])));
    expect(await counts()).toEqual({ latest_s: 2, all_s: 6, none_s: 1 });

    // restart again at the same time: nothing is due, nothing runs twice
    const before = (await store.listTicks()).length;
    d = start(p, store, { now: clock.now });
    try {
      await clock.settle(40);
    } finally {
      await d.stop();
    }
    expect((await store.listTicks()).length).toBe(before);
    expect(await counts()).toEqual({ latest_s: 2, all_s: 6, none_s: 1 });
    const keys = (await store.listRunRequests()).map((r) => r.runKey);
    expect(new Set(keys).size).toBe(keys.length);
  });

  test('partitions "latest" with catchUp "all": each caught-up tick materializes the window that was latest at its own time, tagged with its tick', async () => {
    const p = await project({
      "s.asset.ts": `import { asset, daily, schedule } from "dagx";
export const events = asset({ partitions: daily({ start: "2024-06-01" }) }, (ctx) => [{ day: ctx.partition!.key }]);
export const nightly = schedule({ cron: "0 1 * * *", select: "events", partitions: "latest", catchUp: "all" });
`,
    });
    const store = createMemoryStateStore();
    const clock = fakeClock(Date.parse("2024-06-05T12:00:00Z"));
    let d = start(p, store, { now: clock.now });
    try {
      await clock.settle();
    } finally {
      await d.stop();
    }
    // down over three nights: the ticks of June 6, 7 and 8 (01:00) all run on restart
    clock.set(Date.parse("2024-06-08T12:00:00Z"));
    d = start(p, store, { now: clock.now });
    try {
      await until(() => finished(store, "schedule:nightly", 3), "3 caught-up runs", 15_000, d.logs);
    } finally {
      await d.stop();
    }
    const days = ["2024-06-05", "2024-06-06", "2024-06-07"];
    const all = (await store.partitionSummary("events", p.graph.assets.get("events")!.codeVersion)).materializedCount;
    expect(all).toBe(3);
    expect((await store.latestPartitionMaterializations("events", days)).map((m) => m.partitionKey)).toEqual(days);
    const requests = await store.listRunRequests({ source: "nightly" });
    expect(requests.map((r) => [r.asOf === undefined ? null : iso(r.asOf), r.partitions])).toEqual([
      ["2024-06-06T01:00:00.000Z", "latest"], ["2024-06-07T01:00:00.000Z", "latest"], ["2024-06-08T01:00:00.000Z", "latest"],
    ]);
    const runs = await runsOf(store, "schedule:nightly");
    expect(runs.map((r) => r.tags?.["dagx/tick"]).sort()).toEqual(["2024-06-06T01:00:00.000Z", "2024-06-07T01:00:00.000Z", "2024-06-08T01:00:00.000Z"]);
    expect(runs.every((r) => r.tags?.["dagx/schedule"] === "nightly" && r.assets?.join() === "events")).toBe(true);
  });

  test("ticks a running daemon's late loop skipped are recorded as such, not as downtime", async () => {
    const p = await project({ "s.asset.ts": `${QUICK}export const secs = schedule({ cron: "*/1 * * * * *", select: "a" });\n` });
    const store = createMemoryStateStore();
    const t0 = Date.parse("2024-06-01T00:00:00.500Z");
    const clock = fakeClock(t0);
    const d = start(p, store, { now: clock.now });
    try {
      await clock.settle();
      clock.set(t0 + 3000); // the loop comes round 3 s later: 00:01 and 00:02 were due meanwhile
      await until(async () => (await store.listTicks({ name: "secs" })).length === 2, "2 tick records", 15_000, d.logs);
      await until(() => finished(store, "schedule:secs", 1), "the run", 15_000, d.logs);
    } finally {
      await d.stop();
    }
    const ticks = await ticksOf(store, "secs");
    expect(ticks.map((t) => [iso(t.tickAt).slice(17, 19), t.status, t.reason])).toEqual([
      ["02", "skipped", "2 tick(s) missed while the daemon loop ran late (2024-06-01T00:00:01.000Z … 2024-06-01T00:00:02.000Z)"],
      ["03", "requested", null],
    ]);
  });

  test('overlap "skip" (default): ticks while the previous run still runs are recorded skipped with the reason; the next one after it finished runs', async () => {
    const p = await project({
      "s.asset.ts": `import { asset, schedule } from "dagx";
export const slow = asset(async () => { const t = (globalThis as any).__dagxTest; t.started = (t.started ?? 0) + 1; await t.gate; return 1; });
export const every_second = schedule({ cron: "*/1 * * * * *", select: "slow" });
`,
    });
    let release: () => void = () => {};
    g.__dagxTest.gate = new Promise<void>((r) => (release = r));
    g.__dagxTest.started = 0;
    const store = createMemoryStateStore();
    const t0 = Date.parse("2024-06-01T00:00:00.500Z");
    const clock = fakeClock(t0);
    const d = start(p, store, { now: clock.now });
    try {
      clock.set(t0 + 1000);
      await until(() => g.__dagxTest.started === 1, "the first run to start", 15_000, d.logs);
      clock.set(t0 + 2000);
      await until(async () => (await store.listTicks({ name: "every_second" })).length === 2, "tick 2", 15_000, d.logs);
      clock.set(t0 + 3000);
      await until(async () => (await store.listTicks({ name: "every_second" })).length === 3, "tick 3", 15_000, d.logs);
      release();
      await until(() => finished(store, "schedule:every_second", 1), "the first run to finish", 15_000, d.logs);
      clock.set(t0 + 4000);
      await until(() => finished(store, "schedule:every_second", 2), "the second run", 15_000, d.logs);
    } finally {
      release();
      await d.stop();
    }
    const ticks = await ticksOf(store, "every_second");
    expect(ticks.map((t) => [iso(t.tickAt).slice(17, 19), t.status])).toEqual([["01", "requested"], ["02", "skipped"], ["03", "skipped"], ["04", "requested"]]);
    expect(ticks[1]!.reason).toContain('the previous run of schedule "every_second" is still running (overlap: "skip")');
    expect((await runsOf(store, "schedule:every_second")).map((r) => r.status)).toEqual(["success", "success"]);
    expect(d.logs.join("\n")).toContain("skipped: the previous run");
  });
});

describe("sensors", () => {
  const SENSOR_PROJECT = {
    "files.asset.ts": `import { asset, dynamicPartitions, sensor } from "dagx";
export const part = asset({ partitions: dynamicPartitions("files") }, (ctx) => ({ file: ctx.partition!.key }));
export const files_sensor = sensor({ interval: "1s", select: "part" }, (ctx) => {
  const t = (globalThis as any).__dagxTest;
  t.sensorCursors.push(ctx.cursor);
  const seen: string[] = ctx.cursor ? ctx.cursor.split(",") : [];
  const fresh = t.files.filter((f: string) => !seen.includes(f) || t.replay.includes(f));
  if (fresh.length === 0) return { skipReason: "no new files" };
  return {
    addPartitions: [{ name: "files", keys: fresh }],
    runRequests: fresh.map((f: string) => ({ partitions: f, runKey: f })),
    cursor: [...new Set([...seen, ...fresh])].join(","),
  };
});
`,
  };

  test("requests runs with partitions and run keys, adds dynamic partitions; the cursor is saved only with its runs (a failed record retries with the old cursor); a run key never runs twice", async () => {
    const p = await project(SENSOR_PROJECT);
    Object.assign(g.__dagxTest, { files: ["f1", "f2"], replay: [], sensorCursors: [] });
    const inner = createMemoryStateStore();
    let failNext = true;
    // the first attempt to record the sensor's tick fails (disk full, lock, crash…): nothing of it may stick
    const store = new Proxy(inner, {
      get(target, key) {
        if (key === "recordTick") {
          return (async (tick, requests, patch) => {
            if (tick.name === "files_sensor" && failNext) {
              failNext = false;
              throw new Error("disk full");
            }
            return target.recordTick(tick, requests, patch);
          }) satisfies StateStore["recordTick"];
        }
        const v = target[key as keyof StateStore];
        return typeof v === "function" ? v.bind(target) : v;
      },
    });
    const t0 = Date.parse("2024-06-01T00:00:00Z");
    const clock = fakeClock(t0);
    const d = start(p, store, { now: clock.now });
    const cursor = async () => (await store.listInstigators()).find((s) => s.name === "files_sensor")?.cursor ?? null;
    try {
      await until(() => finished(store, "sensor:files_sensor", 2), "2 sensor runs", 15_000, d.logs);
      // the failed attempt saw cursor null, so did the retry: the cursor had not been saved without its runs
      expect(g.__dagxTest.sensorCursors).toEqual([null, null]);
      expect(d.logs.join("\n")).toContain("disk full");
      expect(await cursor()).toBe("f1,f2");
      expect(await store.listDynamicPartitions("files")).toEqual(["f1", "f2"]);

      // next tick: f2 again (same run key) and a new f3: only f3 runs
      g.__dagxTest.files!.push("f3");
      g.__dagxTest.replay = ["f2"];
      clock.advance(1000);
      await until(() => finished(store, "sensor:files_sensor", 3), "the f3 run", 15_000, d.logs);
      g.__dagxTest.replay = [];
      clock.advance(1000);
      await until(async () => (await store.listTicks({ name: "files_sensor" })).length === 3, "the third tick", 15_000, d.logs);
      await clock.settle();
    } finally {
      await d.stop();
    }
    expect(g.__dagxTest.sensorCursors).toEqual([null, null, "f1,f2", "f1,f2,f3"]);
    expect(await cursor()).toBe("f1,f2,f3");
    const ticks = await ticksOf(store, "files_sensor");
    expect(ticks.map((t) => [t.status, t.reason, t.requestIds.length])).toEqual([
      ["requested", null, 2],
      ["requested", null, 1],
      ["skipped", "no new files", 0],
    ]);
    expect(d.logs.join("\n")).toContain("1 run(s) requested, 1 skipped (run key already used)");
    const requests = await store.listRunRequests({ source: "files_sensor" });
    expect(requests.map((r) => [r.runKey, r.partitions, r.status])).toEqual([
      ["sensor:files_sensor:f1", "f1", "started"],
      ["sensor:files_sensor:f2", "f2", "started"],
      ["sensor:files_sensor:f3", "f3", "started"],
    ]);
    const runs = await runsOf(store, "sensor:files_sensor");
    expect(runs.map((r) => r.status)).toEqual(["success", "success", "success"]);
    const mats = await store.latestPartitionMaterializations("part", ["f1", "f2", "f3"]);
    expect(mats.map((m) => m.partitionKey).sort()).toEqual(["f1", "f2", "f3"]);
  });

  test("a sensor that throws, one that exceeds its timeout and one returning a bad result record failed ticks, keep their cursor, and the loop goes on", async () => {
    const p = await project({
      "s.asset.ts": `${QUICK}import { sensor } from "dagx";
export const witness = schedule({ cron: "*/1 * * * * *", select: "a" });
export const boom = sensor({ interval: "1s", select: "a" }, () => { throw new Error("kaput"); });
export const hang = sensor({ interval: "1s", select: "a", timeout: "150ms" }, () => new Promise(() => {}));
export const typo = sensor({ interval: "1s", select: "a" }, () => ({ runRequest: [{}] }) as any);
export const nothing = sensor({ interval: "1s" }, () => ({ runRequests: [{ select: "a and not a" }] }));
export const fine = sensor({ interval: "1s", select: "a" }, (ctx) => ({ runRequests: [{ runKey: "same" }], cursor: String(Number(ctx.cursor ?? 0) + 1) }));
export const fine_too = sensor({ interval: "1s", select: "a" }, () => ({ runRequests: [{ runKey: "same" }] }));
`,
    });
    const store = createMemoryStateStore();
    const t0 = Date.parse("2024-06-01T00:00:00.500Z");
    const clock = fakeClock(t0);
    const d = start(p, store, { now: clock.now });
    const count = async (name: string) => (await store.listTicks({ name })).length;
    try {
      for (let i = 1; i <= 3; i++) {
        clock.set(t0 + i * 1000);
        for (const name of ["witness", "boom", "hang", "typo", "nothing", "fine"]) await until(async () => (await count(name)) >= i, `tick ${i} of ${name}`, 15_000, d.logs);
        await until(() => finished(store, "schedule:witness", i), `witness run ${i}`, 15_000, d.logs);
      }
    } finally {
      await d.stop();
    }
    const reasons = async (name: string) => (await ticksOf(store, name)).map((t) => `${t.status}: ${t.reason}`);
    expect(await reasons("boom")).toEqual(Array(3).fill("failed: sensor threw: kaput"));
    expect(await reasons("hang")).toEqual(Array(3).fill("failed: sensor threw: timed out after 150 ms"));
    for (const r of await reasons("typo")) expect(r).toMatch(/^failed: Sensor "typo" returned an invalid result: unknown field "runRequest" — did you mean "runRequests"/);
    expect(await reasons("nothing")).toEqual(Array(3).fill('failed: Sensor "nothing" returned an invalid run request: runRequests[0] selects no assets'));
    expect((await ticksOf(store, "witness")).map((t) => t.status)).toEqual(["requested", "requested", "requested"]);
    const states = new Map((await store.listInstigators()).map((s) => [s.name, s]));
    for (const n of ["boom", "hang", "typo", "nothing"]) expect(states.get(n)!.cursor).toBeNull();
    expect(states.get("fine")!.cursor).toBe("3");
    // run keys are scoped to their sensor: both "same" keys ran once, the repeats did not
    const keyed = (await store.listRunRequests()).filter((r) => r.kind === "sensor").map((r) => r.runKey);
    expect(keyed.sort()).toEqual(["sensor:fine:same", "sensor:fine_too:same"]);
    expect(d.logs.join("\n")).toContain("sensor boom: tick failed: kaput");
  });
});

describe("run requests are checked before their tick is committed", () => {
  test("a sensor's requests are checked before its cursor moves: a partitioned asset without partitions, an unknown key, an added key whose folder exceeds 255 bytes or holds a \"/\", partitions for no partitioned asset, a bad tag — each fails the tick with the reason, stores nothing and keeps the cursor", async () => {
    const p = await project({
      "s.asset.ts": `import { asset, dynamicPartitions, sensor } from "dagx";
export const part = asset({ partitions: dynamicPartitions("files") }, (ctx) => ({ file: ctx.partition!.key }));
export const plain = asset(() => 1);
export const strict = sensor({ interval: "1s", select: "part" }, (ctx) => {
  const t = (globalThis as any).__dagxTest;
  t.sensorCursors.push(ctx.cursor);
  return { ...t.result, cursor: String(Number(ctx.cursor ?? 0) + 1) };
});
`,
    });
    const long = "é".repeat(100); // 100 characters, 200 bytes, "partition=%C3%A9…" is 610 bytes as a folder
    const cases: { result: unknown; reason: RegExp }[] = [
      { result: { runRequests: [{ runKey: "a" }] }, reason: /^Sensor "strict" returned an invalid run request: runRequests\[0\] selects the partitioned asset "part" \(dynamicPartitions\(files\)\) but gives no partitions: add partitions: "latest" \(the newest partition\) or a range like "2024-01-01\.\.2024-01-31"$/ },
      { result: { runRequests: [{ partitions: "f9", runKey: "b" }] }, reason: /runRequests\[0\] partitions "f9" of "part": unknown partition "f9" of dynamicPartitions\(files\)$/ },
      { result: { addPartitions: [{ name: "files", keys: ["ok", long] }], runRequests: [{ partitions: "ok" }] }, reason: /addPartitions\[0\]\.keys\[1\] "é+" cannot be a partition key: it is too long: its folder name "partition=…" would be 610 bytes, over the 255-byte limit of file systems .*: use a shorter key$/ },
      { result: { addPartitions: [{ name: "files", keys: ["a/b"] }], runRequests: [{ partitions: "a/b" }] }, reason: /"a\/b" cannot be a partition key: it contains "\/"/ },
      { result: { runRequests: [{ select: "plain", partitions: "f1" }] }, reason: /runRequests\[0\] partitions "f1" is given but no selected asset is partitioned \(plain\): remove partitions$/ },
      { result: { runRequests: [{ select: "plain", tags: { "bad key": "x" } }] }, reason: /runRequests\[0\] tag "bad key": the key may hold only letters, digits and _ - \. \//},
      { result: { runRequests: [{ select: "plain", tags: { "dagx/sensor": "fake" } }] }, reason: /runRequests\[0\] tag "dagx\/sensor": keys starting with "dagx\/" are reserved/ },
    ];
    Object.assign(g.__dagxTest, { sensorCursors: [], result: cases[0]!.result });
    const store = createMemoryStateStore();
    const t0 = Date.parse("2024-06-01T00:00:00Z");
    const clock = fakeClock(t0);
    const d = start(p, store, { now: clock.now });
    const ticks = async () => ticksOf(store, "strict");
    try {
      for (const [i, c] of cases.entries()) {
        g.__dagxTest.result = c.result;
        clock.set(t0 + i * 1000);
        await until(async () => (await ticks()).length === i + 1, `tick ${i + 1}`, 15_000, d.logs);
        const last = (await ticks())[i]!;
        expect(last.status).toBe("failed");
        expect(last.reason ?? "").toMatch(c.reason);
      }
      // a valid request at last: its keys are added, it runs with its tags, and only now the cursor moves
      g.__dagxTest.result = { addPartitions: [{ name: "files", keys: ["f1"] }], runRequests: [{ partitions: "f1", runKey: "ok", tags: { team: "data" } }] };
      clock.set(t0 + cases.length * 1000);
      await until(() => finished(store, "sensor:strict", 1), "the valid run", 15_000, d.logs);
    } finally {
      await d.stop();
    }
    expect(g.__dagxTest.sensorCursors).toEqual(Array(cases.length + 1).fill(null));
    expect((await store.listInstigators()).find((x) => x.name === "strict")!.cursor).toBe("1");
    expect(await store.listDynamicPartitions("files")).toEqual(["f1"]);
    const requests = await store.listRunRequests({ source: "strict" });
    expect(requests.map((r) => [r.runKey, r.partitions, r.status])).toEqual([["sensor:strict:ok", "f1", "started"]]);
    const [run] = await runsOf(store, "sensor:strict");
    expect(run).toMatchObject({ status: "success", runId: requests[0]!.runId!, tags: { team: "data", "dagx/sensor": "strict", "dagx/runKey": "ok" } });
  });

  test("a schedule's request is checked against the partitions at its tick: a key that does not exist yet fails the tick with the reason and queues nothing", async () => {
    const p = await project({
      "s.asset.ts": `import { asset, daily, schedule } from "dagx";
export const events = asset({ partitions: daily({ start: "2024-06-01" }) }, (ctx) => [{ day: ctx.partition!.key }]);
export const fixed = schedule({ cron: "0 1 * * *", select: "events", partitions: "2024-06-10" });
`,
    });
    const store = createMemoryStateStore();
    const clock = fakeClock(Date.parse("2024-06-05T00:30:00Z"));
    const d = start(p, store, { now: clock.now });
    try {
      await clock.settle();
      clock.set(Date.parse("2024-06-05T01:00:10Z"));
      await until(async () => (await store.listTicks({ name: "fixed" })).length === 1, "the tick", 15_000, d.logs);
      await clock.settle();
    } finally {
      await d.stop();
    }
    const [tick] = await store.listTicks({ name: "fixed" });
    expect(tick).toMatchObject({ status: "failed", requestIds: [] });
    expect(tick!.reason).toBe('Invalid run request of schedule "fixed": partitions "2024-06-10" of "events": "2024-06-10" is after the last partition "2024-06-04" of daily(start=2024-06-01)');
    expect(await store.listRunRequests()).toEqual([]);
    expect(await runsOf(store, "schedule:fixed")).toEqual([]);
    expect(d.logs.join("\n")).toContain("schedule fixed: tick 2024-06-05T01:00:00.000Z failed: Invalid run request");
  });
});

describe("automation (real clock)", () => {
  const materialize = (p: Project, store: StateStore, keys: string[]) =>
    runMaterialize(p, store, { selectionText: keys.join(" "), selected: new Set(keys), stale: false, concurrency: 2, dryRun: false, trigger: "cli", signal: new AbortController().signal, now: Date.now });
  const matCount = async (store: StateStore, key: string) => (await store.listRuns({ limit: 1000 })).filter((r) => r.trigger === "automation:automation" && r.selection.split(" ").includes(key) && r.status === "success").length;

  test("eager: waits while an upstream is missing, fires once after the upstreams updated, again after the next update", async () => {
    const p = await project({
      "e.asset.ts": `import { asset, eager } from "dagx";
export const src1 = asset(() => [{ v: Date.now() }]);
export const src2 = asset(() => [{ v: 2 }]);
export const down = asset({ deps: [src1, src2], automation: eager() }, () => ({ at: Date.now() }));
`,
    });
    const store = createDuckDBStateStore(`${p.root}/.dagx/state.duckdb`);
    const d = start(p, store, { automationMs: 100, tickMs: 20 });
    const evaluations = async () => (await store.listTicks({ name: "automation" })).length;
    try {
      await materialize(p, store, ["src1"]);
      const n = await evaluations();
      await until(async () => (await evaluations()) >= n + 3, "3 evaluations", 15_000, d.logs);
      expect(await matCount(store, "down")).toBe(0); // src2 is missing
      await materialize(p, store, ["src2"]);
      await until(async () => (await matCount(store, "down")) === 1, "down materialized by automation", 15_000, d.logs);
      const m = await evaluations();
      await until(async () => (await evaluations()) >= m + 3, "3 more evaluations", 15_000, d.logs);
      expect(await matCount(store, "down")).toBe(1);
      await materialize(p, store, ["src1"]);
      await until(async () => (await matCount(store, "down")) === 2, "down again after src1 updated", 15_000, d.logs);
    } finally {
      await d.stop();
      await store.close();
    }
    expect(d.logs.join("\n")).toMatch(/automation: requested down: down: upstream "src\d" updated/);
  });

  test("eager: waits while an upstream is in progress, fires once it finished", async () => {
    const p = await project({
      "e.asset.ts": `import { asset, eager, schedule } from "dagx";
export const src = asset(async () => { const t = (globalThis as any).__dagxTest; t.started = (t.started ?? 0) + 1; await t.gate; return [{ v: Date.now() }]; });
export const down = asset({ deps: [src], automation: eager() }, () => ({ at: Date.now() }));
export const refresh = schedule({ cron: "*/1 * * * * *", select: "src" });
`,
    });
    const store = createMemoryStateStore();
    g.__dagxTest.gate = Promise.resolve();
    await materialize(p, store, ["src"]); // src updated, down never materialized: eager would fire at once…
    let release: () => void = () => {};
    g.__dagxTest.gate = new Promise<void>((r) => (release = r));
    g.__dagxTest.started = 0;
    const now = Date.now();
    // …but automation starts stopped, and is started only once the scheduled src run is in progress
    await store.ensureInstigators([{ name: "automation", kind: "automation", status: "stopped", createdAt: now, lastTickAt: null, cursor: null, data: {}, updatedAt: now }]);
    const d = start(p, store, { automationMs: 100, tickMs: 20 });
    const evaluations = async () => (await store.listTicks({ name: "automation" })).length;
    try {
      await until(() => g.__dagxTest.started === 1, "the scheduled src run to start", 15_000, d.logs);
      await store.updateInstigator("automation", { status: "running", updatedAt: Date.now() });
      await until(async () => (await evaluations()) >= 3, "3 evaluations", 15_000, d.logs);
      expect(await matCount(store, "down")).toBe(0);
      expect(await store.listRunRequests({ source: "automation" })).toEqual([]);
      release();
      await until(async () => (await matCount(store, "down")) === 1, "down after src finished", 15_000, d.logs);
    } finally {
      release();
      await d.stop();
    }
  });

  test("eager: an upstream being materialized by another process (a `materialize` in another terminal) counts as in progress", async () => {
    const p = await project({
      "e.asset.ts": `import { asset, eager } from "dagx";
export const src = asset(async () => { const t = (globalThis as any).__dagxTest; t.started = (t.started ?? 0) + 1; await t.gate; return [{ v: Date.now() }]; });
export const down = asset({ deps: [src], automation: eager() }, () => ({ at: Date.now() }));
`,
    });
    const store = createDuckDBStateStore(`${p.root}/.dagx/state.duckdb`);
    g.__dagxTest.gate = Promise.resolve();
    await materialize(p, store, ["src"]); // down never materialized: eager wants it…
    let release: () => void = () => {};
    g.__dagxTest.gate = new Promise<void>((r) => (release = r));
    g.__dagxTest.started = 0;
    // …but src is being materialized again, by a run the daemon did not launch
    const outside = materialize(p, store, ["src"]);
    await until(() => g.__dagxTest.started === 1, "the outside run of src to start");
    const d = start(p, store, { automationMs: 100, tickMs: 20 });
    const evaluations = async () => (await store.listTicks({ name: "automation" })).length;
    try {
      await until(async () => (await evaluations()) >= 3, "3 evaluations", 15_000, d.logs);
      expect(await store.listRunRequests({ source: "automation" })).toEqual([]);
      release();
      await outside;
      await until(async () => (await matCount(store, "down")) === 1, "down after the outside run finished", 15_000, d.logs);
    } finally {
      release();
      await d.stop();
      await store.close();
    }
  });

  test("eager: an upstream whose run is queued (not started yet) counts as in progress", async () => {
    const p = await project({
      "e.asset.ts": `import { asset, eager, schedule } from "dagx";
export const blocker = asset(async () => { const t = (globalThis as any).__dagxTest; t.started = (t.started ?? 0) + 1; await t.gate; return 1; });
export const src = asset(() => [{ v: Date.now() }]);
export const down = asset({ deps: [src], automation: eager() }, () => ({ at: Date.now() }));
export const hold = schedule({ cron: "*/1 * * * * *", select: "blocker" });
export const refresh = schedule({ cron: "*/1 * * * * *", select: "src" });
`,
    });
    const store = createMemoryStateStore();
    await materialize(p, store, ["src"]); // down never materialized: eager wants it
    let release: () => void = () => {};
    g.__dagxTest.gate = new Promise<void>((r) => (release = r));
    g.__dagxTest.started = 0;
    const now = Date.now();
    await store.ensureInstigators([{ name: "automation", kind: "automation", status: "stopped", createdAt: now, lastTickAt: null, cursor: null, data: {}, updatedAt: now }]);
    // one run at a time: blocker runs, src's request waits in the queue
    const d = start(p, store, { automationMs: 100, tickMs: 20, maxRuns: 1 });
    const evaluations = async () => (await store.listTicks({ name: "automation" })).length;
    try {
      await until(async () => g.__dagxTest.started === 1 && (await store.listRunRequests({ status: "requested", source: "refresh" })).length > 0, "src queued behind blocker", 15_000, d.logs);
      await store.updateInstigator("automation", { status: "running", updatedAt: Date.now() });
      await until(async () => (await evaluations()) >= 3, "3 evaluations", 15_000, d.logs);
      expect(await store.listRunRequests({ source: "automation" })).toEqual([]);
      release();
      await until(async () => (await matCount(store, "down")) === 1, "down after src ran", 15_000, d.logs);
    } finally {
      release();
      await d.stop();
    }
  });

  test("onCron: once per tick, only after every upstream updated since that tick", async () => {
    const p = await project({
      "c.asset.ts": `import { asset, onCron } from "dagx";
export const up = asset(() => [{ v: Date.now() }]);
export const report = asset({ deps: [up], automation: onCron("*/2 * * * * *") }, () => ({ at: Date.now() }));
`,
    });
    const store = createMemoryStateStore();
    await materialize(p, store, ["up"]);
    const d = start(p, store, { automationMs: 100, tickMs: 20 });
    try {
      // a tick passes after up's materialization: report waits for up
      const firstTick = croner.next("*/2 * * * * *", "UTC", Date.now())!;
      await until(() => Date.now() > firstTick + 500, "a cron tick", 15_000);
      expect(await matCount(store, "report")).toBe(0);
      await materialize(p, store, ["up"]);
      await until(async () => (await matCount(store, "report")) === 1, "report after up updated", 15_000, d.logs);
      // more ticks pass; up does not update: report does not run again
      const next = croner.next("*/2 * * * * *", "UTC", Date.now())!;
      await until(() => Date.now() > next + 700, "the next cron tick", 15_000);
      expect(await matCount(store, "report")).toBe(1);
    } finally {
      await d.stop();
    }
  });

  test("onMissing: materializes each missing partition and a never-materialized asset once; the per-evaluation cap says so in the log", async () => {
    const day = (n: number) => new Date(Date.now() - n * 86_400_000).toISOString().slice(0, 10);
    const p = await project({
      "m.asset.ts": `import { asset, daily, onMissing } from "dagx";
export const seed = asset({ automation: onMissing() }, () => [{ v: 1 }]);
export const events = asset({ partitions: daily({ start: "${day(6)}" }), automation: onMissing() }, (ctx) => [{ day: ctx.partition!.key }]);
`,
    });
    const store = createMemoryStateStore();
    const d = start(p, store, { automationMs: 100, tickMs: 20, maxAutomationRequests: 2 });
    const parts = async () => new Set((await store.latestPartitionMaterializations("events", [6, 5, 4, 3, 2, 1, 0].map(day))).map((m) => m.partitionKey));
    try {
      await until(async () => (await parts()).size >= 6 && (await matCount(store, "seed")) === 1, "every missing partition", 20_000, d.logs);
      const n = (await store.listTicks({ name: "automation" })).length;
      await until(async () => (await store.listTicks({ name: "automation" })).length >= n + 3, "3 more evaluations", 15_000);
    } finally {
      await d.stop();
    }
    // the complete days: from the start up to yesterday (UTC)
    expect([...(await parts())].sort()).toEqual([6, 5, 4, 3, 2, 1].map(day));
    // each partition once, seed once
    const runs = (await store.listRuns({ limit: 1000 })).filter((r) => r.trigger === "automation:automation");
    const requests = await store.listRunRequests({ source: "automation" });
    expect(requests.filter((r) => r.selection.includes("events")).map((r) => r.partitions).length).toBe((await parts()).size);
    expect(await matCount(store, "seed")).toBe(1);
    expect(runs.every((r) => r.status === "success")).toBe(true);
    const log = d.logs.join("\n");
    expect(log).toMatch(/automation: capped at 2 request\(s\): \d+ left for the next evaluation/);
    const capped = (await store.listTicks({ name: "automation" })).find((t) => t.reason?.startsWith("capped"));
    expect(capped?.reason).toMatch(/^capped at 2 request\(s\)/);
  });
});
