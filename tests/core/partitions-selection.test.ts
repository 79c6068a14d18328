import { describe, expect, test } from "bun:test";
import {
  createPartitionSpace,
  daily,
  dynamicPartitions,
  formatRanges,
  hourly,
  IndexSet,
  monthly,
  multiPartitions,
  parsePartitionSelection,
  PartitionRangeError,
  type PartitionSpace,
  resolvePartitionSelection,
  type ResolveOptions,
  staticPartitions,
  weekly,
} from "../../core/partitions/index.ts";

const now = Date.parse("2024-06-15T12:00:00Z");
const ctx = { now, dynamicKeys: (name: string) => (name === "customers" ? ["acme", "globex", "initech"] : []) };
const region = staticPartitions(["eu", "us", "apac"]);
const SPACES: Record<string, PartitionSpace> = {
  D: createPartitionSpace(daily({ start: "2024-01-01" }), ctx),
  M: createPartitionSpace(monthly({ start: "2024-01" }), ctx),
  W: createPartitionSpace(weekly({ start: "2024-01-01" }), ctx),
  F: createPartitionSpace(daily({ start: "2024-01-01", fmt: "yyyyMMdd" }), ctx),
  H: createPartitionSpace(hourly({ start: "2024-03-30-00:00", timezone: "Europe/Berlin" }), { now: Date.parse("2024-04-02T00:00:00Z") }),
  S: createPartitionSpace(region, ctx),
  Y: createPartitionSpace(dynamicPartitions("customers"), ctx),
  E: createPartitionSpace(dynamicPartitions("empty"), ctx),
  X: createPartitionSpace(multiPartitions({ date: daily({ start: "2024-01-01", end: "2024-01-11" }), region }), ctx),
  Z: createPartitionSpace(multiPartitions({ a: staticPartitions(["x", "y"]), b: region }), ctx),
};
const STATUS: ResolveOptions = { materialized: IndexSet.range(0, 100), failed: IndexSet.of(100) };

