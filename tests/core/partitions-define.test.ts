import { describe, expect, test } from "bun:test";
import { DefinitionError } from "../../core/errors.ts";
import {
  createPartitionSpace,
  daily,
  dynamicKeyProblem,
  dynamicPartitions,
  encodePartitionValue,
  hourly,
  isPartitionMapping,
  isPartitionsDef,
  monthly,
  multiPartitions,
  PARTITIONS_DEF,
  type PartitionDimensionsOf,
  type PartitionKeyOf,
  partitionSegments,
  partitionsId,
  partitionsLabel,
  staticPartitions,
  timeWindow,
  weekly,
} from "../../core/partitions/index.ts";

/** Compile-time type equality (checked by tsc). */
type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
const expectType = <T extends true>(_ok: T) => {};

function definitionError(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(DefinitionError);
    expect((e as DefinitionError).code).toBe("DEFINITION_INVALID");
    return (e as Error).message;
  }
  throw new Error("expected a DefinitionError");
}

const tooLong = (dimension: string, bytes: number) =>
  `it is too long: its folder name "${dimension}=…" would be ${bytes} bytes, over the 255-byte limit of file systems (a character other than letters, digits, "_", "-", "." and "~" takes 3 bytes per UTF-8 byte, so 9 for most CJK characters): use a shorter key`;

