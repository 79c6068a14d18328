import { describe, expect, test } from "bun:test";
import { type CronEvaluator, dueTicks, MISSED_TICK_REASON, overlapDecision, scheduleRunRequest } from "../../core/automation/index.ts";

/** Real-ish cron in UTC: 5 fields (minute steps) or 6 with seconds; `*`, `*\/n`, `a-b`, lists. */
function utcCron(): CronEvaluator & { calls: number } {
  const RANGES = [[0, 59], [0, 59], [0, 23], [1, 31], [1, 12], [0, 6]] as const;
  const parse = (expr: string) => {
    const parts = expr.trim().split(/\s+/);
    if (parts.length !== 5 && parts.length !== 6) throw new Error(`expected 5 or 6 fields, got ${parts.length}`);
    const ranges = parts.length === 6 ? RANGES : RANGES.slice(1);
    return parts.map((p, i) => {
      const [lo, hi] = ranges[i]!;
      const ok = new Set<number>();
      for (const item of p.split(",")) {
        const [range, step = "1"] = item.split("/");
        const [a, b] = range === "*" ? [lo, hi] : range!.split("-").map(Number);
        const end = b ?? (item.includes("/") ? hi : a!);
        if (!(a! >= lo && end <= hi)) throw new Error(`${item} is out of range ${lo}-${hi}`);
        for (let v = a!; v <= end; v += Number(step)) ok.add(v);
      }
      return ok;
    });
  };
  const cache = new Map<string, Set<number>[]>();
  const parsed = (expr: string) => cache.get(expr) ?? cache.set(expr, parse(expr)).get(expr)!;
  const ev = {
    calls: 0,
    validate: (expr: string, tz: string) => {
      if (tz !== "UTC") return `unknown time zone "${tz}"`;
      try {
        parse(expr);
        return null;
      } catch (e) {
        return (e as Error).message;
      }
    },
    next: (expr: string, _tz: string, after: number) => {
      ev.calls++;
      const f = parsed(expr);
      const sec = f.length === 6;
      const step = sec ? 1000 : 60_000;
      for (let t = Math.floor(after / step) * step + step, i = 0; i < 600_000; t += step, i++) {
        const d = new Date(t);
        const v = [d.getUTCMinutes(), d.getUTCHours(), d.getUTCDate(), d.getUTCMonth() + 1, d.getUTCDay()];
        if (sec) v.unshift(d.getUTCSeconds());
        if (v.every((x, k) => f[k]!.has(x))) return t;
      }
      return null;
    },
  };
  return ev;
}

/** A fake whose ticks are a fixed list (e.g. a DST day in some zone: irregular gaps). */
const listCron = (ticks: number[]): CronEvaluator => ({ next: (_e, _z, after) => ticks.find((t) => t > after) ?? null, validate: () => null });

const at = (s: string) => Date.parse(`${s}Z`);
const iso = (t: number | null) => (t === null ? null : new Date(t).toISOString().slice(0, 16));
const hourly = { cron: "0 * * * *", timezone: "UTC", catchUp: "latest" as const };
const cron = utcCron();

