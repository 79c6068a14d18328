/**
 * A set of partition indices stored as sorted, disjoint, non-adjacent half-open ranges, so a
 * million contiguous partitions cost two numbers. All operations are linear in the number of
 * ranges, never in the number of indices.
 */

let fromFlat: (flat: readonly number[]) => IndexSet;

/** Immutable set of non-negative integer indices, as ranges `[start, end)`. */
export class IndexSet {
  static {
    fromFlat = (flat) => (flat.length === 0 ? IndexSet.EMPTY : new IndexSet(flat));
  }

  /** Flat `[start0, end0, start1, end1, …]`, ascending, disjoint, non-adjacent. */
  readonly #r: readonly number[];

  private constructor(flat: readonly number[]) {
    this.#r = flat;
  }

  static readonly EMPTY: IndexSet = new IndexSet([]);

  /** The indices `start … end-1` (empty when `end <= start`). */
  static range(start: number, end: number): IndexSet {
    return end > start ? new IndexSet([start, end]) : IndexSet.EMPTY;
  }

  /** A set from `[start, end)` pairs in any order, overlapping or not. */
  static fromRanges(pairs: Iterable<readonly [number, number]>): IndexSet {
    const sorted = [...pairs].filter(([s, e]) => e > s).sort((a, b) => a[0] - b[0]);
    const b = new IndexSetBuilder();
    for (const [s, e] of sorted) b.add(s, e);
    return b.build();
  }

  /** A set from single indices in any order, duplicates allowed. */
  static fromIndices(indices: Iterable<number>): IndexSet {
    const sorted = Float64Array.from(indices).sort();
    const b = new IndexSetBuilder();
    for (const i of sorted) b.add(i, i + 1);
    return b.build();
  }

  static of(...indices: number[]): IndexSet {
    return IndexSet.fromIndices(indices);
  }

  /** Number of indices. */
  get size(): number {
    let n = 0;
    for (let k = 0; k < this.#r.length; k += 2) n += this.#r[k + 1]! - this.#r[k]!;
    return n;
  }

  get rangeCount(): number {
    return this.#r.length / 2;
  }

  get isEmpty(): boolean {
    return this.#r.length === 0;
  }

  /** Smallest index, or undefined when empty. */
  get first(): number | undefined {
    return this.#r[0];
  }

  /** Largest index, or undefined when empty. */
  get last(): number | undefined {
    const end = this.#r[this.#r.length - 1];
    return end === undefined ? undefined : end - 1;
  }

  has(index: number): boolean {
    let lo = 0;
    let hi = this.#r.length / 2;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.#r[mid * 2 + 1]! <= index) lo = mid + 1;
      else hi = mid;
    }
    return lo < this.#r.length / 2 && this.#r[lo * 2]! <= index;
  }

  union(other: IndexSet): IndexSet {
    return IndexSet.#merge(this, other, (a, b) => a || b);
  }

  intersect(other: IndexSet): IndexSet {
    return IndexSet.#merge(this, other, (a, b) => a && b);
  }

  difference(other: IndexSet): IndexSet {
    return IndexSet.#merge(this, other, (a, b) => a && !b);
  }

  /** Only the indices in `start … end-1`. */
  clip(start: number, end: number): IndexSet {
    return this.intersect(IndexSet.range(start, end));
  }

  /** Every index moved by `delta`. */
  shift(delta: number): IndexSet {
    return new IndexSet(this.#r.map((x) => x + delta));
  }

  equals(other: IndexSet): boolean {
    return this.#r.length === other.#r.length && this.#r.every((x, i) => x === other.#r[i]);
  }

  /** The ranges `[start, end)`, ascending. */
  *ranges(): Generator<[number, number]> {
    for (let k = 0; k < this.#r.length; k += 2) yield [this.#r[k]!, this.#r[k + 1]!];
  }

  /** The indices, ascending. */
  *[Symbol.iterator](): Generator<number> {
    for (let k = 0; k < this.#r.length; k += 2) {
      for (let i = this.#r[k]!; i < this.#r[k + 1]!; i++) yield i;
    }
  }

  toJSON(): [number, number][] {
    return [...this.ranges()];
  }

  toString(): string {
    return `IndexSet(${this.toJSON().map(([s, e]) => (e - s === 1 ? `${s}` : `${s}..${e - 1}`)).join(", ")})`;
  }

  /** Sweep both range lists over their boundaries and keep the spans where `keep` holds. */
  static #merge(x: IndexSet, y: IndexSet, keep: (inX: boolean, inY: boolean) => boolean): IndexSet {
    const a = x.#r;
    const b = y.#r;
    const out = new IndexSetBuilder();
    let i = 0;
    let j = 0;
    let inA = false;
    let inB = false;
    let openAt: number | null = null;
    while (i < a.length || j < b.length) {
      const p = Math.min(a[i] ?? Infinity, b[j] ?? Infinity);
      if (a[i] === p) {
        inA = !inA;
        i++;
      }
      if (b[j] === p) {
        inB = !inB;
        j++;
      }
      const on = keep(inA, inB);
      if (on && openAt === null) openAt = p;
      else if (!on && openAt !== null) {
        out.add(openAt, p);
        openAt = null;
      }
    }
    return out.build();
  }
}

/** Appends ranges in ascending start order, merging overlaps and neighbours. */
export class IndexSetBuilder {
  readonly #flat: number[] = [];

  add(start: number, end: number): this {
    if (end <= start) return this;
    const n = this.#flat.length;
    if (n > 0 && start <= this.#flat[n - 1]!) {
      if (start < this.#flat[n - 2]!) throw new RangeError("IndexSetBuilder.add() needs ascending starts");
      this.#flat[n - 1] = Math.max(this.#flat[n - 1]!, end);
    } else this.#flat.push(start, end);
    return this;
  }

  build(): IndexSet {
    return fromFlat([...this.#flat]);
  }
}
