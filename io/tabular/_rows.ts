/**
 * Rows (an array of plain objects) → a staging plan: columnar buffers for the PLAIN stager
 * and the SELECT list that turns them into the stored column types.
 *
 * Stored types: a column of JS numbers that are all safe integers (and not -0) is BIGINT,
 * any other number column DOUBLE — both read back as equal JS numbers. bigint → BIGINT
 * (marked so reads return bigint), string → VARCHAR, boolean → BOOLEAN, Date → TIMESTAMP
 * (UTC, ms), Uint8Array → BLOB, plain object → STRUCT, array → LIST, all-null → INTEGER.
 */
import { type ColumnGather, gatherRows } from "./_gather.ts";
import { type BigintHint, TabularValueError, bigintHint, jsonStructure } from "./_infer.ts";
import { type RowValidity, booleanColumn, bytesColumn, fixedColumn, stringColumn } from "./_encode.ts";
import { quoteIdent, quoteLiteral } from "./_sql.ts";
import { CONVERTED, type PlainColumn } from "./_stage.ts";

/** What to stage and how to select it back out. */
export interface StagePlan {
  columns: PlainColumn[];
  /** `expr AS "name"` items turning staging columns (c0, c1, …) into the stored columns. */
  select: string[];
  /** Where bigints sit, per column; null when the data has none. */
  hints: Record<string, BigintHint> | null;
  numRows: number;
}

export function checkNames(names: readonly string[]): void {
  if (names.length === 0) {
    throw new TabularValueError("Cannot store rows as Parquet: the rows have no keys, and Parquet needs at least one column: return objects with fields", "", "an empty object");
  }
  const seen = new Map<string, string>();
  for (const name of names) {
    if (name === "") throw new TabularValueError(`Cannot store rows as Parquet: a column has an empty name: give every key a name`, "", "an empty key");
    const other = seen.get(name.toLowerCase());
    if (other !== undefined) {
      throw new TabularValueError(
        `Cannot store rows as Parquet: columns "${other}" and "${name}" differ only in case, and DuckDB column names are case-insensitive: rename one`,
        name,
        "a duplicate key",
      );
    }
    seen.set(name.toLowerCase(), name);
  }
}

function jsonReplacer(_key: string, v: unknown): unknown {
  if (typeof v === "bigint") return v.toString();
  if (typeof v === "number" && !Number.isFinite(v)) return String(v); // "NaN", "Infinity": DuckDB casts them
  return v;
}

/** Stage a gathered column: pick the staging buffer and the SQL that casts it to the stored type. */
export function stageGathered(g: ColumnGather, staged: string): { column: PlainColumn; expr: string } {
  const ref = quoteIdent(staged);
  const valid: RowValidity = g.count === g.n ? null : g.present;
  const type = g.type;
  switch (type.kind) {
    case "null":
      return { column: fixedColumn(staged, "DOUBLE", new Float64Array(g.n), g.present), expr: `CAST(${ref} AS INTEGER)` };
    case "number":
      // Doubles carry the integers (exact below 2^53); DuckDB casts them in parallel.
      return { column: fixedColumn(staged, "DOUBLE", g.f64!, valid), expr: type.integer ? `CAST(${ref} AS BIGINT)` : ref };
    case "date":
      return { column: fixedColumn(staged, "DOUBLE", g.f64!, valid), expr: `epoch_ms(CAST(${ref} AS BIGINT))` };
    case "bigint":
      return { column: fixedColumn(staged, "INT64", g.i64!, valid), expr: ref };
    case "boolean":
      return { column: booleanColumn(staged, g.u8!, valid), expr: ref };
    case "string":
      return { column: stringColumn(staged, g.values as (string | undefined)[], CONVERTED.UTF8), expr: ref };
    case "bytes":
      return { column: bytesColumn(staged, g.values as (Uint8Array | undefined)[]), expr: ref };
    case "struct":
    case "list": {
      const structure = JSON.stringify(jsonStructure(type, g.name));
      const values = g.values!;
      const json = new Array<string | undefined>(g.n);
      for (let i = 0; i < g.n; i++) if (g.present[i]) json[i] = JSON.stringify(values[i], jsonReplacer);
      return { column: stringColumn(staged, json, CONVERTED.UTF8), expr: `from_json(${ref}, ${quoteLiteral(structure)})` };
    }
  }
}

/** Add gathered columns to a plan, in order. */
export function addColumns(plan: StagePlan, gathered: readonly ColumnGather[]): void {
  gathered.forEach((g, i) => {
    const { column, expr } = stageGathered(g, `c${i}`);
    plan.columns.push(column);
    plan.select.push(`${expr} AS ${quoteIdent(g.name)}`);
    const hint = bigintHint(g.type);
    if (hint) (plan.hints ??= {})[g.name] = hint;
  });
}

/** Gather `rows` into columns; throws `TabularValueError` for values Parquet cannot hold. */
export function gatherChecked(rows: readonly Record<string, unknown>[]): ColumnGather[] {
  if (rows.length === 0) {
    throw new TabularValueError("Cannot store rows as Parquet: the array is empty, so there is no schema to write: return at least one row, or a ctx.sql query", "", "an empty array");
  }
  const gathered = gatherRows(rows);
  checkNames(gathered.map((g) => g.name));
  return gathered;
}

/** The staging plan of gathered columns. */
export function planGathered(gathered: readonly ColumnGather[], numRows: number): StagePlan {
  const plan: StagePlan = { columns: [], select: [], hints: null, numRows };
  addColumns(plan, gathered);
  return plan;
}

/** Plan the staging of `rows`; throws `TabularValueError` for values Parquet cannot hold. */
export function planRows(rows: readonly Record<string, unknown>[]): StagePlan {
  return planGathered(gatherChecked(rows), rows.length);
}