describe("dueTicks()", () => {
  test("dueTicks() never returns a tick at or before createdAt", () => {
    const state = { createdAt: at("2024-05-01T10:00"), lastTickAt: null };
    expect(dueTicks(state, hourly, at("2024-05-01T10:30"), cron)).toMatchObject({ run: null, runs: [], missed: [], latest: null });
    expect(dueTicks(state, hourly, at("2024-05-01T10:30"), cron).nextAt).toBe(at("2024-05-01T11:00"));
    expect(dueTicks(state, hourly, at("2024-05-01T11:00"), cron).run).toBe(at("2024-05-01T11:00"));
  });

  test("dueTicks() skips ticks up to lastTickAt and returns the next one after it", () => {
    const state = { createdAt: at("2024-05-01T00:00"), lastTickAt: at("2024-05-01T11:00") };
    expect(dueTicks(state, hourly, at("2024-05-01T11:59"), cron).run).toBeNull();
    const due = dueTicks(state, hourly, at("2024-05-01T12:00:05"), cron);
    expect([iso(due.run), due.missed, iso(due.latest), iso(due.nextAt)]).toEqual(["2024-05-01T12:00", [], "2024-05-01T12:00", "2024-05-01T13:00"]);
  });

  test("dueTicks() with now before createdAt (clock skew) is empty and sleeps until after createdAt", () => {
    const due = dueTicks({ createdAt: at("2024-05-01T10:10"), lastTickAt: null }, hourly, at("2024-05-01T09:00"), cron);
    expect([due.runs, iso(due.nextAt)]).toEqual([[], "2024-05-01T11:00"]);
  });

  describe("a daemon down for 3 days (hourly)", () => {
    const state = { createdAt: at("2024-04-01T00:00"), lastTickAt: at("2024-05-01T00:00") };
    const back = at("2024-05-04T00:00:30");

    test('catchUp "latest" runs only the newest tick and lists the 71 others as missed, oldest first', () => {
      const due = dueTicks(state, hourly, back, cron);
      expect(iso(due.run)).toBe("2024-05-04T00:00");
      expect(due.runs).toEqual([due.run!]);
      expect(due.missed).toHaveLength(71);
      expect([iso(due.missed[0]!), iso(due.missed[70]!)]).toEqual(["2024-05-01T01:00", "2024-05-03T23:00"]);
      expect([due.omitted, iso(due.latest), iso(due.nextAt)]).toEqual([0, "2024-05-04T00:00", "2024-05-04T01:00"]);
    });

    test('catchUp "none" runs the newest tick only when it is on time', () => {
      const none = { ...hourly, catchUp: "none" as const };
      const onTime = dueTicks(state, none, back, cron);
      expect([iso(onTime.run), onTime.missed.length]).toEqual(["2024-05-04T00:00", 71]);
      const late = dueTicks(state, none, at("2024-05-04T00:30"), cron);
      expect([late.run, late.runs, late.missed.length, iso(late.latest)]).toEqual([null, [], 72, "2024-05-04T00:00"]);
      expect(dueTicks(state, none, at("2024-05-04T00:30"), cron, { graceMs: 3_600_000 }).run).toBe(at("2024-05-04T00:00"));
    });

    test('catchUp "all" runs every missed tick, oldest first', () => {
      const due = dueTicks(state, { ...hourly, catchUp: "all" }, back, cron);
      expect([due.runs.length, iso(due.runs[0]!), iso(due.run), due.missed]).toEqual([72, "2024-05-01T01:00", "2024-05-04T00:00", []]);
    });

    test('catchUp "all" caps at the latest 100 runs; the older ticks are missed', () => {
      const due = dueTicks(state, { cron: "*/5 * * * *", timezone: "UTC", catchUp: "all" }, back, cron);
      expect(due.runs).toHaveLength(100);
      expect([iso(due.runs[0]!), iso(due.run)]).toEqual(["2024-05-03T15:45", "2024-05-04T00:00"]);
      expect([due.missed.length, due.omitted, iso(due.missed[due.missed.length - 1]!)]).toEqual([764, 0, "2024-05-03T15:40"]);
    });
  });

  test("dueTicks() lists at most 1000 missed ticks (the latest) and counts the rest", () => {
    const state = { createdAt: at("2024-05-01T00:00"), lastTickAt: null };
    const due = dueTicks(state, { cron: "* * * * *", timezone: "UTC", catchUp: "latest" }, at("2024-05-04T00:00"), cron);
    expect([due.missed.length, due.omitted, iso(due.missed[0]!), iso(due.missed[999]!), iso(due.run)]).toEqual([
      1000, 3319, "2024-05-03T07:20", "2024-05-03T23:59", "2024-05-04T00:00",
    ]);
  });

  test("dueTicks() finds the latest of 259,200 every-second ticks without walking them all", () => {
    const c = utcCron();
    const state = { createdAt: at("2024-05-01T00:00"), lastTickAt: null };
    const due = dueTicks(state, { cron: "* * * * * *", timezone: "UTC", catchUp: "latest" }, at("2024-05-04T00:00:00"), c);
    expect(due.run).toBe(at("2024-05-04T00:00:00"));
    expect(due.missed).toHaveLength(1000);
    expect(due.missed.every((t, i) => t === due.run! - (1000 - i) * 1000)).toBe(true);
    expect(due.omitted).toBeNull();
    expect(c.calls).toBeLessThan(30_000);
  });

  test("dueTicks() follows whatever ticks the evaluator gives (irregular, like a DST day)", () => {
    const ticks = [at("2024-03-31T00:00"), at("2024-03-31T01:00"), at("2024-03-31T03:00"), at("2024-03-31T04:00")];
    const due = dueTicks({ createdAt: at("2024-03-30T00:00"), lastTickAt: at("2024-03-31T00:00") }, { ...hourly, catchUp: "all" }, at("2024-03-31T03:30"), listCron(ticks));
    expect([due.runs.map(iso), iso(due.nextAt)]).toEqual([["2024-03-31T01:00", "2024-03-31T03:00"], "2024-03-31T04:00"]);
  });

  test("dueTicks() refuses an evaluator that does not move forward", () => {
    const stuck: CronEvaluator = { next: (_e, _z, after) => after, validate: () => null };
    expect(() => dueTicks({ createdAt: 0, lastTickAt: null }, hourly, 10_000, stuck)).toThrow(/not after its input/);
  });
});

describe("overlapDecision()", () => {
  test('overlapDecision() skips while the previous run runs under "skip", with the reason', () => {
    expect(overlapDecision({ name: "nightly", overlap: "skip" }, true)).toEqual({
      launch: false,
      reason: 'the previous run of schedule "nightly" is still running (overlap: "skip")',
    });
    expect(overlapDecision({ name: "nightly", overlap: "skip" }, false)).toEqual({ launch: true });
    expect(overlapDecision({ name: "nightly", overlap: "allow" }, true)).toEqual({ launch: true });
  });
});

test("scheduleRunRequest() evaluates partitions as of the tick and carries a run key per tick", () => {
  const r = scheduleRunRequest({ name: "nightly", select: ["orders+"], partitions: "latest" }, at("2024-05-02T02:00"));
  expect(r).toEqual({
    select: ["orders+"],
    partitions: "latest",
    runKey: "schedule:nightly:2024-05-02T02:00:00.000Z",
    tags: { "dagx/schedule": "nightly", "dagx/tick": "2024-05-02T02:00:00.000Z" },
    asOf: at("2024-05-02T02:00"),
  });
  expect(MISSED_TICK_REASON).toBe("missed while the daemon was down");
});