describe("partition definitions validate at definition time", () => {
  const cases: [string, () => unknown, string][] = [
    ["invalid start", () => daily({ start: "2024-13-01" }), 'Invalid daily() partitions: start "2024-13-01" is not a valid date (use "2024-01-01" or "2024-01-01 06:00")'],
    ["unparseable start", () => hourly({ start: "yesterday" }), 'Invalid hourly() partitions: start "yesterday" is not a valid date (use "2024-01-01" or "2024-01-01 06:00")'],
    ["missing start", () => daily({} as never), 'Invalid daily() partitions: start is required, like daily({ start: "2024-01-01" })'],
    ["end before start", () => daily({ start: "2024-02-01", end: "2024-01-01" }), 'Invalid daily() partitions: end "2024-01-01" is not after start "2024-02-01"'],
    ["end equal to start", () => monthly({ start: "2024-02", end: "2024-02-01" }), 'Invalid monthly() partitions: end "2024-02-01" is not after start "2024-02"'],
    ["unknown zone", () => daily({ start: "2024-01-01", timezone: "Europe/Berln" }), 'Invalid daily() partitions: unknown time zone "Europe/Berln" — did you mean "Europe/Berlin" or "Europe/Dublin" or "Europe/Jersey"?'],
    ["unknown zone, no suggestion", () => daily({ start: "2024-01-01", timezone: "Mars/Olympus_Mons_Base" }), 'Invalid daily() partitions: unknown time zone "Mars/Olympus_Mons_Base" — use an IANA name like "Europe/Berlin"'],
    ["unsupported fmt token", () => daily({ start: "2024-01-01", fmt: "yyyy-MM-dd-ss" }), 'Invalid daily() partitions: fmt "yyyy-MM-dd-ss" is unusable: "ss" is not a supported token (use yyyy, MM, dd, HH, mm)'],
    ["fmt missing a token", () => daily({ start: "2024-01-01", fmt: "yyyy-MM" }), 'Invalid daily() partitions: fmt "yyyy-MM" lacks "dd", which daily keys need'],
    ["fmt with a slash", () => daily({ start: "2024-01-01", fmt: "yyyy/MM/dd" }), 'Invalid daily() partitions: fmt "yyyy/MM/dd" is unusable: character "/" is not allowed in partition keys'],
    ["fmt token twice", () => monthly({ start: "2024-01", fmt: "yyyy-MM-MM" }), 'Invalid monthly() partitions: fmt "yyyy-MM-MM" is unusable: token "MM" appears twice'],
    ["fractional endOffset", () => daily({ start: "2024-01-01", endOffset: 1.5 }), "Invalid daily() partitions: endOffset must be an integer, got 1.5"],
    ["weekStartsOn out of range", () => weekly({ start: "2024-01-01", weekStartsOn: 7 as never }), "Invalid weekly() partitions: weekStartsOn must be 0 (Sunday) … 6 (Saturday), got 7"],
    ["misspelt option", () => daily({ start: "2024-01-01", timeZone: "UTC" } as never), 'Invalid daily() partitions: unknown option "timeZone" — did you mean "timezone"?'],
    ["empty static", () => staticPartitions([]), "Invalid staticPartitions(): it needs at least one key"],
    ["static key with /", () => staticPartitions(["a/b"]), 'Invalid staticPartitions(): key "a/b" is invalid: it contains "/" or "\\"'],
    ["static key with ..", () => staticPartitions(["a..b"]), 'Invalid staticPartitions(): key "a..b" is invalid: it contains ".."'],
    ["static key with control char", () => staticPartitions(["a\nb"]), 'Invalid staticPartitions(): key "a\\nb" is invalid: it contains a control character'],
    ["empty static key", () => staticPartitions([""]), 'Invalid staticPartitions(): key "" is invalid: it is empty'],
    ["long static key", () => staticPartitions(["x".repeat(246)]), `Invalid staticPartitions(): key "${"x".repeat(246)}" is invalid: ${tooLong("partition", 256)}`],
    ["static CJK key over 255 bytes encoded", () => staticPartitions(["顧".repeat(28)]), `Invalid staticPartitions(): key "${"顧".repeat(28)}" is invalid: ${tooLong("partition", 262)}`],
    ["multi static key too long for its dimension's folder", () => multiPartitions({ customer_region: staticPartitions(["r".repeat(240)]) }), `Invalid multiPartitions(): key "${"r".repeat(240)}" of dimension "customer_region" is invalid: ${tooLong("customer_region", 256)}`],
    ["duplicate static key", () => staticPartitions(["eu", "us", "eu"]), 'Invalid staticPartitions(): key "eu" is listed twice'],
    ["dynamic name", () => dynamicPartitions("../x"), 'Invalid dynamicPartitions() name "../x": use 1–255 letters, digits, "_", "-" and ".", not starting with "." or "-"'],
    ["multi without dimensions", () => multiPartitions({}), 'Invalid multiPartitions(): it needs at least one dimension, like multiPartitions({ date: daily({ start: "2024-01-01" }), region: staticPartitions(["eu", "us"]) })'],
    ["multi dimension name", () => multiPartitions({ "my-date": daily({ start: "2024-01-01" }) }), 'Invalid multiPartitions(): dimension name "my-date" must start with a letter or "_" and hold only letters, digits and "_"'],
    ["multi key with |", () => multiPartitions({ region: staticPartitions(["eu|us"]) }), 'Invalid multiPartitions(): key "eu|us" of dimension "region" contains "|", which joins the dimension keys'],
    ["nested multi", () => multiPartitions({ m: multiPartitions({ a: staticPartitions(["x"]) }) as never }), 'Invalid multiPartitions(): dimension "m" is itself a multiPartitions() — list its dimensions directly'],
    ["multi non-definition", () => multiPartitions({ a: ["x"] as never }), 'Invalid multiPartitions(): dimension "a" is not a partitions definition (use daily(), staticPartitions(), dynamicPartitions() …)'],
  ];
  for (const [name, fn, message] of cases) {
    test(`${name} → DefinitionError`, () => expect(definitionError(fn)).toBe(message));
  }

  test("dynamicKeyProblem() refuses '|' and path characters", () => {
    expect(dynamicKeyProblem("acme")).toBeNull();
    expect(dynamicKeyProblem("a|b")).toBe('it contains "|", which joins the keys of a multi-partition');
    expect(dynamicKeyProblem("..")).toBe('it contains ".."');
  });

  test("dynamicKeyProblem() limits the encoded folder name to 255 bytes under every folder name the key gets", () => {
    expect(dynamicKeyProblem("a".repeat(245))).toBeNull();
    expect(dynamicKeyProblem("a".repeat(246))).toBe(tooLong("partition", 256));
    expect(dynamicKeyProblem("顧".repeat(27))).toBeNull();
    expect(dynamicKeyProblem("顧".repeat(28))).toBe(tooLong("partition", 262));
    expect(dynamicKeyProblem("a".repeat(245), ["r"])).toBeNull();
    expect(dynamicKeyProblem("a".repeat(245), ["r", "customer_x"])).toBe(tooLong("customer_x", 256));
  });

  test("staticPartitions() accepts a key whose folder is exactly 255 bytes", () => {
    expect(staticPartitions(["x".repeat(245)]).keys[0]).toHaveLength(245);
  });
});

