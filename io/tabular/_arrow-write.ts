/**
 * Arrow Table → staging plan. Numbers, booleans, dates, timestamps and strings go from Arrow's
 * buffers to the PLAIN stager without becoming JS values; other types (dictionaries, lists,
 * structs, …) are read as JS values and staged like rows.
 */
import * as arrow from "apache-arrow";
import { type RowValidity, booleanColumn, fixedColumn, offsetBytesColumn } from "./_encode.ts";
import { gatherValues } from "./_gather.ts";
import { type StagePlan, checkNames, stageGathered } from "./_rows.ts";
import { TabularValueError, bigintHint } from "./_infer.ts";
import { quoteIdent } from "./_sql.ts";
import { CONVERTED, type PlainColumn } from "./_stage.ts";

type Chunk = arrow.Data;
type Staged = { column: PlainColumn; expr: string };

/** One byte per row (1 = present) across all chunks, or null when nothing is null. */
function validity(chunks: readonly Chunk[], n: number): RowValidity {
  if (chunks.every((d) => d.nullCount === 0)) return null;
  const out = new Uint8Array(n).fill(1);
  let row = 0;
  for (const d of chunks) {
    // Arrow JS slices value buffers but not the null bitmap: its bits start at `d.offset`.
    const bm = d.nullBitmap;
    if (d.nullCount > 0 && bm && bm.length > 0) {
      for (let j = 0; j < d.length; j++) {
        const b = d.offset + j;
        if (((bm[b >> 3]! >> (b & 7)) & 1) === 0) out[row + j] = 0;
      }
    } else if (d.nullCount > 0) out.fill(0, row, row + d.length);
    row += d.length;
  }
  return out;
}

type Fixed = Float64Array | Float32Array | Int32Array | BigInt64Array | BigUint64Array;
const MAKE = { DOUBLE: Float64Array, FLOAT: Float32Array, INT32: Int32Array, INT64: BigInt64Array } as const;

/** Concatenate the (already sliced) value buffers of fixed-width chunks; one chunk is not copied. */
function concatValues(chunks: readonly Chunk[], make: new (k: number) => Fixed, n: number): Fixed {
  if (chunks.length === 1 && (chunks[0]!.values as Fixed).length === n) return chunks[0]!.values as Fixed;
  const out = new make(n);
  let row = 0;
  for (const d of chunks) {
    (out as Float64Array).set((d.values as Float64Array).subarray(0, d.length), row);
    row += d.length;
  }
  return out;
}

function fixed(chunks: readonly Chunk[], n: number, staged: string, type: keyof typeof MAKE, valid: RowValidity, convertedType?: number): PlainColumn {
  const src: unknown = chunks[0]?.values;
  // Narrow ints widen to INT32 and unsigned ones are reinterpreted (the annotation restores them).
  if (type === "INT32" && src && !(src instanceof Int32Array)) {
    const out = new Int32Array(n);
    let row = 0;
    for (const d of chunks) for (let j = 0; j < d.length; j++) out[row++] = Number((d.values as Uint32Array)[j]!) | 0;
    return fixedColumn(staged, type, out, valid, convertedType);
  }
  if (type === "INT64" && src instanceof BigUint64Array) {
    const u = concatValues(chunks, BigUint64Array, n);
    return fixedColumn(staged, type, new BigInt64Array(u.buffer, u.byteOffset, u.length), valid, convertedType);
  }
  return fixedColumn(staged, type, concatValues(chunks, MAKE[type], n) as Exclude<Fixed, BigUint64Array>, valid, convertedType);
}

function booleans(chunks: readonly Chunk[], n: number, staged: string, valid: RowValidity): PlainColumn {
  const out = new Uint8Array(n);
  let row = 0;
  for (const d of chunks) {
    const bits = d.values as Uint8Array;
    for (let j = 0; j < d.length; j++) {
      const b = d.offset + j;
      out[row++] = (bits[b >> 3]! >> (b & 7)) & 1;
    }
  }
  return booleanColumn(staged, out, valid);
}

function utf8(chunks: readonly Chunk[], n: number, staged: string, valid: RowValidity, convertedType?: number): PlainColumn {
  if (chunks.length === 1) return offsetBytesColumn(staged, chunks[0]!.valueOffsets as Int32Array, chunks[0]!.values as Uint8Array, valid, convertedType);
  const offsets = new Int32Array(n + 1);
  const size = chunks.reduce((s, d) => s + (d.valueOffsets[d.length]! - d.valueOffsets[0]!), 0);
  const data = new Uint8Array(size);
  let row = 0;
  let pos = 0;
  for (const d of chunks) {
    const o = d.valueOffsets as Int32Array;
    data.set((d.values as Uint8Array).subarray(o[0]!, o[d.length]!), pos);
    for (let j = 0; j < d.length; j++) offsets[row + j + 1] = pos + o[j + 1]! - o[0]!;
    pos += o[d.length]! - o[0]!;
    row += d.length;
  }
  return offsetBytesColumn(staged, offsets, data, valid, convertedType);
}

