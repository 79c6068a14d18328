/**
 * The direct row writer: flat rows go straight from their gathered buffers into the final Parquet
 * file, written by the PLAIN writer of _stage.ts with the stored types — no DuckDB COPY, and no
 * DESCRIBE afterwards, since the schema is known from the gathering. DuckDB reads the file back with
 * the same columns, types and values as a file it wrote itself (tests/io/tabular/direct-write.test.ts);
 * pages are zstd-compressed, BIGINT/TIMESTAMP delta-encoded when their deltas pack, repetitive strings
 * dictionary-encoded, with statistics (docs/tabular-io.md, "The direct writer").
 *
 * Stored types, as the COPY path's SELECT casts them (io/tabular/_rows.ts): integer numbers BIGINT,
 * other numbers DOUBLE, bigint BIGINT, string VARCHAR, boolean BOOLEAN, Date TIMESTAMP (µs),
 * Uint8Array BLOB, all-null INTEGER. Nested values (structs, lists) are not written here.
 */
import type { ColumnGather } from "./_gather.ts";
import { type RowValidity, booleanColumn, bytesColumn, fixedColumn, int64Column, stringColumn } from "./_encode.ts";
import { bigintHint, type BigintHint } from "./_infer.ts";
import { CONVERTED, type PlainColumn } from "./_stage.ts";

/** Columns for the direct writer, their stored DuckDB types, and the bigint hints. */
export interface DirectPlan {
  columns: PlainColumn[];
  schema: { name: string; type: string }[];
  hints: Record<string, BigintHint> | null;
  numRows: number;
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
      return { column: int64Column(g.name, g.f64!, valid, 1), type: "BIGINT" };
    case "date":
      // epoch ms → µs: DuckDB stores TIMESTAMP as microseconds
      return { column: int64Column(g.name, g.f64!, valid, 1000, CONVERTED.TIMESTAMP_MICROS), type: "TIMESTAMP" };
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
