/**
 * `dagx schedules` and `dagx sensors` (list, start, stop, preview) with their state persisted, as
 * a running daemon sees it; `partitions: "latest"`; definition errors of schedules (exit 2).
 */
import { afterAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { dagx, runDagx } from "./helpers.ts";
import { alive, childPids, type Live, startLive, until, liveFixtures } from "./live.ts";

setDefaultTimeout(60_000);
const fx = liveFixtures("dagx-instigators-");
afterAll(() => fx.cleanup());
const project = fx.project;

const day = (n: number) => new Date(Date.now() - n * 86_400_000).toISOString().slice(0, 10);

interface TickJson {
  tickAt: string;
  status: string;
  reason: string | null;
  requestIds: string[];
}
interface ScheduleJson {
  name: string;
  cron: string;
  timezone: string;
  status: string;
  assets: string[];
  partitions: string | null;
  overlap: string;
  catchUp: string;
  nextTick: string | null;
  lastTick: TickJson | null;
  location: string | null;
}
interface SensorJson {
  name: string;
  status: string;
  intervalMs: number;
  timeoutMs: number;
  cursor: string | null;
  assets: string[] | null;
  lastTick: TickJson | null;
}

describe("schedules and sensors with a daemon", () => {
  test("list, stop, start and preview; state persisted; a stopped schedule or sensor does not tick (nor catches up once started); partitions \"latest\"; a failing sensor does not stop the others", async () => {
    const dir = project({
      "a.asset.ts": `import { asset, daily, schedule, sensor } from "dagx";
export const a = asset(() => [{ at: Date.now() }]);
export const events = asset({ partitions: daily({ start: "${day(4)}" }) }, (ctx) => [{ day: ctx.partition.key }]);
export const fast = schedule({ cron: "*/1 * * * * *", select: "a" });
export const paused = schedule({ cron: "*/1 * * * * *", select: [a], description: "stopped before the daemon starts" });
export const latest_events = schedule({ cron: "*/1 * * * * *", select: "events", partitions: "latest" });
export const nightly = schedule({ cron: "0 30 2 * * *", timezone: "Europe/Berlin", select: "a" });
export const counter = sensor({ interval: "1s", select: "a" }, (ctx) => {
  const n = Number(ctx.cursor ?? 0);
  return n < 2 ? { runRequests: [{ runKey: "n" + n }], cursor: String(n + 1) } : { skipReason: "enough", cursor: String(n + 1) };
});
export const broken = sensor({ interval: "1s", select: "a" }, () => { throw new Error("upstream API down"); });
export const quiet = sensor({ interval: "1s", select: "a" }, () => ({ runRequests: [{ runKey: "q" }] }));
`,
    });
    const schedules = async () => (await runDagx(dir, ["schedules", "list", "--json"])).json<ScheduleJson[]>();
    const sensors = async () => (await runDagx(dir, ["sensors", "list", "--json"])).json<SensorJson[]>();
    const byName = <T extends { name: string }>(xs: T[]) => Object.fromEntries(xs.map((x) => [x.name, x]));

    let s = byName(await schedules());
    expect(Object.keys(s).sort()).toEqual(["fast", "latest_events", "nightly", "paused"]);
    expect(s.nightly).toMatchObject({ cron: "0 30 2 * * *", timezone: "Europe/Berlin", status: "running", assets: ["a"], partitions: null, overlap: "skip", catchUp: "latest", lastTick: null });
    expect(s.nightly!.location).toMatch(/a\.asset\.ts:\d+$/);
    expect(s.latest_events).toMatchObject({ assets: ["events"], partitions: "latest" });
    expect(s.paused!.assets).toEqual(["a"]);
    // the next tick of nightly is 02:30:00 in Berlin
    const berlin = new Intl.DateTimeFormat("en-GB", { timeZone: "Europe/Berlin", hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23" });
    expect(berlin.format(new Date(s.nightly!.nextTick!))).toBe("02:30:00");

    const human = await runDagx(dir, ["schedules"]);
    expect(human.code).toBe(0);
    expect(human.stderr + human.stdout).toMatch(/SCHEDULE\s+STATUS\s+CRON/);

    expect((await runDagx(dir, ["schedules", "stop", "paused"])).code).toBe(0);
    expect((await runDagx(dir, ["sensors", "stop", "quiet"])).code).toBe(0);
    expect(byName(await schedules()).paused!.status).toBe("stopped");
    expect(byName(await sensors()).quiet!.status).toBe("stopped");
    const unknown = await runDagx(dir, ["schedules", "stop", "pasued"]);
    expect(unknown.code).not.toBe(0);
    expect(unknown.stderr).toContain('Unknown schedule "pasued"');

    // preview runs the sensor once with its saved cursor and records nothing
    const preview = await runDagx(dir, ["sensors", "preview", "counter", "--json"]);
    expect(preview.code).toBe(0);
    expect(preview.json()).toMatchObject({ name: "counter", cursor: "1", requests: [{ assets: ["a"], partitions: null, runKey: "n0" }], skipReason: null });
    expect(byName(await sensors()).counter).toMatchObject({ cursor: null, lastTick: null, status: "running", intervalMs: 1000, assets: ["a"] });
    const failingPreview = await runDagx(dir, ["sensors", "preview", "broken"]);
    expect(failingPreview.code).toBe(1);
    expect(failingPreview.stderr).toContain('Sensor "broken" threw: upstream API down');

    const d = startLive(dir, ["daemon"]);
    fx.track(d);
    await d.waitFor("daemon started: 4 schedule(s), 3 sensor(s)");
    await until(async () => {
      const x = byName(await sensors());
      return Number(x.counter!.cursor ?? 0) >= 3 && x.broken!.lastTick?.status === "failed";
    }, "the sensors to tick", 30_000, () => d.text());
    await until(async () => (byName(await schedules()).fast!.lastTick?.status ?? "") !== "", "fast to tick", 30_000, () => d.text());
    await Bun.sleep(1_500); // paused stays stopped for a few seconds while the daemon runs
    let x = byName(await sensors());
    expect(x.broken!.lastTick).toMatchObject({ status: "failed", reason: "sensor threw: upstream API down" });
    expect(x.quiet!.lastTick).toBeNull();
    expect(byName(await schedules()).paused!.lastTick).toBeNull();

    // started while the daemon runs: it ticks from now on, without catching up the stopped seconds
    const startedAt = Date.now();
    const start = await runDagx(dir, ["schedules", "start", "paused", "--json"]);
    expect(start.json()).toEqual({ name: "paused", status: "running" });
    await until(async () => byName(await schedules()).paused!.lastTick !== null, "paused to tick once started", 30_000, () => d.text());

    // partitions "latest": the newest complete day (yesterday, UTC), nothing older
    await until(() => existsSync(join(dir, `.dagx/data/events/date=${day(1)}`)), "the latest events partition", 30_000, () => d.text());
    expect(await d.stop("SIGTERM")).toBe(0);

    s = byName(await schedules());
    expect(s.paused!.status).toBe("running");
    const store = (await import("../../io/state/duckdb-store.ts")).createDuckDBStateStore(join(dir, ".dagx/state.duckdb"));
    try {
      const pausedTicks = await store.listTicks({ name: "paused" });
      expect(pausedTicks.length).toBeGreaterThan(0);
      for (const t of pausedTicks) {
        expect(t.tickAt).toBeGreaterThan(startedAt - 1);
        expect(t.reason ?? "").not.toContain("was down"); // (a loaded machine may make the loop late: "ran late" is fine)
      }
      expect(await store.listTicks({ name: "quiet" })).toEqual([]);
      const counterRequests = await store.listRunRequests({ source: "counter" });
      expect(counterRequests.map((r) => r.runKey)).toEqual(["sensor:counter:n0", "sensor:counter:n1"]);
    } finally {
      await store.close();
    }
    expect((await runDagx(dir, ["sensors", "start", "quiet"])).code).toBe(0);
    x = byName(await sensors());
    expect(x.quiet!.status).toBe("running");
    expect(Number(x.counter!.cursor)).toBeGreaterThanOrEqual(3);
    expect(x.counter!.lastTick).toMatchObject({ status: "skipped", reason: "enough" });
    const st = (await runDagx(dir, ["status", "--json", "events"])).json<{ partitions: { total: number; materialized: number } }[]>();
    expect(st[0]!.partitions).toMatchObject({ total: 4, materialized: 1 });
    for (const k of [2, 3, 4]) expect(existsSync(join(dir, `.dagx/data/events/date=${day(k)}`))).toBe(false);
    const runs = (await runDagx(dir, ["runs", "--json", "--limit", "1000"])).json<{ trigger: string; status: string }[]>();
    expect(runs.filter((r) => r.trigger === "sensor:counter").length).toBe(2);
    expect(runs.filter((r) => r.trigger === "sensor:quiet").length).toBe(0);
  });
});

describe("sensors preview", () => {
  test("applies the daemon's request check: a request it would refuse is listed under problems and exits 1, recording nothing", async () => {
    const dir = project({
      "a.asset.ts": `import { asset, dynamicPartitions, sensor } from "dagx";
export const part = asset({ partitions: dynamicPartitions("files") }, (ctx) => [{ f: ctx.partition.key }]);
export const forgetful = sensor({ interval: "1s", select: "part" }, () => ({ runRequests: [{ runKey: "x" }], cursor: "next" }));
export const fine = sensor({ interval: "1s", select: "part" }, () => ({ addPartitions: [{ name: "files", keys: ["f1"] }], runRequests: [{ partitions: "f1", tags: { team: "data" } }] }));
`,
    });
    const bad = await runDagx(dir, ["sensors", "preview", "forgetful", "--json"]);
    expect(bad.code).toBe(1);
    expect(bad.json<{ problems: string[] }>().problems).toEqual(['runRequests[0] selects the partitioned asset "part" (dynamicPartitions(files)) but gives no partitions: add partitions: "latest" (the newest partition) or a range like "2024-01-01..2024-01-31"']);
    const human = await runDagx(dir, ["sensors", "preview", "forgetful"]);
    expect(human.code).toBe(1);
    expect(human.stdout + human.stderr).toContain('Sensor "forgetful" returned an invalid run request: runRequests[0] selects the partitioned asset "part"');
    const good = await runDagx(dir, ["sensors", "preview", "fine", "--json"]);
    expect(good.code).toBe(0);
    expect(good.json()).toMatchObject({ problems: [], requests: [{ assets: ["part"], partitions: "f1", runKey: null, tags: { team: "data" } }] });
    expect((await runDagx(dir, ["partitions", "list", "files", "--json"])).json()).toEqual([]);
  });
});

describe("schedules preview", () => {
  test("next ticks with seconds and a time zone, and what they select", async () => {
    const dir = project({
      "a.asset.ts": `import { asset, schedule } from "dagx";
export const a = asset(() => 1);
export const b = asset({ deps: [a] }, () => 2);
export const nightly = schedule({ cron: "15 30 2 * * *", timezone: "Europe/Berlin", select: "a+" });
export const often = schedule({ cron: "*/5 * * * * *", select: "b" });
`,
    });
    const r = await runDagx(dir, ["schedules", "preview", "nightly", "--count", "3", "--json"]);
    expect(r.code).toBe(0);
    const p = r.json<{ name: string; assets: string[]; timezone: string; ticks: string[] }>();
    expect(p).toMatchObject({ name: "nightly", assets: ["a", "b"], timezone: "Europe/Berlin" });
    expect(p.ticks.length).toBe(3);
    const berlin = new Intl.DateTimeFormat("en-GB", { timeZone: "Europe/Berlin", hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23" });
    for (const t of p.ticks) {
      expect(berlin.format(new Date(t))).toBe("02:30:15");
      expect(Date.parse(t)).toBeGreaterThan(Date.now() - 60_000);
    }
    const often = (await runDagx(dir, ["schedules", "preview", "often", "--count", "4", "--json"])).json<{ ticks: string[] }>().ticks.map(Date.parse);
    expect(often.slice(1).map((t, i) => t - often[i]!)).toEqual([5000, 5000, 5000]);
    for (const t of often) expect(new Date(t).getUTCSeconds() % 5).toBe(0);
    const human = await runDagx(dir, ["schedules", "preview", "nightly"]);
    expect(human.stdout).toContain("nightly 15 30 2 * * * (Europe/Berlin) → a, b");
  });
});

describe("bad schedule definitions are definition errors (exit 2) naming the schedule", () => {
  const cases = [
    { what: "an invalid cron expression", def: `schedule({ cron: "61 * * * *", select: "a" })`, expect: /Invalid schedule "nightly" at .*a\.asset\.ts:\d+: cron "61 \* \* \* \*"/ },
    { what: "an unknown time zone", def: `schedule({ cron: "0 2 * * *", timezone: "Mars/Olympus", select: "a" })`, expect: /Invalid schedule "nightly" at .*a\.asset\.ts:\d+: cron "0 2 \* \* \*" in timezone "Mars\/Olympus": unknown time zone "Mars\/Olympus"/ },
    { what: "a selection matching nothing", def: `schedule({ cron: "0 2 * * *", select: "a and b" })`, expect: /Schedule "nightly" at .*a\.asset\.ts:\d+ selects no assets: "a and b" matches nothing/ },
    { what: "a selection naming an unknown asset", def: `schedule({ cron: "0 2 * * *", select: "nope" })`, expect: /Schedule "nightly" at .*a\.asset\.ts:\d+ selects no assets: unknown asset "nope"/ },
  ];
  for (const c of cases) {
    test(`${c.what}: dagx list, dagx daemon and dagx schedules list exit 2`, async () => {
      const dir = project({ "a.asset.ts": `import { asset, schedule } from "dagx";\nexport const a = asset(() => 1);\nexport const b = asset(() => 2);\nexport const nightly = ${c.def};\n` });
      const results = await Promise.all([runDagx(dir, ["list"]), dagx(dir, ["daemon"], { timeoutMs: 20_000 }), runDagx(dir, ["schedules", "list"])]);
      for (const r of results) {
        expect(r.code).toBe(2);
        expect(r.stderr).toMatch(c.expect);
        expect(r.stderr).not.toMatch(/^\s+at /m); // no stack trace
      }
      // nothing was started
      expect(results[1]!.stderr).not.toContain("daemon started");
    });
  }
});
