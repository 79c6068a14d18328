/**
 * Rows (an array of plain objects) → a staging plan: columnar buffers for the PLAIN stager
 * and the SELECT list that turns them into the stored column types.
 *
 * Stored types: a column of JS numbers that are all safe integers (and not -0) is BIGINT,
 * any other number column DOUBLE — both read back as equal JS numbers. bigint → BIGINT
 * (marked so reads return bigint), string → VARCHAR, boolean → BOOLEAN, Date → TIMESTAMP
 * (UTC, ms), Uint8Array → BLOB, plain object → STRUCT, array → LIST, all-null → INTEGER.
 */
import { type BigintHint, type JsType, TabularValueError, bigintHint, describeJsType, jsonStructure, merge, typeOf } from "./_tabular-infer.ts";
import { type RowValidity, booleanColumn, bytesColumn, fixedColumn, stringColumn } from "./_tabular-encode.ts";
import { quoteIdent, quoteLiteral } from "./_tabular-sql.ts";
import { CONVERTED, type PlainColumn } from "./_tabular-stage.ts";

/** What to stage and how to select it back out. */
export interface StagePlan {
  columns: PlainColumn[];
  /** `expr AS "name"` items turning staging columns (c0, c1, …) into the stored columns. */
  select: string[];
  /** Where bigints sit, per column; null when the data has none. */
  hints: Record<string, BigintHint> | null;
  numRows: number;
}

/** Infer each column's type: one pass over the rows, keys in first-seen order. */
function inferColumns(rows: readonly Record<string, unknown>[]): { names: string[]; types: JsType[] } {
  const names: string[] = [];
  const types: JsType[] = [];
  const index = new Map<string, number>();
  for (let r = 0; r < rows.length; r++) {
    const row = rows[r];
    if (typeof row !== "object" || row === null || Array.isArray(row)) {
      throw new TabularValueError(`Cannot store rows as Parquet: row ${r} is ${describeJsType(row)}: every row must be a plain object`, "", describeJsType(row));
    }
    // Rows usually share one key order: guess the slot by position before asking the map.
    let j = 0;
    for (const key in row) {
      let slot = names[j] === key ? j : index.get(key);
      if (slot === undefined) {
        slot = names.length;
        names.push(key);
        types.push({ kind: "null" });
        index.set(key, slot);
      }
      const prev = types[slot]!;
      const t = typeOf(row[key], key, r);
      if (t !== prev) types[slot] = merge(prev, t, key, r);
      j++;
    }
  }
  return { names, types };
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

/** Stage one column of `n` values (`get(i)` reads one) of type `type` into the buffer it needs. */
export function stageColumn(n: number, get: (i: number) => unknown, name: string, type: JsType, staged: string): { column: PlainColumn; expr: string } {
  let valid: Uint8Array | null = null;
  const markNull = (i: number) => {
    valid ??= new Uint8Array(n).fill(1);
    valid[i] = 0;
  };
  const ref = quoteIdent(staged);
  switch (type.kind) {
    case "number":
    case "date":
    case "null": {
      const data = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        const v = get(i);
        if (v === null || v === undefined) markNull(i);
        else data[i] = type.kind === "date" ? (v as Date).getTime() : (v as number);
      }
      // Doubles carry the integers (exact below 2^53) and ms timestamps; DuckDB casts in parallel.
      const expr = type.kind === "date" ? `epoch_ms(CAST(${ref} AS BIGINT))` : type.kind === "null" ? `CAST(${ref} AS INTEGER)` : type.integer ? `CAST(${ref} AS BIGINT)` : ref;
      return { column: fixedColumn(staged, "DOUBLE", data, valid as RowValidity), expr };
    }
    case "bigint": {
      const data = new BigInt64Array(n);
      for (let i = 0; i < n; i++) {
        const v = get(i);
        if (v === null || v === undefined) markNull(i);
        else data[i] = v as bigint;
      }
      return { column: fixedColumn(staged, "INT64", data, valid as RowValidity), expr: ref };
    }
    case "boolean": {
      const data = new Uint8Array(n);
      for (let i = 0; i < n; i++) {
        const v = get(i);
        if (v === null || v === undefined) markNull(i);
        else data[i] = v ? 1 : 0;
      }
      return { column: booleanColumn(staged, data, valid as RowValidity), expr: ref };
    }
    case "string": {
      const values = new Array<string | undefined>(n);
      for (let i = 0; i < n; i++) values[i] = (get(i) ?? undefined) as string | undefined;
      return { column: stringColumn(staged, values, CONVERTED.UTF8), expr: ref };
    }
    case "bytes": {
      const values = new Array<Uint8Array | undefined>(n);
      for (let i = 0; i < n; i++) values[i] = (get(i) ?? undefined) as Uint8Array | undefined;
      return { column: bytesColumn(staged, values), expr: ref };
    }
    case "struct":
    case "list": {
      const structure = JSON.stringify(jsonStructure(type, name));
      const values = new Array<string | undefined>(n);
      for (let i = 0; i < n; i++) {
        const v = get(i);
        values[i] = v === null || v === undefined ? undefined : JSON.stringify(v, jsonReplacer);
      }
      return { column: stringColumn(staged, values, CONVERTED.UTF8), expr: `from_json(${ref}, ${quoteLiteral(structure)})` };
    }
  }
}

/** Infer the type of a column given as a JS array (Arrow columns without a fast path). */
export function inferValues(values: readonly unknown[], name: string): JsType {
  let t: JsType = { kind: "null" };
  for (let i = 0; i < values.length; i++) {
    const x = typeOf(values[i], name, i);
    if (x !== t) t = merge(t, x, name, i);
  }
  return t;
}

/** Plan the staging of `rows`; throws `TabularValueError` for values Parquet cannot hold. */
export function planRows(rows: readonly Record<string, unknown>[]): StagePlan {
  if (rows.length === 0) {
    throw new TabularValueError("Cannot store rows as Parquet: the array is empty, so there is no schema to write: return at least one row, or a ctx.sql query", "", "an empty array");
  }
  const { names, types } = inferColumns(rows);
  checkNames(names);
  const columns: PlainColumn[] = [];
  const select: string[] = [];
  let hints: Record<string, BigintHint> | null = null;
  names.forEach((name, i) => {
    const { column, expr } = stageColumn(rows.length, (r) => rows[r]![name], name, types[i]!, `c${i}`);
    columns.push(column);
    select.push(`${expr} AS ${quoteIdent(name)}`);
    const hint = bigintHint(types[i]!);
    if (hint) (hints ??= {})[name] = hint;
  });
  return { columns, select, hints, numRows: rows.length };
}
