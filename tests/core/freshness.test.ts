import { describe, expect, test } from "bun:test";
import { evaluateFreshness, normalizeFreshness } from "../../core/freshness.ts";

const H = 3_600_000;
const ok = () => null;
const norm = (p: unknown) => normalizeFreshness(p, "orders", "a.asset.ts:3", ok);
/** Daily 09:00 UTC ticks. */
const prevDaily9 = (_e: string, _tz: string, t: number) => {
  const d = new Date(t);
  const tick = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate(), 9);
  return tick <= t ? tick : tick - 24 * H;
};
const T = Date.UTC(2024, 0, 10, 12);

describe("evaluateFreshness()", () => {
  test("maxLag / warnAfter: fresh, late, overdue, never", () => {
    const p = norm({ maxLag: "24h", warnAfter: "12h" });
    expect(evaluateFreshness(p, T - 2 * H, T, prevDaily9).state).toBe("fresh");
    expect(evaluateFreshness(p, T - 13 * H, T, prevDaily9)).toMatchObject({ state: "late", lagMs: 13 * H });
    expect(evaluateFreshness(p, T - 25 * H, T, prevDaily9).reason).toContain("more than maxLag 1.0d");
    expect(evaluateFreshness(p, null, T, prevDaily9)).toMatchObject({ state: "overdue", reason: "never materialized" });
  });

  test("cron deadline: data must be at most maxLag old at the last tick", () => {
    const p = norm({ cron: "0 9 * * *", maxLag: "1h" });
    expect(evaluateFreshness(p, Date.UTC(2024, 0, 10, 8, 30), T, prevDaily9).state).toBe("fresh");
    const r = evaluateFreshness(p, Date.UTC(2024, 0, 10, 7), T, prevDaily9);
    expect(r.state).toBe("overdue");
    expect(r.reason).toContain("missed the 2024-01-10T09:00:00.000Z deadline");
  });

  test("normalizeFreshness() rejects bad policies naming the asset", () => {
    expect(() => norm({})).toThrow(/Invalid freshness of asset "orders" at a.asset.ts:3: give maxLag/);
    expect(() => norm({ maxLag: "soon" })).toThrow(/Invalid maxLag "soon"/);
    expect(() => norm({ maxLag: "1h", warnAfter: "2h" })).toThrow(/warnAfter must be shorter/);
    expect(() => normalizeFreshness({ cron: "61 * * * *" }, "orders", "x", () => "bad minute")).toThrow(/cron "61 \* \* \* \*": bad minute/);
  });
});
