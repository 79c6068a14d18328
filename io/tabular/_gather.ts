/**
 * One column's values gathered into the buffer its type needs, checking types on the way:
 * numbers and Dates into a Float64Array, booleans into bytes, bigints into a BigInt64Array,
 * strings / bytes / nested values into a JS array. Rows are read once, row by row, and each
 * value lands in its column's buffer — reading a million JS objects is the expensive part.
 */
import { type JsType, TabularValueError, describeJsType, merge, typeOf } from "./_infer.ts";
import { giveArray, giveBuffer, takeArray, takeBuffer } from "./_pool.ts";

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

export class ColumnGather {
  type: JsType = { kind: "null" };
  /** 1 where row i holds a value; rows whose object lacks the key stay 0 (null). */
  readonly present: Uint8Array;
  count = 0;
  f64: Float64Array | null = null;
  u8: Uint8Array | null = null;
  i64: BigInt64Array | null = null;
  values: unknown[] | null = null;

  constructor(
    readonly name: string,
    readonly n: number,
  ) {
    this.present = zeroed(Uint8Array, n);
  }

  /** Record value `v` of row `r` (null and undefined are nulls). */
  add(r: number, v: unknown): void {
    if (v === null || v === undefined) return;
    const t = this.type.kind;
    switch (typeof v) {
      case "number":
        if (t !== "number") this.claim(r, v);
        this.f64![r] = v;
        break;
      case "string":
        if (t !== "string") this.claim(r, v);
        this.values![r] = v;
        break;
      case "boolean":
        if (t !== "boolean") this.claim(r, v);
        this.u8![r] = v ? 1 : 0;
        break;
      case "bigint":
        if (t !== "bigint") this.claim(r, v);
        if (v < INT64_MIN || v > INT64_MAX) typeOf(v, this.name, r); // throws, naming the range
        this.i64![r] = v;
        break;
      default:
        if (v instanceof Date && t === "date") {
          const ms = v.getTime();
          if (Number.isNaN(ms)) typeOf(v, this.name, r); // throws: invalid Date
          this.f64![r] = ms;
        } else this.addOther(r, v);
    }
    this.present[r] = 1;
  }

  /**
   * Settle what depends on all values: the count of non-nulls, and whether a number column is
   * integral (stored as BIGINT; one fraction, -0 or a value past 2^53 makes it DOUBLE).
   */
  finish(): this {
    let count = 0;
    const present = this.present;
    for (let r = 0; r < this.n; r++) count += present[r]!;
    this.count = count;
    if (this.type.kind === "number") {
      const f64 = this.f64!;
      let integer = true;
      for (let r = 0; r < this.n && integer; r++) {
        const v = f64[r]!;
        if (present[r] && (!Number.isSafeInteger(v) || (v === 0 && 1 / v < 0))) integer = false;
      }
      this.type = integer ? INTEGER : DOUBLE;
    }
    return this;
  }

  /** Dates (first one), bytes, nested values and anything unsupported. */
  private addOther(r: number, v: unknown): void {
    const t = typeOf(v, this.name, r); // throws for functions, symbols, class instances…
    if (t.kind === "date") {
      this.claim(r, v);
      this.f64![r] = (v as Date).getTime();
      return;
    }
    if (this.type.kind === "null") this.claim(r, v, t);
    else this.type = merge(this.type, t, this.name, r);
    this.values![r] = v;
  }

  /** First value of a kind: pick the buffer, or throw if the column already holds another kind. */
  private claim(r: number, v: unknown, t: JsType = typeOf(v, this.name, r)): void {
    if (this.type.kind !== "null") this.type = merge(this.type, t, this.name, r); // throws on conflict
    this.type = t.kind === "number" ? INTEGER : t; // integral or not: settled by finish()
    switch (t.kind) {
      case "number":
      case "date":
        this.f64 = zeroed(Float64Array, this.n);
        break;
      case "boolean":
        this.u8 = zeroed(Uint8Array, this.n);
        break;
      case "bigint":
        this.i64 = new BigInt64Array(this.n);
        break;
      default:
        this.values = (this.n >= POOL_MIN_ROWS ? takeArray(this.n) : null) ?? new Array(this.n);
    }
  }
}

/** A zero-filled typed array of `n` elements, from the buffer pool when `n` is large (io/tabular/_pool.ts). */
function zeroed<T extends Uint8Array | Float64Array>(Make: { new (n: number): T; new (b: ArrayBuffer, offset: number, n: number): T; BYTES_PER_ELEMENT: number }, n: number): T {
  if (n < POOL_MIN_ROWS) return new Make(n);
  const buf = takeBuffer(n * Make.BYTES_PER_ELEMENT);
  return (buf ? new Make(buf, 0, n).fill(0) : new Make(n)) as T;
}

/** Gathers this large take their buffers from the pool, and give them back. */
const POOL_MIN_ROWS = 65_536;

/**
 * Give the typed buffers of `columns` back for reuse. Only once nothing reads them any more: the
 * write they were gathered for has finished (or failed).
 */
export function releaseGathered(columns: readonly ColumnGather[]): void {
  for (const c of columns) {
    for (const b of [c.present, c.f64, c.u8]) if (b && b.length >= POOL_MIN_ROWS && b.byteOffset === 0) giveBuffer(b.buffer as ArrayBuffer);
    if (c.values && c.n >= POOL_MIN_ROWS) giveArray(c.values);
    c.f64 = c.u8 = c.values = null; // a released column reads nothing any more
  }
}

