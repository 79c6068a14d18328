import { describe, expect, test } from "bun:test";
import { IndexSet, IndexSetBuilder } from "../../core/partitions/index.ts";

/** mulberry32: a small seeded PRNG so failures reproduce. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randomSet(rand: () => number, universe: number): Set<number> {
  const out = new Set<number>();
  let i = 0;
  while (i < universe) {
    const run = Math.floor(rand() * 6);
    if (rand() < 0.5) for (let k = 0; k < run && i + k < universe; k++) out.add(i + k);
    i += run + 1;
  }
  return out;
}

const sorted = (s: Iterable<number>) => [...s].sort((a, b) => a - b);

describe("IndexSet", () => {
  test("range(), fromRanges() and fromIndices() normalize to merged ranges", () => {
    expect(IndexSet.range(3, 3).isEmpty).toBe(true);
    expect(IndexSet.fromRanges([[5, 7], [0, 2], [2, 3], [6, 9]]).toJSON()).toEqual([[0, 3], [5, 9]]);
    expect(IndexSet.fromIndices([4, 1, 2, 2, 3, 9]).toJSON()).toEqual([[1, 5], [9, 10]]);
    expect(IndexSet.of(1, 2, 3).equals(IndexSet.range(1, 4))).toBe(true);
  });

  test("size, has, first, last and iteration", () => {
    const s = IndexSet.fromRanges([[0, 3], [10, 12]]);
    expect([s.size, s.rangeCount, s.first, s.last]).toEqual([5, 2, 0, 11]);
    expect([0, 2, 3, 9, 10, 11, 12].map((i) => s.has(i))).toEqual([true, true, false, false, true, true, false]);
    expect([...s]).toEqual([0, 1, 2, 10, 11]);
    expect([...s.ranges()]).toEqual([[0, 3], [10, 12]]);
    expect(IndexSet.EMPTY.first).toBeUndefined();
  });

  test("union, intersect and difference work on ranges", () => {
    const a = IndexSet.fromRanges([[0, 10], [20, 30]]);
    const b = IndexSet.fromRanges([[5, 25]]);
    expect(a.union(b).toJSON()).toEqual([[0, 30]]);
    expect(a.intersect(b).toJSON()).toEqual([[5, 10], [20, 25]]);
    expect(a.difference(b).toJSON()).toEqual([[0, 5], [25, 30]]);
    expect(IndexSet.range(0, 5).union(IndexSet.range(5, 8)).toJSON()).toEqual([[0, 8]]);
    expect(a.clip(8, 22).toJSON()).toEqual([[8, 10], [20, 22]]);
    expect(a.shift(5).toJSON()).toEqual([[5, 15], [25, 35]]);
  });

  test("huge ranges cost no memory", () => {
    const big = IndexSet.range(0, 1e12).difference(IndexSet.of(5e11));
    expect([big.size, big.rangeCount, big.has(5e11), big.has(5e11 + 1)]).toEqual([1e12 - 1, 2, false, true]);
  });

  test("IndexSetBuilder merges ascending ranges and rejects descending ones", () => {
    const b = new IndexSetBuilder().add(0, 2).add(2, 4).add(1, 3).add(6, 7);
    expect(b.build().toJSON()).toEqual([[0, 4], [6, 7]]);
    expect(() => new IndexSetBuilder().add(5, 6).add(1, 2)).toThrow(RangeError);
  });

  test("matches a naive Set over 300 random cases (seeded)", () => {
    const rand = prng(20240101);
    for (let round = 0; round < 300; round++) {
      const universe = 1 + Math.floor(rand() * 80);
      const na = randomSet(rand, universe);
      const nb = randomSet(rand, universe);
      const a = IndexSet.fromIndices(na);
      const b = IndexSet.fromIndices(nb);
      expect([...a]).toEqual(sorted(na));
      expect(a.size).toBe(na.size);
      expect([...a.union(b)]).toEqual(sorted(new Set([...na, ...nb])));
      expect([...a.intersect(b)]).toEqual(sorted([...na].filter((x) => nb.has(x))));
      expect([...a.difference(b)]).toEqual(sorted([...na].filter((x) => !nb.has(x))));
      const probe = Math.floor(rand() * (universe + 2)) - 1;
      expect(a.has(probe)).toBe(na.has(probe));
      const flat = a.toJSON().flat();
      for (let k = 1; k < flat.length; k++) expect(flat[k]!).toBeGreaterThan(flat[k - 1]!);
    }
  });
});
