import { describe, expect, test } from "bun:test";
import {
  type AutomationAssetState,
  type AutomationInput,
  type CronEvaluator,
  eager,
  evaluateAutomation,
  isAutomationCondition,
  onCron,
  onMissing,
} from "../../core/automation/index.ts";

/** Real-ish cron for "M H * * *"-style expressions in UTC, minute steps (numbers, `*`, `*\/n`). */
const cron: CronEvaluator = {
  validate: () => null,
  next: (expr, _tz, after) => {
    const [m, h] = expr.split(" ").map((f) => (v: number) => f === "*" || (f.startsWith("*/") ? v % Number(f.slice(2)) === 0 : Number(f) === v));
    for (let t = Math.floor(after / 60_000) * 60_000 + 60_000; t < after + 400 * 86_400_000; t += 60_000) {
      const d = new Date(t);
      if (m!(d.getUTCMinutes()) && h!(d.getUTCHours())) return t;
    }
    return null;
  },
};

const at = (s: string) => Date.parse(`${s}Z`);
const up = (key: string, lastMaterializedAt: number | null, more: { missing?: boolean; inProgress?: boolean } = {}) => ({
  key, lastMaterializedAt, missing: more.missing ?? lastMaterializedAt === null, inProgress: more.inProgress ?? false,
});
const state = (key: string, condition: AutomationAssetState["condition"], more: Partial<AutomationAssetState> = {}): AutomationAssetState => ({
  key, condition, lastMaterializedAt: null, upstream: [], inProgress: false, ...more,
});
const run = (assets: AutomationAssetState[], more: Partial<AutomationInput> = {}) =>
  evaluateAutomation({ assets, previousEvaluationAt: at("2024-05-01T06:00"), now: at("2024-05-01T06:01"), cron, ...more });
const keys = (r: ReturnType<typeof run>) => r.requests.map((q) => (q.partition === null ? q.key : `${q.key}[${q.partition}]`));

test("eager(), onCron(), onMissing() are branded plain data; onCron defaults to UTC", () => {
  expect([eager().kind, onMissing().kind, isAutomationCondition(eager()), isAutomationCondition({ kind: "eager" })]).toEqual(["eager", "onMissing", true, false]);
  expect(onCron("0 7 * * 1")).toEqual({ [Symbol.for("dagx.automation")]: true, kind: "onCron", cron: "0 7 * * 1", timezone: "UTC" } as never);
  expect(onCron("0 7 * * *", { timezone: "Europe/Paris" }).timezone).toBe("Europe/Paris");
});

