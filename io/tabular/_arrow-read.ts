/**
 * Query results → Arrow Table. DuckDB's Arrow export is not reachable from the Node API (and
 * the arrow extension cannot be downloaded offline), so columns are converted here: numbers
 * straight into typed arrays, everything else through Arrow's builders.
 */
import { type DuckDBConnection, type DuckDBType, DuckDBTypeId, type DuckDBValue, JSDuckDBValueConverter } from "@duckdb/node-api";
import * as arrow from "apache-arrow";
import { bindValues } from "./_sql.ts";

/** The Arrow type for a DuckDB type; 128-bit integers and DECIMAL become Float64, unknown types Utf8. */
export function arrowType(t: DuckDBType): arrow.DataType {
  switch (t.typeId) {
    case DuckDBTypeId.BOOLEAN:
      return new arrow.Bool();
    case DuckDBTypeId.TINYINT:
      return new arrow.Int8();
    case DuckDBTypeId.SMALLINT:
      return new arrow.Int16();
    case DuckDBTypeId.INTEGER:
      return new arrow.Int32();
    case DuckDBTypeId.BIGINT:
      return new arrow.Int64();
    case DuckDBTypeId.UTINYINT:
      return new arrow.Uint8();
    case DuckDBTypeId.USMALLINT:
      return new arrow.Uint16();
    case DuckDBTypeId.UINTEGER:
      return new arrow.Uint32();
    case DuckDBTypeId.UBIGINT:
      return new arrow.Uint64();
    case DuckDBTypeId.FLOAT:
      return new arrow.Float32();
    case DuckDBTypeId.DOUBLE:
    case DuckDBTypeId.DECIMAL:
    case DuckDBTypeId.HUGEINT:
    case DuckDBTypeId.UHUGEINT:
      return new arrow.Float64();
    case DuckDBTypeId.BLOB:
      return new arrow.Binary();
    case DuckDBTypeId.DATE:
      return new arrow.DateDay();
    case DuckDBTypeId.TIMESTAMP:
    case DuckDBTypeId.TIMESTAMP_S:
    case DuckDBTypeId.TIMESTAMP_MS:
    case DuckDBTypeId.TIMESTAMP_NS:
      return new arrow.TimestampMillisecond();
    case DuckDBTypeId.TIMESTAMP_TZ:
      return new arrow.TimestampMillisecond("UTC");
    case DuckDBTypeId.LIST:
    case DuckDBTypeId.ARRAY:
      return new arrow.List(new arrow.Field("item", arrowType(t.valueType), true));
    case DuckDBTypeId.STRUCT:
      return new arrow.Struct(t.entryNames.map((name, i) => new arrow.Field(name, arrowType(t.entryTypes[i]!), true)));
    default:
      return new arrow.Utf8();
  }
}

/** Make JS values fit the builder of `type` (bigint → number for Float64, unknown → string). */
function coerce(v: unknown, type: arrow.DataType): unknown {
  if (v === null || v === undefined) return null;
  if (arrow.DataType.isFloat(type)) return Number(v);
  if (arrow.DataType.isUtf8(type)) return typeof v === "string" ? v : JSON.stringify(v, (_k, x) => (typeof x === "bigint" ? x.toString() : x));
  if (arrow.DataType.isList(type)) return (v as unknown[]).map((x) => coerce(x, type.children[0]!.type));
  if (arrow.DataType.isStruct(type)) {
    const o = v as Record<string, unknown>;
    return Object.fromEntries(type.children.map((f) => [f.name, coerce(o[f.name], f.type)]));
  }
  return v;
}

type NumArray = Float64Array | Float32Array | Int8Array | Int16Array | Int32Array | Uint8Array | Uint16Array | Uint32Array | BigInt64Array | BigUint64Array;

