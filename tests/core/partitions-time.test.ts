import { describe, expect, test } from "bun:test";
import { createPartitionSpace, daily, hourly, monthly, type PartitionsDef, type TimeSpace, weekly } from "../../core/partitions/index.ts";

const at = (iso: string) => Date.parse(iso);
const time = (def: PartitionsDef, now: string) => createPartitionSpace(def, { now: at(now) }) as TimeSpace;
const keys = (s: TimeSpace) => Array.from({ length: s.size }, (_, i) => s.keyAt(i));
const windows = (s: TimeSpace) =>
  Array.from({ length: s.size }, (_, i) => {
    const w = s.window(i)!;
    return `${s.keyAt(i)} ${w.start.toISOString().slice(0, 16)} ${(w.end.getTime() - w.start.getTime()) / 3_600_000}h`;
  });

describe("createPartitionSpace() time windows in UTC", () => {
  test("daily has only complete days up to now", () => {
    const s = time(daily({ start: "2024-01-01" }), "2024-01-04T12:00:00Z");
    expect(keys(s)).toEqual(["2024-01-01", "2024-01-02", "2024-01-03"]);
    expect(s.window(0)).toEqual({ start: new Date("2024-01-01T00:00:00Z"), end: new Date("2024-01-02T00:00:00Z") });
  });

  test("a window ending exactly at now is complete", () => {
    expect(time(daily({ start: "2024-01-01" }), "2024-01-04T00:00:00Z").size).toBe(3);
  });

  test("endOffset 1 adds the current window, negative holds back", () => {
    expect(keys(time(daily({ start: "2024-01-01", endOffset: 1 }), "2024-01-04T12:00:00Z")).at(-1)).toBe("2024-01-04");
    expect(keys(time(daily({ start: "2024-01-01", endOffset: -2 }), "2024-01-04T12:00:00Z"))).toEqual(["2024-01-01"]);
    expect(time(daily({ start: "2024-01-01", endOffset: -5 }), "2024-01-04T12:00:00Z").size).toBe(0);
  });

  test("end is exclusive and caps endOffset", () => {
    const s = time(daily({ start: "2024-01-01", end: "2024-01-03", endOffset: 10 }), "2030-01-01T00:00:00Z");
    expect(keys(s)).toEqual(["2024-01-01", "2024-01-02"]);
  });

  test("a start after midnight begins with the next day", () => {
    expect(time(daily({ start: "2024-01-01 06:00" }), "2024-01-04T00:00:00Z").keyAt(0)).toBe("2024-01-02");
  });

  test("now before the start gives an empty space", () => {
    expect(time(daily({ start: "2024-01-01" }), "2023-06-01T00:00:00Z").size).toBe(0);
  });

  test("monthly windows follow month lengths, leap years included", () => {
    const s = time(monthly({ start: "2024-01-01" }), "2024-04-01T00:00:00Z");
    expect(windows(s)).toEqual(["2024-01 2024-01-01T00:00 744h", "2024-02 2024-02-01T00:00 696h", "2024-03 2024-03-01T00:00 744h"]);
    expect(time(monthly({ start: "2024-01-02" }), "2024-04-01T00:00:00Z").keyAt(0)).toBe("2024-02");
  });

  test("weekly starts on Monday by default and is keyed by its first day", () => {
    const s = time(weekly({ start: "2024-01-03" }), "2024-01-29T00:00:00Z");
    expect(keys(s)).toEqual(["2024-01-08", "2024-01-15", "2024-01-22"]);
    const sunday = time(weekly({ start: "2024-01-03", weekStartsOn: 0 }), "2024-01-29T00:00:00Z");
    expect(keys(sunday)).toEqual(["2024-01-07", "2024-01-14", "2024-01-21"]);
  });

  test("weeks cross month and year boundaries", () => {
    const s = time(weekly({ start: "2024-12-23" }), "2025-01-13T00:00:00Z");
    expect(keys(s)).toEqual(["2024-12-23", "2024-12-30", "2025-01-06"]);
    expect(s.window(1)).toEqual({ start: new Date("2024-12-30T00:00:00Z"), end: new Date("2025-01-06T00:00:00Z") });
  });

  test("custom fmt formats and parses keys", () => {
    const s = time(daily({ start: "2024-01-30", fmt: "yyyyMMdd" }), "2024-02-02T00:00:00Z");
    expect(keys(s)).toEqual(["20240130", "20240131", "20240201"]);
    expect(s.indexOf("20240201")).toBe(2);
    expect(s.indexOf("2024-02-01")).toBe(-1);
  });

  test("indexOf rejects keys outside the space, off the grid or malformed", () => {
    const s = time(weekly({ start: "2024-01-01" }), "2024-03-01T00:00:00Z");
    expect(s.indexOf("2024-01-08")).toBe(1);
    for (const bad of ["2024-01-09", "2023-12-25", "2030-01-07", "2024-1-08", "2024-01-08x", "", "2024-02-30"]) expect(s.indexOf(bad)).toBe(-1);
  });

  test("keyAt and window throw outside the space", () => {
    const s = time(daily({ start: "2024-01-01" }), "2024-01-04T00:00:00Z");
    expect(() => s.keyAt(3)).toThrow(RangeError);
    expect(() => s.window(-1)).toThrow(RangeError);
  });

  test("dimensions names a single time dimension 'date'", () => {
    const s = time(daily({ start: "2024-01-01" }), "2024-01-04T00:00:00Z");
    expect(s.dimensions.map((d) => [d.name, d.space === s])).toEqual([["date", true]]);
  });
});