describe("evaluateAutomation() eager", () => {
  test("eager fires after an upstream updated, naming it", () => {
    const r = run([state("revenue", eager(), { lastMaterializedAt: 100, upstream: [up("orders", 200), up("fx", 50)] })]);
    expect(r.requests).toEqual([{ key: "revenue", partition: null, condition: "eager", reason: 'upstream "orders" updated' }]);
    expect([r.capped, r.leftOut, r.skipped]).toEqual([false, 0, []]);
  });

  test("eager does not fire when the asset is newer than every upstream, or has no upstream", () => {
    expect(keys(run([state("revenue", eager(), { lastMaterializedAt: 300, upstream: [up("orders", 200)] }), state("root", eager())]))).toEqual([]);
  });

  test("eager, onMissing and onCron wait while an upstream is blocked by a failed blocking check", () => {
    const blocked = { ...up("orders", 200), blocked: 'check "unique(id)" of "orders" failed in run R' };
    const r = run([
      state("a", eager(), { upstream: [blocked] }),
      state("b", onMissing(), { upstream: [blocked] }),
      state("c", onCron("0 6 * * *"), { upstream: [{ ...blocked, lastMaterializedAt: at("2024-05-01T06:00:30") }] }),
    ], { previousEvaluationAt: at("2024-05-01T05:59") });
    expect(r.requests).toEqual([]);
    expect(r.skipped.map((x) => x.reason)).toEqual([
      'upstream "orders" updated, waiting: upstream "orders" is blocked: check "unique(id)" of "orders" failed in run R',
      'never materialized, waiting: upstream "orders" is blocked: check "unique(id)" of "orders" failed in run R',
      'cron tick 2024-05-01T06:00:00.000Z ("0 6 * * *" UTC), waiting: upstream "orders" is blocked: check "unique(id)" of "orders" failed in run R',
    ]);
  });

  test("eager waits while an upstream is missing or in progress, or the asset is in progress", () => {
    const r = run([
      state("a", eager(), { upstream: [up("orders", 200), up("fx", null)] }),
      state("b", eager(), { upstream: [up("orders", 200, { inProgress: true })] }),
      state("c", eager(), { upstream: [up("orders", 200)], inProgress: true }),
    ]);
    expect(r.requests).toEqual([]);
    expect(r.skipped).toEqual([
      { key: "a", reason: 'upstream "orders" updated, waiting: upstream "fx" is missing' },
      { key: "b", reason: 'upstream "orders" updated, waiting: upstream "orders" is in progress' },
      { key: "c", reason: 'upstream "orders" updated, waiting: a run of it is in progress' },
    ]);
  });

  test("eager does not re-request an update it already requested (a failing asset is not retried every evaluation)", () => {
    expect(keys(run([state("a", eager(), { lastMaterializedAt: 100, lastRequestedAt: 250, upstream: [up("orders", 200)] })]))).toEqual([]);
    expect(keys(run([state("a", eager(), { lastMaterializedAt: 100, lastRequestedAt: 250, upstream: [up("orders", 300)] })]))).toEqual(["a"]);
  });

  test("eager on a partitioned asset requests its latest partition", () => {
    const partitions = { latestKey: "2024-04-30", missingKeys: [] };
    expect(keys(run([state("daily", eager(), { upstream: [up("orders", 200)], partitions })]))).toEqual(["daily[2024-04-30]"]);
    const none = run([state("daily", eager(), { upstream: [up("orders", 200)], partitions: { latestKey: null, missingKeys: [] } })]);
    expect(none.skipped).toEqual([{ key: "daily", reason: 'upstream "orders" updated, waiting: it has no partitions yet' }]);
  });
});

describe("evaluateAutomation() onCron", () => {
  const tick = at("2024-05-01T06:00");
  const daily6 = onCron("0 6 * * *");
  const window = { previousEvaluationAt: at("2024-05-01T05:59:30"), now: at("2024-05-01T06:00:30") };

  test("onCron fires once for a tick between the previous evaluation and now", () => {
    const a = state("report", daily6, { lastMaterializedAt: at("2024-04-30T06:00"), upstream: [up("orders", at("2024-05-01T06:00"))] });
    const r = run([a], window);
    expect(r.requests).toEqual([{ key: "report", partition: null, condition: "onCron", reason: 'cron tick 2024-05-01T06:00:00.000Z ("0 6 * * *" UTC)' }]);
    expect(r.pendingCronTicks).toEqual({});
    expect(keys(run([a], { previousEvaluationAt: at("2024-05-01T06:00:30"), now: at("2024-05-01T06:01") }))).toEqual([]);
    expect(keys(run([a], { previousEvaluationAt: null, now: at("2024-05-01T06:00:30") }))).toEqual([]);
  });

  test("onCron keeps a tick pending until every upstream updated since it, then fires it once", () => {
    const first = run([state("report", daily6, { upstream: [up("orders", at("2024-05-01T06:20")), up("fx", at("2024-05-01T05:00"))] })], window);
    expect(first.requests).toEqual([]);
    expect(first.pendingCronTicks).toEqual({ report: tick });
    expect(first.skipped).toEqual([{ key: "report", reason: 'cron tick 2024-05-01T06:00:00.000Z ("0 6 * * *" UTC), waiting: upstream "fx" has not updated since the tick' }]);

    const later = { previousEvaluationAt: at("2024-05-01T07:00"), now: at("2024-05-01T07:00:30") };
    const caughtUp = state("report", daily6, { pendingCronTick: tick, upstream: [up("orders", at("2024-05-01T06:20")), up("fx", at("2024-05-01T06:50"))] });
    const second = run([caughtUp], later);
    expect([keys(second), second.pendingCronTicks]).toEqual([["report"], {}]);
  });

  test("onCron drops a pending tick a later materialization handled, and a newer tick replaces a pending one", () => {
    const handled = state("report", daily6, { pendingCronTick: tick, lastMaterializedAt: at("2024-05-01T06:30") });
    expect(run([handled], { previousEvaluationAt: at("2024-05-01T07:00"), now: at("2024-05-01T07:01") })).toMatchObject({ requests: [], pendingCronTicks: {}, skipped: [] });
    const stale = state("report", daily6, { pendingCronTick: tick, upstream: [up("fx", at("2024-05-01T05:00"))] });
    const next = run([stale], { previousEvaluationAt: at("2024-05-02T05:59"), now: at("2024-05-02T06:00") });
    expect(next.pendingCronTicks).toEqual({ report: at("2024-05-02T06:00") });
  });

  test("onCron waits while the asset or an upstream is in progress, keeping the tick", () => {
    const r = run([state("report", daily6, { inProgress: true })], window);
    expect([r.requests, r.pendingCronTicks, r.skipped[0]?.reason]).toEqual([[], { report: tick }, 'cron tick 2024-05-01T06:00:00.000Z ("0 6 * * *" UTC), waiting: a run of it is in progress']);
  });
});