const INTEGER: JsType = { kind: "number", integer: true };
const DOUBLE: JsType = { kind: "number", integer: false };

/** Gather a JS array as one column (Arrow columns without a fast path). */
export function gatherValues(values: readonly unknown[], name: string): ColumnGather {
  const g = new ColumnGather(name, values.length);
  for (let i = 0; i < values.length; i++) g.add(i, values[i]);
  return g.finish();
}

/** Gather rows into columns, keys in first-seen order. */
export function gatherRows(rows: readonly Record<string, unknown>[]): ColumnGather[] {
  const n = rows.length;
  const columns: ColumnGather[] = [];
  const index = new Map<string, number>();
  let fast: FastLane | null = null;
  let r = 0;
  while (r < n) {
    if (fast) {
      r = fast(rows, r, columns);
      if (r >= n) break;
    }
    gatherRow(rows, r, columns, index);
    // Every column so far came from the first row (an object, or gatherRow threw): compile the
    // fast lane for its keys and kinds.
    if (r === 0 && n > 1 && columns.length > 0) fast = fastLane(columns);
    r++;
  }
  for (const c of columns) c.finish();
  return columns;
}

/** Gather rows[r], whatever its keys. */
function gatherRow(rows: readonly Record<string, unknown>[], r: number, columns: ColumnGather[], index: Map<string, number>): void {
  const row = rows[r];
  if (typeof row !== "object" || row === null || Array.isArray(row)) {
    throw new TabularValueError(`Cannot store rows as Parquet: rows[${r}] is ${describeJsType(row)}: every row must be a plain object`, "", describeJsType(row));
  }
  // Rows usually share one key order: guess the column by position before asking the map.
  let j = 0;
  for (const key in row) {
    let col = columns[j];
    if (col === undefined || col.name !== key) {
      const slot = index.get(key);
      if (slot === undefined) {
        col = new ColumnGather(key, rows.length);
        index.set(key, columns.length);
        columns.push(col);
      } else col = columns[slot]!;
    }
    col.add(r, row[key]);
    j++;
  }
}

/** Gathers rows from `start` while each has exactly the compiled keys in order; returns the first row it left alone. */
type FastLane = (rows: readonly Record<string, unknown>[], start: number, columns: readonly ColumnGather[]) => number;

/**
 * A gatherer compiled for the first row's keys and value kinds. Property reads with constant
 * names, and stores straight into the column buffers, are several times cheaper than
 * `row[key]` over a loop of names plus a generic `add()` — reading the objects was most of a
 * rows → Parquet write. Any value off the compiled kind goes through `add()` (which claims,
 * merges or throws exactly as on the generic path); a row whose own keys differ in any way
 * (missing, extra, reordered) is handed back to the generic path.
 */
function fastLane(columns: readonly ColumnGather[]): FastLane {
  const keys = columns.map((c) => c.name);
  const k = keys.length;
  /** The statement storing `v` (row[key]) into column j: straight into its buffer when of the compiled kind. */
  const store = (c: ColumnGather, j: number): string => {
    const slow = `c${j}.add(r, v);`;
    const kept = `p${j}[r] = 1;`;
    switch (c.type.kind) {
      case "number":
        return `if (typeof v === "number") { f${j}[r] = v; ${kept} } else ${slow}`;
      case "date":
        return `if (v instanceof Date && (t = v.getTime()) === t) { f${j}[r] = t; ${kept} } else ${slow}`;
      case "string":
        return `if (typeof v === "string") { s${j}[r] = v; ${kept} } else ${slow}`;
      case "boolean":
        return `if (typeof v === "boolean") { u${j}[r] = v ? 1 : 0; ${kept} } else ${slow}`;
      default:
        return slow;
    }
  };
  const body = [
    `const n = rows.length;`,
    ...columns.map((c, j) => `const c${j} = columns[${j}], p${j} = c${j}.present, f${j} = c${j}.f64, u${j} = c${j}.u8, s${j} = c${j}.values;`),
    `let v, t;`,
    `for (let r = start; r < n; r++) {`,
    `  const row = rows[r];`,
    `  if (typeof row !== "object" || row === null || Array.isArray(row)) return r;`,
    `  let j = 0;`,
    `  for (const key in row) { if (j === ${k} || key !== keys[j]) return r; j++; }`,
    `  if (j !== ${k}) return r;`,
    ...columns.flatMap((c, j) => [`  v = row[${JSON.stringify(c.name)}];`, `  ${store(c, j)}`]),
    `}`,
    `return n;`,
  ].join("\n");
  // One function per shape, kept: a repeated shape reuses code the JIT has already optimized.
  let compiled = compiledLanes.get(body);
  if (!compiled) {
    compiled = new Function("keys", "rows", "start", "columns", body) as CompiledLane;
    if (compiledLanes.size >= MAX_COMPILED_LANES) compiledLanes.delete(compiledLanes.keys().next().value!);
    compiledLanes.set(body, compiled);
  }
  const lane = compiled;
  return (rows, start, cols) => lane(keys, rows, start, cols);
}

type CompiledLane = (keys: readonly string[], ...rest: Parameters<FastLane>) => number;
const compiledLanes = new Map<string, CompiledLane>();
const MAX_COMPILED_LANES = 256;
