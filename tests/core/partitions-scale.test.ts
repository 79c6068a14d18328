import { describe, expect, test } from "bun:test";
import { createPartitionSpace, formatRanges, hourly, IndexSet, mapToUpstream, daily, resolvePartitionSelection, timeWindow } from "../../core/partitions/index.ts";

const MILLION = 1_000_000;
const START = Date.UTC(2000, 0, 1);
const NOW = START + MILLION * 3_600_000;

/** Mean microseconds per call of `fn` over `n` calls. */
function micros(n: number, fn: (i: number) => void): number {
  const t0 = performance.now();
  for (let i = 0; i < n; i++) fn(i);
  return ((performance.now() - t0) * 1000) / n;
}

describe("1,000,000 hourly partitions", () => {
  const space = createPartitionSpace(hourly({ start: "2000-01-01-00:00" }), { now: NOW });

  test("size, keyAt and indexOf are arithmetic", () => {
    expect(space.size).toBe(MILLION);
    expect(space.keyAt(0)).toBe("2000-01-01-00:00");
    expect(space.keyAt(MILLION - 1)).toBe("2114-01-29-15:00");
    expect(space.indexOf("2114-01-29-15:00")).toBe(MILLION - 1);
    expect(space.indexOf("2114-01-29-16:00")).toBe(-1);
    const step = 7919;
    const perCall = micros(20_000, (i) => {
      const idx = (i * step) % MILLION;
      if (space.indexOf(space.keyAt(idx)) !== idx) throw new Error(`round trip failed at ${idx}`);
    });
    expect(perCall).toBeLessThan(50);
  });

  test("resolving '*' gives one range, '2024' one year, missing the gaps", () => {
    const all = resolvePartitionSelection("*", space);
    expect(all.rangeCount).toBe(1);
    expect(all.size).toBe(MILLION);
    const year = resolvePartitionSelection("2024", space);
    expect([year.rangeCount, year.size, space.keyAt(year.first!), space.keyAt(year.last!)]).toEqual([1, 8784, "2024-01-01-00:00", "2024-12-31-23:00"]);
    const materialized = IndexSet.range(0, 500_000).union(IndexSet.range(500_001, MILLION));
    const missing = resolvePartitionSelection("missing", space, { materialized });
    expect(formatRanges(missing, space)).toBe(space.keyAt(500_000));
    expect(formatRanges(materialized, space)).toBe(`2000-01-01-00:00..${space.keyAt(499_999)}, ${space.keyAt(500_001)}..2114-01-29-15:00`);
  });

  test("mapping all of it to a daily upstream takes one range step", () => {
    const days = createPartitionSpace(daily({ start: "2000-01-01" }), { now: NOW });
    const t0 = performance.now();
    const up = mapToUpstream(timeWindow(), space, days, resolvePartitionSelection("*", space));
    expect(performance.now() - t0).toBeLessThan(50);
    expect([up.rangeCount, up.size]).toEqual([1, days.size]);
  });

  test("in a DST zone, keys still round-trip in microseconds", () => {
    const berlin = createPartitionSpace(hourly({ start: "2000-01-01-00:00", timezone: "Europe/Berlin" }), { now: NOW });
    expect(berlin.size).toBe(MILLION + 1); // local midnight is 23:00 UTC the day before
    const perCall = micros(5_000, (i) => {
      const idx = (i * 7919) % berlin.size;
      if (berlin.indexOf(berlin.keyAt(idx)) !== idx) throw new Error(`round trip failed at ${idx}: ${berlin.keyAt(idx)}`);
    });
    expect(perCall).toBeLessThan(200);
    expect(resolvePartitionSelection("all", berlin).rangeCount).toBe(1);
  });
});