// [selection, space, expected compact ranges (or an error message and its caret [pos, len])]
type Case = [string, keyof typeof SPACES, string | { error: string; at?: [number, number] }, ResolveOptions?];
const CASES: Case[] = [
  ["2024-01-05", "D", "2024-01-05"],
  ["2024-01..2024-03", "D", "2024-01-01..2024-03-31"],
  ["2024-01...2024-03", "D", "2024-01-01..2024-03-31"],
  [" 2024-01 .. 2024-03 ", "D", "2024-01-01..2024-03-31"],
  ["2024", "D", "2024-01-01..2024-06-14"],
  ["2024-02", "D", "2024-02-01..2024-02-29"],
  ["2024-01-30..2024-02-02", "D", "2024-01-30..2024-02-02"],
  ["2024-01-01, 2024-01-03..2024-01-04,2024-01-02", "D", "2024-01-01..2024-01-04"],
  ["2024-01-01,2024-01-03", "D", "2024-01-01, 2024-01-03"],
  ["latest", "D", "2024-06-14"],
  ["2024-06..latest", "D", "2024-06-01..2024-06-14"],
  ["2024-06-10..", "D", "2024-06-10..2024-06-14"],
  ["..2024-01-03", "D", "2024-01-01..2024-01-03"],
  ["*", "D", "2024-01-01..2024-06-14"],
  ["2024-03-05-13:00", "D", "2024-03-05"],
  ["2024-06-14-05:00..latest", "D", "2024-06-14"],
  ["20240105", "F", "20240105"],
  ["2024-01-05", "F", "20240105"],
  ["2024-02", "F", "20240201..20240229"],
  ["date=2024-01-05", "D", "2024-01-05"],
  ["missing", "D", "2024-04-11..2024-06-14", STATUS],
  ["failed", "D", "2024-04-10", STATUS],
  ["missing,failed", "D", "2024-04-10..2024-06-14", STATUS],
  ["2023-12..2024-01", "D", "2024-01-01..2024-01-31", { clip: true }],
  ["all", "M", "2024-01..2024-05"],
  ["2024-01..2024-03", "M", "2024-01..2024-03"],
  ["2024-02-10", "M", "2024-02"],
  ["2024-01-15..2024-03-10", "M", "2024-01..2024-03"],
  ["2024-02", "W", "2024-02-05..2024-02-26"],
  ["2024-01-03", "W", "2024-01-01"],
  ["2024-03-31", "H", "2024-03-31-00:00..2024-03-31-23:00"],
  ["2024-03-31-01..2024-03-31-04", "H", "2024-03-31-01:00..2024-03-31-04:00"],
  ["2024-04-01-05:00", "H", "2024-04-01-05:00"],
  ["eu,apac", "S", "eu, apac"],
  ["eu..us", "S", "eu..us"],
  ['"us"', "S", "us"],
  ["partition=us,apac", "S", "us..apac"],
  ["latest", "Y", "initech"],
  ["globex..latest", "Y", "globex..initech"],
  ["*", "E", ""],
  ["date=2024-01-02,region=eu", "X", "2024-01-02|eu"],
  ["date=2024-01-02..2024-01-03,region=eu,us", "X", "2024-01-02|eu..2024-01-02|us, 2024-01-03|eu..2024-01-03|us"],
  ["region=apac", "X", "2024-01-01|apac, 2024-01-02|apac, 2024-01-03|apac, … (+7 more ranges)"],
  ["2024-01-10", "X", "2024-01-10|eu..2024-01-10|apac"],
  ["2024-01-10|us", "X", "2024-01-10|us"],
  ["date=latest", "X", "2024-01-10|eu..2024-01-10|apac"],
  ["date=2024-01-02,2024-01-04,region=eu", "X", "2024-01-02|eu, 2024-01-04|eu"],
  ["b=apac,a=y", "Z", "y|apac"],
  ["latest", "Z", "y|apac"],
  // errors
  ["", "D", { error: 'Empty partition selection: pass a key like "2024-01-01", a range "A..B", "latest", "missing", "failed" or "*"' }],
  ["2024-01-01,,2024-01-02", "D", { error: 'Empty item in partition selection "2024-01-01,,2024-01-02": remove the extra ","', at: [11, 1] }],
  ["2023-12-31", "D", { error: '"2023-12-31" is before the start "2024-01-01" of daily(start=2024-01-01)', at: [0, 10] }],
  ["2023", "D", { error: '"2023" is before the start "2024-01-01" of daily(start=2024-01-01)' }],
  ["2023-12..2024-01", "D", { error: '"2023-12" is before the start "2024-01-01" of daily(start=2024-01-01)', at: [0, 7] }],
  ["2024-01-01,2024-07-01", "D", { error: '"2024-07-01" is after the last partition "2024-06-14" of daily(start=2024-01-01)', at: [11, 10] }],
  ["2024-03..2024-01", "D", { error: '"2024-03..2024-01": the start is after the end', at: [0, 16] }],
  ["2024-13-01", "D", { error: '"2024-13-01" is not a valid date' }],
  ["2024-02-30", "D", { error: '"2024-02-30" is not a valid date' }],
  ["yesterday", "D", { error: '"yesterday" is not a partition key of daily(start=2024-01-01): expected the format yyyy-MM-dd or a prefix of it' }],
  ["2024-1", "D", { error: '"2024-1" is not a partition key of daily(start=2024-01-01): expected the format yyyy-MM-dd or a prefix of it' }],
  ["..", "D", { error: 'A range needs at least one end, like "2024-01..2024-03" or "2024-03.."' }],
  ["a..b..c", "S", { error: 'A range has one "..": "a..b..c"', at: [4, 2] }],
  ["2024-01..missing", "D", { error: '"missing" cannot be the end of a range', at: [9, 7] }],
  ["2024-03-31-02:00", "H", { error: '"2024-03-31-02:00" does not exist in Europe/Berlin: the clocks skip it' }],
  ["euu", "S", { error: 'Unknown partition "euu" of staticPartitions(eu, us, apac) — did you mean "eu" or "us"?' }],
  ['"eu', "S", { error: 'Unterminated quote in partition selection ""eu"', at: [0, 1] }],
  ['e"u"', "S", { error: 'Unexpected quote in "e"u"": quote whole keys, like "\\"a,b\\""', at: [1, 1] }],
  ["latest", "E", { error: '"latest" is not a partition: dynamicPartitions(empty) has no partitions yet' }],
  ["date=2024-01,regoin=eu", "X", { error: 'Unknown dimension "regoin" of multiPartitions(date: daily(start=2024-01-01, end=2024-01-11), region: staticPartitions(eu, us, apac)) — did you mean "region"?', at: [13, 6] }],
  ["zone=eu", "S", { error: 'Unknown dimension "zone" of staticPartitions(eu, us, apac) — its dimensions are "partition"' }],
  ["region=eu,date=2024-01,region=us", "X", { error: 'Dimension "region" is given twice: list its values together, like "region=a,b"', at: [23, 6] }],
  ["1x=2", "X", { error: 'Invalid dimension name "1x": use letters, digits and "_", like "date=2024-01"', at: [0, 2] }],
  ["date=", "X", { error: 'Missing value for dimension "date": write "date=VALUE"', at: [4, 1] }],
  ["date=2024-01,missing", "X", { error: '"missing" cannot be used inside dimension "date": it selects whole partitions, so give it on its own', at: [13, 7] }],
  ["eu,region=us", "X", { error: 'Partition selection "eu,region=us" mixes keys and dimensions: write every part as name=value, like "date=2024-01,region=eu"', at: [3, 9] }],
  ["date=2024-01-11", "X", { error: '"2024-01-11" is after the last partition "2024-01-10" of daily(start=2024-01-01, end=2024-01-11)', at: [5, 10] }],
  ["2024-01-10|xx", "X", { error: 'Unknown partition "2024-01-10|xx" of multiPartitions(date: daily(start=2024-01-01, end=2024-01-11), region: staticPartitions(eu, us, apac)): "xx" is not a key of dimension "region" — did you mean "eu" or "us"?' }],
  ["region=eux", "X", { error: 'Unknown partition "eux" of staticPartitions(eu, us, apac) — did you mean "eu" or "us"?', at: [7, 3] }],
  ["x", "Z", { error: 'multiPartitions(a: staticPartitions(x, y), b: staticPartitions(eu, us, apac)) has no time dimensions: select per dimension, like "a=…,b=…"' }],
];