describe("createPartitionSpace() across DST in Europe/Berlin", () => {
  test("hourly: spring forward skips the 02:00 key", () => {
    const s = time(hourly({ start: "2024-03-31-00:00", timezone: "Europe/Berlin" }), "2024-03-31T03:00:00Z");
    expect(windows(s)).toEqual([
      "2024-03-31-00:00 2024-03-30T23:00 1h",
      "2024-03-31-01:00 2024-03-31T00:00 1h",
      "2024-03-31-03:00 2024-03-31T01:00 1h",
      "2024-03-31-04:00 2024-03-31T02:00 1h",
    ]);
    expect(s.indexOf("2024-03-31-02:00")).toBe(-1);
  });

  test("hourly: fall back keys the repeated hour's second occurrence with its offset", () => {
    const s = time(hourly({ start: "2024-10-27-01:00", timezone: "Europe/Berlin" }), "2024-10-27T03:00:00Z");
    expect(windows(s)).toEqual([
      "2024-10-27-01:00 2024-10-26T23:00 1h",
      "2024-10-27-02:00 2024-10-27T00:00 1h",
      "2024-10-27-02:00+0100 2024-10-27T01:00 1h",
      "2024-10-27-03:00 2024-10-27T02:00 1h",
    ]);
    expect(keys(s).map((k) => s.indexOf(k))).toEqual([0, 1, 2, 3]);
    expect(s.indexOf("2024-10-27-02:00+0200")).toBe(-1);
    expect(s.indexOf("2024-10-27-03:00+0100")).toBe(-1);
  });

  test("daily: DST days last 23 and 25 hours and start at local midnight", () => {
    const spring = time(daily({ start: "2024-03-30", timezone: "Europe/Berlin" }), "2024-04-02T00:00:00Z");
    expect(windows(spring)).toEqual([
      "2024-03-30 2024-03-29T23:00 24h",
      "2024-03-31 2024-03-30T23:00 23h",
      "2024-04-01 2024-03-31T22:00 24h",
    ]);
    const fall = time(daily({ start: "2024-10-27", timezone: "Europe/Berlin" }), "2024-10-28T12:00:00Z");
    expect(windows(fall)).toEqual(["2024-10-27 2024-10-26T22:00 25h"]);
  });

  test("daily: size counts days complete in the zone, not in UTC", () => {
    const def = daily({ start: "2024-06-01", timezone: "Europe/Berlin" });
    expect(time(def, "2024-06-02T21:59:00Z").size).toBe(1);
    expect(time(def, "2024-06-02T22:00:00Z").size).toBe(2);
  });

  test("monthly in a zone starts at local midnight of the 1st", () => {
    const s = time(monthly({ start: "2024-03", timezone: "Europe/Berlin" }), "2024-04-30T00:00:00Z");
    expect(windows(s)).toEqual(["2024-03 2024-02-29T23:00 743h"]);
  });
});