describe("partition definitions are branded plain data", () => {
  test("defaults are filled in and normalized", () => {
    const d = daily({ start: "2024-01-01 00:00", timezone: "europe/berlin" });
    expect({ ...d }).toEqual({ [PARTITIONS_DEF]: true, kind: "time", cadence: "daily", start: "2024-01-01", end: null, timezone: "Europe/Berlin", fmt: "yyyy-MM-dd", endOffset: 0, weekStartsOn: 1 });
    expect(hourly({ start: "2024-01-01T06:30" }).start).toBe("2024-01-01T06:30");
    expect(monthly({ start: "2024-03" }).start).toBe("2024-03-01");
    expect(Object.isFrozen(d)).toBe(true);
  });

  test("isPartitionsDef() and isPartitionMapping() recognise the brands", () => {
    expect([isPartitionsDef(daily({ start: "2024-01-01" })), isPartitionsDef(staticPartitions(["a"])), isPartitionsDef({ kind: "time" })]).toEqual([true, true, false]);
    expect([isPartitionMapping(timeWindow()), isPartitionMapping({ kind: "all" })]).toEqual([true, false]);
  });

  test("partitionsId() changes exactly with the definition", () => {
    const a = daily({ start: "2024-01-01" });
    expect(partitionsId(a)).toBe("daily(start=2024-01-01,end=,timezone=UTC,fmt=yyyy-MM-dd,endOffset=0)");
    expect(partitionsId(daily({ start: "2024-01-01", timezone: "UTC" }))).toBe(partitionsId(a));
    expect(partitionsId(daily({ start: "2024-01-02" }))).not.toBe(partitionsId(a));
    expect(partitionsId(staticPartitions(["a", "b"]))).not.toBe(partitionsId(staticPartitions(["b", "a"])));
    expect(partitionsId(multiPartitions({ date: a, region: staticPartitions(["eu"]) }))).toStartWith("multi(date=daily(start=2024-01-01,");
    expect(createPartitionSpace(a, { now: 0 }).id).toBe(partitionsId(a));
  });

  test("partitionsLabel() shows only non-default options", () => {
    expect(partitionsLabel(weekly({ start: "2024-01-01", timezone: "America/New_York", weekStartsOn: 0 }))).toBe(
      "weekly(start=2024-01-01, timezone=America/New_York, weekStartsOn=0)",
    );
    expect(partitionsLabel(staticPartitions(["a", "b", "c", "d", "e", "f"]))).toBe("staticPartitions(a, b, c, d, … 2 more)");
  });

  test("types carry static keys and multi dimensions for ctx.partition", () => {
    const region = staticPartitions(["eu", "us"]);
    const m = multiPartitions({ date: daily({ start: "2024-01-01" }), region });
    expectType<Equal<PartitionKeyOf<typeof region>, "eu" | "us">>(true);
    expectType<Equal<PartitionDimensionsOf<typeof m>, { readonly date: string; readonly region: "eu" | "us" }>>(true);
    expectType<Equal<PartitionDimensionsOf<ReturnType<typeof daily>>, undefined>>(true);
    expect(m.names).toEqual(["date", "region"]);
  });
});

describe("partitionSegments()", () => {
  const now = Date.parse("2024-06-01T00:00:00Z");
  test("names one hive folder per dimension", () => {
    expect(partitionSegments(createPartitionSpace(daily({ start: "2024-01-01" }), { now }), "2024-01-01")).toEqual(["date=2024-01-01"]);
    expect(partitionSegments(createPartitionSpace(staticPartitions(["eu"]), { now }), "eu")).toEqual(["partition=eu"]);
    const m = createPartitionSpace(multiPartitions({ date: daily({ start: "2024-01-01" }), region: staticPartitions(["eu"]) }), { now });
    expect(partitionSegments(m, "2024-01-01|eu")).toEqual(["date=2024-01-01", "region=eu"]);
    expect(partitionSegments(createPartitionSpace(hourly({ start: "2024-05-31-00:00" }), { now }), "2024-05-31-05:00")).toEqual(["date=2024-05-31-05%3A00"]);
  });

  test("encodes anything that could form a path, leading dots included", () => {
    expect(encodePartitionValue("a/b\\c%d")).toBe("a%2Fb%5Cc%25d");
    expect(encodePartitionValue(".hidden.x")).toBe("%2Ehidden.x");
    expect(encodePartitionValue("a\tb=c ü")).toBe("a%09b%3Dc%20%C3%BC");
    const space = createPartitionSpace(dynamicPartitions("files"), { now, dynamicKeys: () => [".env", "x y"] });
    expect(partitionSegments(space, ".env")).toEqual(["partition=%2Eenv"]);
  });

  test("refuses, with a clear message, a stored dynamic key whose folder name would pass 255 bytes", () => {
    const space = createPartitionSpace(dynamicPartitions("files"), { now, dynamicKeys: () => ["x".repeat(300)] });
    expect(() => partitionSegments(space, "x".repeat(300))).toThrow(/^Cannot store partition "x+" of .*: it is too long: its folder name "partition=…" would be 310 bytes/);
  });

  test("refuses keys that are not partitions of the space", () => {
    const space = createPartitionSpace(staticPartitions(["eu"]), { now });
    expect(() => partitionSegments(space, "../../etc")).toThrow('Unknown partition "../../etc" of staticPartitions(eu)');
  });
});
