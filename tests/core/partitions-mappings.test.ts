import { describe, expect, test } from "bun:test";
import { DefinitionError } from "../../core/errors.ts";
import {
  allPartitions,
  createPartitionSpace,
  daily,
  defaultMapping,
  dimension,
  formatRanges,
  hourly,
  identity,
  IndexSet,
  lastPartition,
  mapToUpstream,
  monthly,
  multiPartitions,
  type PartitionMapping,
  type PartitionSpace,
  resolvePartitionSelection,
  staticMapping,
  staticPartitions,
  timeWindow,
} from "../../core/partitions/index.ts";

const ctx = { now: Date.parse("2024-06-15T12:00:00Z") };
const day = createPartitionSpace(daily({ start: "2024-01-01" }), ctx);
const month = createPartitionSpace(monthly({ start: "2024-01" }), ctx);
const hour = createPartitionSpace(hourly({ start: "2024-01-01-00:00" }), ctx);
const region = staticPartitions(["eu", "us", "apac"]);
const regions = createPartitionSpace(region, ctx);
const sales = createPartitionSpace(multiPartitions({ date: daily({ start: "2024-01-01" }), region }), ctx);
const monthlySales = createPartitionSpace(multiPartitions({ date: monthly({ start: "2024-01" }), region }), ctx);

/** Map the partitions `selection` names in `down` to `up`, as compact ranges. */
function map(mapping: PartitionMapping, down: PartitionSpace, up: PartitionSpace, selection: string): string {
  return formatRanges(mapToUpstream(mapping, down, up, resolvePartitionSelection(selection, down)), up);
}

