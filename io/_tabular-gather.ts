/**
 * One column's values gathered into the buffer its type needs, checking types on the way:
 * numbers and Dates into a Float64Array, booleans into bytes, bigints into a BigInt64Array,
 * strings / bytes / nested values into a JS array. Rows are read once, row by row, and each
 * value lands in its column's buffer — reading a million JS objects is the expensive part.
 */
import { type JsType, TabularValueError, describeJsType, merge, typeOf } from "./_tabular-infer.ts";

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
    this.present = new Uint8Array(n);
  }

  /** Record value `v` of row `r` (null and undefined are nulls). */
  add(r: number, v: unknown): void {
    if (v === null || v === undefined) return;
    const t = this.type.kind;
    switch (typeof v) {
      case "number":
        if (t !== "number") this.claim(r, v, Number.isSafeInteger(v) && !Object.is(v, -0));
        this.f64![r] = v;
        // Integral columns are stored as BIGINT; one fraction (or -0, or 2^53+) makes it DOUBLE.
        if ((this.type as { integer: boolean }).integer && (!Number.isSafeInteger(v) || (v === 0 && 1 / v < 0))) this.type = DOUBLE;
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
    this.count++;
  }

  /** Dates (first one), bytes, nested values and anything unsupported. */
  private addOther(r: number, v: unknown): void {
    const t = typeOf(v, this.name, r); // throws for functions, symbols, class instances…
    if (t.kind === "date") {
      this.claim(r, v);
      this.f64![r] = (v as Date).getTime();
      return;
    }
    if (this.type.kind === "null") this.claim(r, v, false, t);
    else this.type = merge(this.type, t, this.name, r);
    this.values![r] = v;
  }

  /** First value of a kind: pick the buffer, or throw if the column already holds another kind. */
  private claim(r: number, v: unknown, integer = false, t: JsType = typeOf(v, this.name, r)): void {
    if (this.type.kind !== "null") this.type = merge(this.type, t, this.name, r); // throws on conflict
    this.type = t.kind === "number" ? (integer ? INTEGER : DOUBLE) : t;
    switch (t.kind) {
      case "number":
      case "date":
        this.f64 = new Float64Array(this.n);
        break;
      case "boolean":
        this.u8 = new Uint8Array(this.n);
        break;
      case "bigint":
        this.i64 = new BigInt64Array(this.n);
        break;
      default:
        this.values = new Array(this.n);
    }
  }
}

const INTEGER: JsType = { kind: "number", integer: true };
const DOUBLE: JsType = { kind: "number", integer: false };

/** Gather a JS array as one column (Arrow columns without a fast path). */
export function gatherValues(values: readonly unknown[], name: string): ColumnGather {
  const g = new ColumnGather(name, values.length);
  for (let i = 0; i < values.length; i++) g.add(i, values[i]);
  return g;
}

/** Gather rows into columns, keys in first-seen order. */
export function gatherRows(rows: readonly Record<string, unknown>[]): ColumnGather[] {
  const n = rows.length;
  const columns: ColumnGather[] = [];
  const index = new Map<string, number>();
  for (let r = 0; r < n; r++) {
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
          col = new ColumnGather(key, n);
          index.set(key, columns.length);
          columns.push(col);
        } else col = columns[slot]!;
      }
      col.add(r, row[key]);
      j++;
    }
  }
  return columns;
}
