/**
 * Query results → JS row objects with the types they were written with. DuckDB hands 64-bit
 * integers to JS as `bigint`; a JS number stored as BIGINT must come back a number, so 64-bit
 * integers become numbers when they fit `Number.MAX_SAFE_INTEGER` — except where the writer
 * recorded that the column held JS bigints (Parquet key-value metadata), which stay bigint.
 */
import { type DuckDBConnection, type DuckDBType, DuckDBTypeId, type DuckDBValue, JSDuckDBValueConverter, listValue } from "@duckdb/node-api";
import type { BigintHint } from "./_infer.ts";
import { readKeyValueMetadata } from "./_footer.ts";
import { bindValues, literalPattern, quoteLiteral } from "./_sql.ts";

/** Parquet key-value metadata key under which the writer records bigint columns. */
export const HINTS_KEY = "dagx_js_types";

type Hints = Record<string, BigintHint>;

const WIDE_INTS = new Set<DuckDBTypeId>([DuckDBTypeId.BIGINT, DuckDBTypeId.UBIGINT, DuckDBTypeId.HUGEINT, DuckDBTypeId.UHUGEINT, DuckDBTypeId.BIGNUM]);

function hasWideInt(t: DuckDBType): boolean {
  if (WIDE_INTS.has(t.typeId)) return true;
  if (t.typeId === DuckDBTypeId.LIST || t.typeId === DuckDBTypeId.ARRAY) return hasWideInt(t.valueType);
  if (t.typeId === DuckDBTypeId.STRUCT) return t.entryTypes.some(hasWideInt);
  return false;
}

function relax(v: unknown, t: DuckDBType, hint: BigintHint | undefined): unknown {
  if (v === null || hint === "bigint") return v;
  if (typeof v === "bigint") return v >= -9007199254740991n && v <= 9007199254740991n ? Number(v) : v;
  if ((t.typeId === DuckDBTypeId.LIST || t.typeId === DuckDBTypeId.ARRAY) && Array.isArray(v)) {
    const e = hint && typeof hint === "object" && "e" in hint ? hint.e : undefined;
    for (let i = 0; i < v.length; i++) v[i] = relax(v[i], t.valueType, e);
    return v;
  }
  if (t.typeId === DuckDBTypeId.STRUCT && typeof v === "object") {
    const o = v as Record<string, unknown>;
    const f = hint && typeof hint === "object" && "f" in hint ? hint.f : undefined;
    t.entryNames.forEach((name, i) => {
      o[name] = relax(o[name], t.entryTypes[i]!, f?.[name]);
    });
  }
  return v;
}

/** Run `sql` and return row objects; `hints` name the columns that hold JS bigints. */
export async function queryRows(conn: DuckDBConnection, sql: string, params: DuckDBValue[], hints: Hints | null): Promise<Record<string, unknown>[]> {
  const reader = await conn.runAndReadAll(sql, bindValues(params));
  const names = reader.deduplicatedColumnNames();
  const types = reader.columnTypes();
  const columns = reader.convertColumns(JSDuckDBValueConverter) as unknown[][];
  columns.forEach((values, c) => {
    const t = types[c]!;
    if (!hasWideInt(t)) return;
    const hint = hints?.[names[c]!];
    for (let i = 0; i < values.length; i++) values[i] = relax(values[i], t, hint);
  });
  const n = reader.currentRowCount;
  const rows = new Array<Record<string, unknown>>(n);
  // A column named "__proto__" must become a property, not the row's prototype.
  const define = names.includes("__proto__");
  for (let i = 0; i < n; i++) {
    const row: Record<string, unknown> = {};
    for (let c = 0; c < names.length; c++) {
      if (define) Object.defineProperty(row, names[c]!, { value: columns[c]![i], enumerable: true, writable: true, configurable: true });
      else row[names[c]!] = columns[c]![i];
    }
    rows[i] = row;
  }
  return rows;
}

/** Files whose footers JS reads itself at most; more go to DuckDB, which reads them in parallel. */
export const JS_FOOTERS_MAX = 64;

/** The hints of few files, read by JS from their footers; null when one of them cannot be read so. */
function hintsFromFooters(paths: readonly string[]): { merged: Hints | null } | null {
  let merged: Hints | null = null;
  try {
    for (const p of paths) {
      for (const [k, v] of readKeyValueMetadata(p)) {
        if (k === HINTS_KEY) merged = { ...(JSON.parse(v) as Hints), ...(merged ?? {}) };
      }
    }
  } catch {
    return null; // DuckDB reads it, or says why it cannot
  }
  return { merged };
}

/** The bigint hints recorded in these Parquet files, merged (a column is bigint if any file says so). */
export async function readHints(conn: DuckDBConnection, paths: readonly string[]): Promise<Hints | null> {
  if (paths.length === 0) return null;
  const fast = paths.length <= JS_FOOTERS_MAX ? hintsFromFooters(paths) : null;
  if (fast) return fast.merged;
  // the list travels as a parameter: as SQL text a million paths take seconds to parse
  const r = await conn.runAndReadAll(`SELECT decode(value) AS v FROM parquet_kv_metadata($1) WHERE decode(key) = ${quoteLiteral(HINTS_KEY)}`, [
    listValue(paths.map(literalPattern)),
  ]);
  let merged: Hints | null = null;
  for (const row of r.getRowObjectsJS()) {
    merged = { ...(JSON.parse(String(row.v)) as Hints), ...(merged ?? {}) };
  }
  return merged;
}