describe("mapToUpstream()", () => {
  test("timeWindow({ offset: [-6, 0] }) reads a 7-day rolling window, clipped to the upstream", () => {
    const rolling = timeWindow({ offset: [-6, 0] });
    expect(map(rolling, day, day, "2024-01-10")).toBe("2024-01-04..2024-01-10");
    expect(map(rolling, day, day, "2024-01-03")).toBe("2024-01-01..2024-01-03");
    expect(map(rolling, day, day, "2024-02-01..2024-02-10,2024-03-20")).toBe("2024-01-26..2024-02-10, 2024-03-14..2024-03-20");
  });

  test("timeWindow() with a positive offset reads the next window, never past the upstream's last", () => {
    expect(map(timeWindow({ offset: 1 }), day, day, "2024-01-10")).toBe("2024-01-11");
    expect(map(timeWindow({ offset: 1 }), day, day, "latest")).toBe("");
  });

  test("a monthly partition reads the daily partitions inside its month", () => {
    expect(map(defaultMapping(month.def, day.def), month, day, "2024-02")).toBe("2024-02-01..2024-02-29");
    expect(map(defaultMapping(month.def, day.def), month, day, "2024-04..2024-05")).toBe("2024-04-01..2024-05-31");
  });

  test("a daily partition reads the month containing it, and the hours inside it", () => {
    expect(map(defaultMapping(day.def, month.def), day, month, "2024-02-10")).toBe("2024-02");
    expect(map(defaultMapping(day.def, month.def), day, month, "2024-01-31..2024-03-01")).toBe("2024-01..2024-03");
    expect(map(defaultMapping(day.def, hour.def), day, hour, "2024-01-02")).toBe("2024-01-02-00:00..2024-01-02-23:00");
  });

  test("a Berlin day reads its 23 UTC hours on the spring-forward day", () => {
    const berlin = createPartitionSpace(daily({ start: "2024-03-01", timezone: "Europe/Berlin" }), ctx);
    const up = mapToUpstream(defaultMapping(berlin.def, hour.def), berlin, hour, berlin.indexOf("2024-03-31"));
    expect([up.size, formatRanges(up, hour)]).toEqual([23, "2024-03-30-23:00..2024-03-31-21:00"]);
  });

  test("identity() maps equal definitions index to index and other key lists by key", () => {
    expect(map(identity(), day, day, "2024-03-01..2024-03-05")).toBe("2024-03-01..2024-03-05");
    const other = createPartitionSpace(staticPartitions(["us", "eu", "latam"]), ctx);
    expect(map(defaultMapping(regions.def, other.def), regions, other, "eu,apac")).toBe("eu");
    const later = createPartitionSpace(daily({ start: "2024-02-01" }), ctx);
    expect(map(identity(), later, day, "2024-02-01..2024-02-03")).toBe("2024-02-01..2024-02-03");
  });

  test("allPartitions() and lastPartition()", () => {
    expect(map(allPartitions(), regions, day, "eu")).toBe("2024-01-01..2024-06-14");
    expect(map(lastPartition(), regions, day, "eu")).toBe("2024-06-14");
    expect(mapToUpstream(allPartitions(), regions, day, IndexSet.EMPTY).isEmpty).toBe(true);
  });

  test("an unpartitioned downstream reads all partitions by default", () => {
    expect(formatRanges(mapToUpstream(defaultMapping(null, day.def), null, day, IndexSet.EMPTY), day)).toBe("2024-01-01..2024-06-14");
    expect(formatRanges(mapToUpstream(lastPartition(), null, day, IndexSet.EMPTY), day)).toBe("2024-06-14");
  });

  test("staticMapping() maps listed keys and ignores the rest", () => {
    const zones = createPartitionSpace(staticPartitions(["emea", "amer", "other"]), ctx);
    const mapping = staticMapping({ emea: ["eu"], amer: "us" });
    expect(map(mapping, zones, regions, "emea,amer")).toBe("eu..us");
    expect(map(mapping, zones, regions, "other")).toBe("");
  });

  test("dimension() reads a one-dimensional upstream through one dimension of a multi-partition", () => {
    expect(defaultMapping(sales.def, day.def)).toEqual(dimension("date"));
    expect(map(dimension("date"), sales, day, "date=2024-01-02..2024-01-03,region=eu")).toBe("2024-01-02..2024-01-03");
    expect(map(dimension("region"), sales, regions, "date=2024-01-02,region=us,apac")).toBe("us..apac");
    expect(map(dimension("date", timeWindow({ offset: [-1, 0] })), sales, day, "2024-01-05|us")).toBe("2024-01-04..2024-01-05");
  });

  test("dimension() lets a one-dimensional downstream read every multi partition whose dimension matches", () => {
    expect(map(defaultMapping(day.def, sales.def), day, sales, "2024-01-05")).toBe("2024-01-05|eu..2024-01-05|apac");
    expect(map(defaultMapping(regions.def, sales.def), regions, sales, "us").split(", ").length).toBe(day.size);
  });

  test("between multi-partitions with the same dimensions, each dimension maps by default", () => {
    expect(map(defaultMapping(sales.def, monthlySales.def), sales, monthlySales, "2024-01-05|us")).toBe("2024-01|us");
    expect(map(defaultMapping(monthlySales.def, sales.def), monthlySales, sales, "date=2024-02,region=eu").split(", ")).toHaveLength(29);
  });

  test("misfit mappings are DefinitionErrors", () => {
    expect(() => mapToUpstream(timeWindow(), regions, day, 0)).toThrow(
      "Cannot map staticPartitions(eu, us, apac) to daily(start=2024-01-01) with timeWindow(): it maps time-window partitions",
    );
    expect(() => defaultMapping(day.def, region)).toThrow(DefinitionError);
    expect(() => mapToUpstream(dimension("dat"), sales, day, 0)).toThrow('Unknown dimension "dat" of multiPartitions(date: daily(start=2024-01-01), region: staticPartitions(eu, us, apac)) — did you mean "date"?');
    expect(() => timeWindow({ offset: [1, -1] })).toThrow("Invalid timeWindow() offset [1,-1]: use integers [start, end] with start <= end, like [-6, 0]");
  });
});