describe("evaluateAutomation() onMissing", () => {
  test("onMissing requests a never-materialized asset once, and nothing once materialized or requested", () => {
    expect(run([state("a", onMissing())]).requests).toEqual([{ key: "a", partition: null, condition: "onMissing", reason: "never materialized" }]);
    expect(keys(run([state("a", onMissing(), { lastMaterializedAt: 5 }), state("b", onMissing(), { lastRequestedAt: 5 })]))).toEqual([]);
  });

  test("onMissing requests each missing partition, not while in progress", () => {
    const partitions = { latestKey: "2024-05-03", missingKeys: ["2024-05-01", "2024-05-03"] };
    expect(keys(run([state("daily", onMissing(), { partitions })]))).toEqual(["daily[2024-05-01]", "daily[2024-05-03]"]);
    const busy = run([state("daily", onMissing(), { partitions, inProgress: true })]);
    expect([busy.requests, busy.skipped]).toEqual([[], [{ key: "daily", reason: "2 missing partition(s), waiting: a run of it is in progress" }]]);
  });

  test("onMissing requests an asset whose missing upstream is requested in the same evaluation, else waits", () => {
    const r = run([state("raw", onMissing()), state("clean", onMissing(), { upstream: [up("raw", null)] }), state("report", onMissing(), { upstream: [up("manual", null)] })]);
    expect(keys(r)).toEqual(["raw", "clean"]);
    expect(r.skipped).toEqual([{ key: "report", reason: 'never materialized, waiting: upstream "manual" is missing' }]);
  });
});

describe("evaluateAutomation() cap", () => {
  const many = (key: string, n: number, missingCount?: number): AutomationAssetState =>
    state(key, onMissing(), { partitions: { latestKey: null, missingKeys: Array.from({ length: n }, (_, i) => `p${i}`), missingCount } });

  test("evaluateAutomation() returns the first maxRequests in the given order and counts the rest", () => {
    const r = run([many("a", 30), many("b", 30), many("c", 5)]);
    expect(r.requests).toHaveLength(50);
    expect([r.requests[29]!.key, r.requests[30]!.key, r.requests[49]!.partition]).toEqual(["a", "b", "p19"]);
    expect([r.capped, r.leftOut]).toEqual([true, 15]);
    expect(r.skipped).toEqual([
      { key: "b", reason: "10 request(s) left out: more than 50 in one evaluation (maxRequests)" },
      { key: "c", reason: "5 request(s) left out: more than 50 in one evaluation (maxRequests)" },
    ]);
  });

  test("evaluateAutomation() counts missing partitions beyond the listed ones, and honours maxRequests", () => {
    const r = run([many("a", 4, 1000)], { maxRequests: 3 });
    expect([keys(r), r.capped, r.leftOut]).toEqual([["a[p0]", "a[p1]", "a[p2]"], true, 997]);
  });

  test("evaluateAutomation() keeps a capped onCron tick pending", () => {
    const window = { previousEvaluationAt: at("2024-05-01T05:59"), now: at("2024-05-01T06:00"), maxRequests: 1 };
    const r = run([state("a", onMissing()), state("report", onCron("0 6 * * *"))], window);
    expect([keys(r), r.pendingCronTicks, r.leftOut]).toEqual([["a"], { report: at("2024-05-01T06:00") }, 1]);
  });
});