describe("resolvePartitionSelection()", () => {
  for (const [text, spaceName, expected, options] of CASES) {
    const space = SPACES[spaceName]!;
    const name = typeof expected === "string" ? `"${text}" on ${spaceName} → ${expected || "nothing"}` : `"${text}" on ${spaceName} fails`;
    test(name, () => {
      const run = () => formatRanges(resolvePartitionSelection(text, space, options), space, { maxRanges: 3 });
      if (typeof expected === "string") return expect(run()).toBe(expected);
      let error: unknown;
      try {
        run();
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(PartitionRangeError);
      const e = error as PartitionRangeError;
      expect([e.message, e.code, e.exitCode]).toEqual([expected.error, "USAGE", 2]);
      if (expected.at) expect([e.position, e.length]).toEqual(expected.at);
    });
  }

  test("has at least 40 table cases", () => {
    expect(CASES.length).toBeGreaterThanOrEqual(40);
  });

  test("a range applies to each space by its own granularity", () => {
    const sel = parsePartitionSelection("2024-01..2024-03");
    expect(resolvePartitionSelection(sel, SPACES.D!).size).toBe(91);
    expect(resolvePartitionSelection(sel, SPACES.M!).size).toBe(3);
    expect(resolvePartitionSelection(sel, SPACES.W!).size).toBe(13);
  });
});

describe("parsePartitionSelection()", () => {
  test("parses ranges, keywords and quoted keys into an AST", () => {
    expect(parsePartitionSelection('2024-01..2024-03, latest, "a,b"')).toEqual({
      kind: "list",
      text: '2024-01..2024-03, latest, "a,b"',
      items: [
        {
          kind: "range",
          from: { kind: "key", text: "2024-01", quoted: false, pos: 0, len: 7 },
          to: { kind: "key", text: "2024-03", quoted: false, pos: 9, len: 7 },
          pos: 0,
          len: 16,
        },
        { kind: "latest", pos: 18, len: 6 },
        { kind: "key", text: "a,b", quoted: true, pos: 26, len: 5 },
      ],
    });
  });

  test("a value without '=' continues the previous dimension", () => {
    const sel = parsePartitionSelection("date=2024-01...2024-02,region=eu,us");
    expect(sel.kind).toBe("dimensions");
    if (sel.kind !== "dimensions") return;
    expect(sel.dimensions.map((d) => [d.name, d.items.map((i) => i.kind)])).toEqual([
      ["date", ["range"]],
      ["region", ["key", "key"]],
    ]);
  });

  test("the error pointer puts a caret under the bad part", () => {
    try {
      resolvePartitionSelection("2024-01-01,2024-99", SPACES.D!);
    } catch (e) {
      expect((e as PartitionRangeError).pointer).toBe("  2024-01-01,2024-99\n             ^^^^^^^");
    }
    expect.assertions(1);
  });

  test("quoted keys may hold commas, '=' and doubled quotes", () => {
    const space = createPartitionSpace(staticPartitions(["a,b", "x=y", 'say "hi"', "latest"]), ctx);
    expect(formatRanges(resolvePartitionSelection('"a,b","x=y","say ""hi""","latest"', space), space)).toBe('a,b..latest');
  });
});