describe("createPartitionSpace() across DST in America/New_York", () => {
  test("hourly: spring forward has no 02:00, fall back repeats 01:00 with -0500", () => {
    const spring = time(hourly({ start: "2024-03-10-00:00", timezone: "America/New_York" }), "2024-03-10T09:00:00Z");
    expect(keys(spring)).toEqual(["2024-03-10-00:00", "2024-03-10-01:00", "2024-03-10-03:00", "2024-03-10-04:00"]);
    const fall = time(hourly({ start: "2024-11-03-00:00", timezone: "America/New_York" }), "2024-11-03T08:00:00Z");
    expect(windows(fall)).toEqual([
      "2024-11-03-00:00 2024-11-03T04:00 1h",
      "2024-11-03-01:00 2024-11-03T05:00 1h",
      "2024-11-03-01:00-0500 2024-11-03T06:00 1h",
      "2024-11-03-02:00 2024-11-03T07:00 1h",
    ]);
    expect(fall.indexOf("2024-11-03-01:00-0500")).toBe(2);
  });

  test("daily: 23- and 25-hour days", () => {
    const s = time(daily({ start: "2024-03-10", timezone: "America/New_York", end: "2024-03-11" }), "2025-01-01T00:00:00Z");
    expect(windows(s)).toEqual(["2024-03-10 2024-03-10T05:00 23h"]);
    const f = time(daily({ start: "2024-11-03", timezone: "America/New_York", end: "2024-11-04" }), "2025-01-01T00:00:00Z");
    expect(windows(f)).toEqual(["2024-11-03 2024-11-03T04:00 25h"]);
  });

  test("weekly windows spanning a DST change are 167 hours", () => {
    const s = time(weekly({ start: "2024-03-04", timezone: "America/New_York", end: "2024-03-18" }), "2025-01-01T00:00:00Z");
    expect(windows(s)).toEqual(["2024-03-04 2024-03-04T05:00 167h", "2024-03-11 2024-03-11T04:00 168h"]);
    const across = time(weekly({ start: "2024-03-04", timezone: "America/New_York", weekStartsOn: 0, end: "2024-03-17" }), "2025-01-01T00:00:00Z");
    expect(windows(across)).toEqual(["2024-03-10 2024-03-10T05:00 167h"]);
  });
});

describe("createPartitionSpace() with a half-hour zone", () => {
  test("Asia/Kolkata hourly windows start at local :00", () => {
    const s = time(hourly({ start: "2024-01-01-00:00", timezone: "Asia/Kolkata" }), "2024-01-01T00:00:00Z");
    expect(windows(s).slice(0, 2)).toEqual(["2024-01-01-00:00 2023-12-31T18:30 1h", "2024-01-01-01:00 2023-12-31T19:30 1h"]);
  });
});

describe("createPartitionSpace() invariants over a whole year", () => {
  for (const timezone of ["Europe/Berlin", "America/New_York", "Australia/Lord_Howe"]) {
    test(`hourly and daily in ${timezone}: unique keys that round-trip, contiguous windows`, () => {
      for (const def of [hourly({ start: "2024-01-01-00:00", timezone }), daily({ start: "2024-01-01", timezone })]) {
        const s = time(def, "2025-01-01T00:00:00Z");
        const seen = new Set<string>();
        for (let i = 0; i < s.size; i++) {
          const key = s.keyAt(i);
          if (seen.has(key)) throw new Error(`duplicate key ${key}`);
          seen.add(key);
          if (s.indexOf(key) !== i) throw new Error(`${key} does not round-trip (${i} → ${s.indexOf(key)})`);
          const w = s.window(i)!;
          if (i + 1 < s.size && w.end.getTime() !== s.window(i + 1)!.start.getTime()) throw new Error(`gap after ${key}`);
          if (s.indexContaining(w.start.getTime()) !== i || s.indexAtOrAfter(w.start.getTime()) !== i) throw new Error(`index of ${key}`);
        }
        expect(s.size).toBeGreaterThan(360);
      }
    });
  }
});
