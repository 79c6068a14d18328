/**
 * Range arithmetic on multi-partition indices (mixed-radix numbers, first dimension most
 * significant): a range splits into at most 2·dims−1 boxes, and a product of per-dimension sets
 * compresses to one range per outer index (or fewer when the inner dimensions are complete).
 */
import { IndexSet, IndexSetBuilder } from "./index-set.ts";

/** One `[start, end)` per dimension. */
export type Box = [number, number][];

/** The boxes whose union is `set`. */
export function boxesOf(set: IndexSet, radices: readonly number[]): Box[] {
  const strides = radices.map((_, k) => radices.slice(k + 1).reduce((a, b) => a * b, 1));
  const out: Box[] = [];
  const walk = (s: number, e: number, k: number, prefix: Box): void => {
    if (s >= e) return;
    const stride = strides[k]!;
    const full = radices.slice(k + 1).map((r): [number, number] => [0, r]);
    const q0 = Math.floor(s / stride);
    const q1 = Math.floor(e / stride);
    const r0 = s - q0 * stride;
    const r1 = e - q1 * stride;
    if (q0 === q1) return walk(r0, r1, k + 1, [...prefix, [q0, q0 + 1]]);
    let lo = q0;
    if (r0 > 0) {
      walk(r0, stride, k + 1, [...prefix, [q0, q0 + 1]]);
      lo++;
    }
    if (lo < q1) out.push([...prefix, [lo, q1], ...full]);
    if (r1 > 0) walk(0, r1, k + 1, [...prefix, [q1, q1 + 1]]);
  };
  if (radices.length === 0) return [];
  for (const [s, e] of set.ranges()) walk(s, e, 0, []);
  return out;
}

/** The multi indices whose coordinate in each dimension `k` lies in `sets[k]`. */
export function productSet(sets: readonly IndexSet[], radices: readonly number[]): IndexSet {
  const n = radices.length;
  if (n === 0) return IndexSet.EMPTY;
  let inner = sets[n - 1]!.clip(0, radices[n - 1]!);
  let innerSize = radices[n - 1]!;
  for (let k = n - 2; k >= 0; k--) {
    const outer = sets[k]!.clip(0, radices[k]!);
    const b = new IndexSetBuilder();
    const full = inner.size === innerSize;
    for (const [a, e] of outer.ranges()) {
      if (full) b.add(a * innerSize, e * innerSize);
      else {
        for (let x = a; x < e; x++) {
          for (const [s2, e2] of inner.ranges()) b.add(x * innerSize + s2, x * innerSize + e2);
        }
      }
    }
    inner = b.build();
    innerSize *= radices[k]!;
  }
  return inner;
}

/** The product of one box. */
export function boxSet(box: Box, radices: readonly number[]): IndexSet {
  return productSet(box.map(([s, e]) => IndexSet.range(s, e)), radices);
}