/** Fixed-width numbers without a builder: one typed array and one validity bitmap. */
function numberVector(values: readonly unknown[], type: arrow.DataType): arrow.Vector | null {
  if (!(arrow.DataType.isFloat(type) || arrow.DataType.isInt(type)) || (arrow.DataType.isFloat(type) && type.precision === arrow.Precision.HALF)) return null;
  const n = values.length;
  const data = new (type.ArrayType as new (k: number) => NumArray)(n);
  const wide = data instanceof BigInt64Array || data instanceof BigUint64Array;
  const bitmap = new Uint8Array((n + 7) >> 3);
  let nulls = 0;
  for (let i = 0; i < n; i++) {
    const v = values[i];
    if (v === null || v === undefined) {
      nulls++;
      continue;
    }
    bitmap[i >> 3]! |= 1 << (i & 7);
    data[i] = (wide ? BigInt(v as bigint) : Number(v)) as never;
  }
  return arrow.makeVector(arrow.makeData({ type, length: n, nullCount: nulls, data, nullBitmap: nulls ? bitmap : undefined } as never));
}

const encoder = new TextEncoder();

/** Validity bitmap (LSB first) and null count of a JS column. */
function nullBitmap(values: readonly unknown[]): { bitmap: Uint8Array | undefined; nulls: number } {
  const bitmap = new Uint8Array((values.length + 7) >> 3);
  let nulls = 0;
  for (let i = 0; i < values.length; i++) {
    if (values[i] === null || values[i] === undefined) nulls++;
    else bitmap[i >> 3]! |= 1 << (i & 7);
  }
  return { bitmap: nulls ? bitmap : undefined, nulls };
}

/** Strings, booleans and timestamps without a builder (builders cost ~1 µs a value). */
function flatVector(values: readonly unknown[], type: arrow.DataType): arrow.Vector | null {
  const n = values.length;
  const { bitmap, nulls } = nullBitmap(values);
  const make = (props: Record<string, unknown>) => arrow.makeVector(arrow.makeData({ type, length: n, nullCount: nulls, nullBitmap: bitmap, ...props } as never));
  if (arrow.DataType.isUtf8(type)) {
    const strings = values.map((v) => (typeof v === "string" ? v : ""));
    const data = encoder.encode(strings.join(""));
    const ascii = data.length === strings.reduce((k, s) => k + s.length, 0);
    const valueOffsets = new Int32Array(n + 1);
    for (let i = 0; i < n; i++) valueOffsets[i + 1] = valueOffsets[i]! + (ascii ? strings[i]!.length : encoder.encode(strings[i]!).length);
    return make({ valueOffsets, data });
  }
  if (arrow.DataType.isBool(type)) {
    const data = new Uint8Array((n + 7) >> 3);
    for (let i = 0; i < n; i++) if (values[i] === true) data[i >> 3]! |= 1 << (i & 7);
    return make({ data });
  }
  if (arrow.DataType.isTimestamp(type) && type.unit === arrow.TimeUnit.MILLISECOND) {
    const data = new BigInt64Array(n);
    for (let i = 0; i < n; i++) if (values[i] instanceof Date) data[i] = BigInt((values[i] as Date).getTime());
    return make({ data });
  }
  return null;
}

/** Run `sql` and return the result as an Arrow Table. */
export async function queryArrow(conn: DuckDBConnection, sql: string, params: DuckDBValue[]): Promise<arrow.Table> {
  const reader = await conn.runAndReadAll(sql, bindValues(params));
  const names = reader.deduplicatedColumnNames();
  const types = reader.columnTypes();
  const columns = reader.convertColumns(JSDuckDBValueConverter) as unknown[][];
  const vectors: Record<string, arrow.Vector> = {};
  names.forEach((name, c) => {
    const type = arrowType(types[c]!);
    const values = columns[c] ?? [];
    vectors[name] = numberVector(values, type) ?? flatVector(values, type) ?? arrow.vectorFromArray(values.map((v) => coerce(v, type)) as never, type);
  });
  return new arrow.Table(vectors);
}
