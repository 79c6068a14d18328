/**
 * The direct row writer: flat rows go straight from their gathered buffers into the final Parquet
 * file, written by the PLAIN writer of _stage.ts with the stored types — no DuckDB COPY, and no
 * DESCRIBE afterwards, since the schema is known from the gathering. DuckDB reads the file back with
 * the same columns, types and values as a file it wrote itself (tests/io/tabular/direct-write.test.ts);
 * the file is uncompressed, without dictionaries or statistics, so it is larger for many rows.
 *
 * Stored types, as the COPY path's SELECT casts them (io/tabular/_rows.ts): integer numbers BIGINT,
 * other numbers DOUBLE, bigint BIGINT, string VARCHAR, boolean BOOLEAN, Date TIMESTAMP (µs),
 * Uint8Array BLOB, all-null INTEGER. Nested values (structs, lists) are not written here.
 */
import type { ColumnGather } from "./_gather.ts";
import { type RowValidity, booleanColumn, bytesColumn, fixedColumn, stringColumn } from "./_encode.ts";
import { bigintHint, type BigintHint } from "./_infer.ts";
import { CONVERTED, type PlainColumn } from "./_stage.ts";

/** Columns for the direct writer, their stored DuckDB types, and the bigint hints. */
export interface DirectPlan {
  columns: PlainColumn[];
  schema: { name: string; type: string }[];
  hints: Record<string, BigintHint> | null;
  numRows: number;
}

const TWO_32 = 4294967296;

/** Safe integers held in doubles → int64 (two's complement, little-endian), without BigInt. */
function int64FromDoubles(f64: Float64Array, present: Uint8Array, scale: number): BigInt64Array {
  const out = new Int32Array(f64.length * 2);
  for (let i = 0; i < f64.length; i++) {
    if (!present[i]) continue;
    const x = f64[i]!;
    let hi = Math.floor(x / TWO_32);
    let lo = (x - hi * TWO_32) * scale; // exact: below 2^32 · 1000 < 2^53
    const carry = Math.floor(lo / TWO_32);
    lo -= carry * TWO_32;
    hi = hi * scale + carry;
    out[2 * i] = lo | 0;
    out[2 * i + 1] = hi | 0;
  }
  return new BigInt64Array(out.buffer);
}

/** A flat column as it is stored, or null when its type needs DuckDB (structs, lists). */
function directColumn(g: ColumnGather): { column: PlainColumn; type: string } | null {
  const valid: RowValidity = g.count === g.n ? null : g.present;
  const t = g.type;
  switch (t.kind) {
    case "null":
      return { column: fixedColumn(g.name, "INT32", new Int32Array(g.n), g.present), type: "INTEGER" };
    case "number":
      if (!t.integer) return { column: fixedColumn(g.name, "DOUBLE", g.f64!, valid), type: "DOUBLE" };
      return { column: fixedColumn(g.name, "INT64", int64FromDoubles(g.f64!, g.present, 1), valid), type: "BIGINT" };
    case "date":
      // epoch ms → µs: DuckDB stores TIMESTAMP as microseconds
      return { column: fixedColumn(g.name, "INT64", int64FromDoubles(g.f64!, g.present, 1000), valid, CONVERTED.TIMESTAMP_MICROS), type: "TIMESTAMP" };
    case "bigint":
      return { column: fixedColumn(g.name, "INT64", g.i64!, valid), type: "BIGINT" };
    case "boolean":
      return { column: booleanColumn(g.name, g.u8!, valid), type: "BOOLEAN" };
    case "string":
      return { column: stringColumn(g.name, g.values as (string | undefined)[], CONVERTED.UTF8), type: "VARCHAR" };
    case "bytes":
      return { column: bytesColumn(g.name, g.values as (Uint8Array | undefined)[]), type: "BLOB" };
    default:
      return null;
  }
}

/** The direct plan of gathered columns, or null when one of them must go through DuckDB. */
export function planDirect(gathered: readonly ColumnGather[], numRows: number): DirectPlan | null {
  const plan: DirectPlan = { columns: [], schema: [], hints: null, numRows };
  for (const g of gathered) {
    const c = directColumn(g);
    if (!c) return null;
    plan.columns.push(c.column);
    plan.schema.push({ name: g.name, type: c.type });
    const hint = bigintHint(g.type);
    if (hint) (plan.hints ??= {})[g.name] = hint;
  }
  return plan;
}
