import { describe, expect, test } from "bun:test";
import {
  createPartitionSpace,
  daily,
  dynamicPartitions,
  hourly,
  IndexSet,
  monthly,
  multiPartitions,
  PartitionRangeError,
  type PartitionSpace,
  resolvePartitionSelection,
  staticPartitions,
  weekly,
} from "../../core/partitions/index.ts";
import { assertClean, cliOutcome, pick, prng, tokenSoup } from "../support/fuzz.ts";

const now = Date.parse("2024-06-15T12:00:00Z");
const ctx = { now, dynamicKeys: (name: string) => (name === "customers" ? ["acme", "globex", "a,b", 'q"x'] : []) };
const region = staticPartitions(["eu", "us", "apac"]);
const SPACES: PartitionSpace[] = [
  createPartitionSpace(daily({ start: "2024-01-01" }), ctx),
  createPartitionSpace(monthly({ start: "2023-11" }), ctx),
  createPartitionSpace(weekly({ start: "2024-01-01" }), ctx),
  createPartitionSpace(daily({ start: "2024-01-01", fmt: "yyyyMMdd" }), ctx),
  createPartitionSpace(hourly({ start: "2024-03-30-00:00", timezone: "Europe/Berlin" }), { now: Date.parse("2024-04-02T00:00:00Z") }),
  createPartitionSpace(region, ctx),
  createPartitionSpace(dynamicPartitions("customers"), ctx),
  createPartitionSpace(dynamicPartitions("empty"), ctx),
  createPartitionSpace(multiPartitions({ date: daily({ start: "2024-01-01", end: "2024-01-11" }), region }), ctx),
  createPartitionSpace(multiPartitions({ a: staticPartitions(["x", "y"]), b: region }), ctx),
];
const STATUS = { materialized: IndexSet.range(0, 20), failed: IndexSet.of(25) };

const TOKENS = [
  "2024", "2023", "-01", "-02", "-29", "-31", "-13", "-00", "01", "12", "0", "9999", "-", ":00", "-02:00", "+0100", "T",
  "..", "..", "...", "....", ",", ",", "=", "|", '"', '""', " ", "  ", "\t",
  "latest", "missing", "failed", "*", "all", "date", "region", "a", "b", "eu", "us", "apac", "acme", "x", "y", "customers",
  "é", "\u0000", "💥", "/", "\\", "(", ")", "!", "%", "NaN", "Infinity", "1e400", "-1",
];

/** Random text, sometimes adversarial: long, many commas, many quotes or many dots. */
function randomRange(rand: () => number): string {
  const s = tokenSoup(rand, TOKENS, 10);
  const r = rand();
  if (r < 0.03) return `${s}${",".repeat(Math.floor(rand() * 3000))}`;
  if (r < 0.06) return '"'.repeat(Math.floor(rand() * 3000)) + s;
  if (r < 0.09) return `${s}${".".repeat(Math.floor(rand() * 3000))}${s}`;
  if (r < 0.1) return Array.from({ length: 500 }, () => pick(rand, ["2024-01-01", "eu", "latest", "date=2024-01", "region=eu"])).join(",");
  return s;
}

/** A range drawn from the grammar: ends, prefixes, keywords, dimensions. */
function grammarRange(rand: () => number): string {
  const end = () => pick(rand, ["2024", "2024-01", "2024-02-29", "2024-03-31", "2024-03-30-02:00", "20240105", "latest", "eu", "us", '"a,b"', "acme", "2024-01-01|eu", "x|apac", ""]);
  const item = () => (rand() < 0.5 ? end() || "*" : `${end()}${pick(rand, ["..", "..."])}${end()}`);
  const list = () => Array.from({ length: 1 + Math.floor(rand() * 3) }, item).join(pick(rand, [",", ", "]));
  const r = rand();
  if (r < 0.2) return `${pick(rand, ["date", "region", "a", "b", "day"])}=${list()},${pick(rand, ["region", "b", "date"])}=${list()}`;
  if (r < 0.3) return pick(rand, ["missing", "failed", "latest", "*", "all"]);
  return list();
}

describe("resolvePartitionSelection() fuzz", () => {
  test("resolvePartitionSelection() maps 10,000 random ranges on every kind of space to exit 0 or 2, never a stack trace", () => {
    const rand = prng(51);
    const codes = new Set<number>();
    for (let i = 0; i < 10_000; i++) {
      const text = i % 3 === 0 ? grammarRange(rand) : randomRange(rand);
      const space = SPACES[i % SPACES.length]!;
      const clip = rand() < 0.3;
      let set: IndexSet | null = null;
      const o = cliOutcome(() => (set = resolvePartitionSelection(text, space, { ...STATUS, clip })));
      assertClean(text, o);
      codes.add(o.code);
      if (set !== null) {
        const got = set as IndexSet;
        expect(got.isEmpty || (got.first! >= 0 && got.last! < space.size)).toBe(true);
      }
    }
    expect([...codes].sort()).toEqual([0, 2]);
  });

  test("resolvePartitionSelection() errors point inside the text", () => {
    const rand = prng(52);
    for (let i = 0; i < 2000; i++) {
      const text = randomRange(rand);
      try {
        resolvePartitionSelection(text, SPACES[i % SPACES.length]!, STATUS);
      } catch (e) {
        if (!(e instanceof PartitionRangeError)) throw e;
        expect(e.position).toBeGreaterThanOrEqual(0);
        expect(e.position).toBeLessThanOrEqual(text.length);
        expect(e.pointer.split("\n")).toHaveLength(2);
        expect(e.message).not.toMatch(/\.$/);
      }
    }
  });
});