const TIMESTAMP_EXPR: Record<arrow.TimeUnit, (ref: string) => string> = {
  [arrow.TimeUnit.SECOND]: (r) => `make_timestamp(${r} * 1000000)`,
  [arrow.TimeUnit.MILLISECOND]: (r) => `epoch_ms(${r})`,
  [arrow.TimeUnit.MICROSECOND]: (r) => `make_timestamp(${r})`,
  [arrow.TimeUnit.NANOSECOND]: (r) => `make_timestamp_ns(${r})`,
};

/** The fast path for one column, or null when its type has none. */
function stageFast(type: arrow.DataType, chunks: readonly Chunk[], n: number, staged: string): Staged | null {
  const ref = quoteIdent(staged);
  const valid = () => validity(chunks, n);
  const plain = (column: PlainColumn, expr = ref): Staged => ({ column, expr });
  if (arrow.DataType.isFloat(type)) {
    if (type.precision === arrow.Precision.DOUBLE) return plain(fixed(chunks, n, staged, "DOUBLE", valid()));
    if (type.precision === arrow.Precision.SINGLE) return plain(fixed(chunks, n, staged, "FLOAT", valid()));
    return null;
  }
  if (arrow.DataType.isInt(type)) {
    const w = type.bitWidth;
    if (w === 64) return plain(fixed(chunks, n, staged, "INT64", valid(), type.isSigned ? undefined : CONVERTED.UINT_64));
    const conv = type.isSigned ? { 8: CONVERTED.INT_8, 16: CONVERTED.INT_16, 32: undefined }[w] : { 8: CONVERTED.UINT_8, 16: CONVERTED.UINT_16, 32: CONVERTED.UINT_32 }[w];
    return plain(fixed(chunks, n, staged, "INT32", valid(), conv));
  }
  if (arrow.DataType.isBool(type)) return plain(booleans(chunks, n, staged, valid()));
  if (arrow.DataType.isUtf8(type)) return plain(utf8(chunks, n, staged, valid(), CONVERTED.UTF8));
  if (arrow.DataType.isBinary(type)) return plain(utf8(chunks, n, staged, valid()));
  if (arrow.DataType.isDate(type)) {
    if (type.unit === arrow.DateUnit.DAY) return plain(fixed(chunks, n, staged, "INT32", valid(), CONVERTED.DATE));
    return plain(fixed(chunks, n, staged, "INT64", valid()), `CAST(epoch_ms(${ref}) AS DATE)`);
  }
  if (arrow.DataType.isTimestamp(type)) {
    const ts = TIMESTAMP_EXPR[type.unit](ref);
    // A zoned Arrow timestamp is an instant: read the epoch value as UTC, keep it zoned.
    return plain(fixed(chunks, n, staged, "INT64", valid()), type.timezone ? `timezone('UTC', ${ts})` : ts);
  }
  return null;
}

/** Arrow values as plain JS values the row stager accepts (structs → objects, lists → arrays). */
function toPlain(v: unknown): unknown {
  if (v === null || v === undefined || typeof v !== "object") return v;
  if (v instanceof Date || v instanceof Uint8Array) return v;
  if (v instanceof arrow.Vector) return Array.from(v, toPlain);
  if (ArrayBuffer.isView(v)) return Array.from(v as unknown as ArrayLike<unknown>, toPlain);
  const json = (v as { toJSON?: () => unknown }).toJSON;
  const o = typeof json === "function" && !Array.isArray(v) ? json.call(v) : v;
  if (Array.isArray(o)) return o.map(toPlain);
  if (o && typeof o === "object" && !(o instanceof Date)) return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, toPlain(x)]));
  return o;
}

/** Plan the staging of an Arrow Table (zero rows is fine: the schema is still written). */
export function planArrow(table: arrow.Table): StagePlan {
  const names = table.schema.fields.map((f) => f.name);
  checkNames(names);
  const n = table.numRows;
  const plan: StagePlan = { columns: [], select: [], hints: null, numRows: n };
  table.schema.fields.forEach((field, i) => {
    const vector = table.getChildAt(i)!;
    const staged = `c${i}`;
    let s = stageFast(field.type, vector.data, n, staged);
    if (!s && (arrow.DataType.isDecimal(field.type) || arrow.DataType.isInterval(field.type))) {
      // Arrow JS hands these out as raw word arrays, which would be stored as lists of numbers.
      const type = String(field.type);
      throw new TabularValueError(`Cannot store column "${field.name}" as Parquet: Arrow ${type} columns are not supported: cast it to Float64 (or Utf8) first`, field.name, type);
    }
    if (!s) {
      const g = gatherValues(Array.from(vector, toPlain), field.name);
      s = stageGathered(g, staged);
      const hint = bigintHint(g.type);
      if (hint) (plan.hints ??= {})[field.name] = hint;
    }
    if (arrow.DataType.isInt(field.type) && field.type.bitWidth === 64) (plan.hints ??= {})[field.name] = "bigint";
    plan.columns.push(s.column);
    plan.select.push(`${s.expr} AS ${quoteIdent(field.name)}`);
  });
  return plan;
}
