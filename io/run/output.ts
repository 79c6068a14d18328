/**
 * The default IO manager: decides how a returned value is stored and writes it atomically.
 * `ctx.sql` → DuckDB COPY to Parquet; Arrow Table / array of objects → Parquet; other
 * JSON-serialisable values → JSON; `undefined` → nothing (a side-effect asset).
 */
import type { DuckDBConnection } from "@duckdb/node-api";
import type { ArrowTableLike } from "../../core/asset.ts";
import { isSqlQuery, type SqlQuery, type TableInput } from "../../core/context.ts";
import { DagxError } from "../../core/errors.ts";
import type { ColumnSchema, OutputFormat } from "../../core/types.ts";
import { writeFileAtomicAsync } from "../storage/index.ts";
import { hashText } from "../storage/index.ts";
import { type Storage, outputAbsPath, outputRelPath } from "../storage/index.ts";
import { writeArrowParquet, writeRowsParquet, writeSqlParquet } from "../tabular/index.ts";
import { runUserSql } from "./user-sql.ts";

/**
 * Outputs are not fsynced on the step's path: the run's state writer fsyncs them (and their
 * folders) in one group right before it commits the rows that point at them (io/materialize.ts),
 * so a committed row never points at a file that could be lost on power failure.
 */
export const GROUP_SYNC = { fsync: false } as const;

export interface StoredOutput {
  format: OutputFormat;
  path: string;
  rows: number | null;
  bytes: number | null;
  schema: ColumnSchema[] | null;
  dataVersion: string;
}

export class UnsupportedOutputError extends DagxError {
  constructor(message: string) {
    super("UNSUPPORTED_OUTPUT", message, { exitCode: 1 });
    this.name = "UnsupportedOutputError";
  }
}

export function isArrowTable(v: unknown): v is ArrowTableLike {
  return typeof v === "object" && v !== null && "schema" in v && "batches" in v && "numRows" in v && Array.isArray((v as ArrowTableLike).batches);
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== "object" || v === null || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/** Describe a JS value's type for error messages: "a function", "a Map", "a bigint". */
export function describeType(v: unknown): string {
  if (v === null) return "null";
  if (typeof v === "function") return "a function";
  if (typeof v === "symbol") return "a symbol";
  if (typeof v === "bigint") return "a bigint";
  if (typeof v === "number") return `the number ${v}`;
  if (typeof v === "object") {
    const name = Object.getPrototypeOf(v)?.constructor?.name;
    return name && name !== "Object" ? `a ${name}` : "an object";
  }
  return `a ${typeof v}`;
}

/** Find the first value JSON cannot carry faithfully; returns a path and type, or null. */
export function jsonProblem(v: unknown, path = "value", seen = new Set<object>()): string | null {
  if (v === null || typeof v === "string" || typeof v === "boolean") return null;
  if (typeof v === "number") return Number.isFinite(v) ? null : `${path} is ${v}`;
  if (v instanceof Date) return null;
  if (typeof v !== "object") return `${path} is ${describeType(v)}`;
  if (seen.has(v)) return `${path} is a circular reference`;
  seen.add(v);
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      const p = jsonProblem(v[i], `${path}[${i}]`, seen);
      if (p) return p;
    }
  } else if (isPlainObject(v)) {
    for (const [k, x] of Object.entries(v)) {
      const p = x === undefined ? null : jsonProblem(x, `${path}.${k}`, seen);
      if (p) return p;
    }
  } else return `${path} is ${describeType(v)}`;
  seen.delete(v);
  return null;
}

const HELP = "return a ctx.sql query, an Arrow Table, an array of objects, a JSON-serialisable value, or nothing";

/** Store `value` for asset `key`. `resolveRef` maps interpolated assets in SQL to input handles. */
export async function storeOutput(
  storage: Storage,
  connect: () => Promise<DuckDBConnection>,
  key: string,
  value: unknown,
  io: "parquet" | "json" | null,
  resolveRef: (v: unknown) => TableInput | null,
  segments: readonly string[] = [],
): Promise<StoredOutput> {
  if (value === undefined) return { format: "none", path: "", rows: null, bytes: null, schema: null, dataVersion: "" };
  const unsupported = (what: string) => new UnsupportedOutputError(`Asset "${key}" returned an unsupported value (${what}): ${HELP}`);
  if (typeof value === "function" || typeof value === "symbol" || typeof value === "bigint") throw unsupported(describeType(value));
  const parquet = async (write: (abs: string) => Promise<{ rows: number; bytes: number; schema: ColumnSchema[]; dataVersion: string }>) => {
    const rel = outputRelPath(key, "parquet", segments);
    const r = await write(outputAbsPath(storage, rel, true));
    return { format: "parquet" as const, path: rel, rows: r.rows, bytes: r.bytes, schema: r.schema, dataVersion: r.dataVersion };
  };
  if (isSqlQuery(value)) {
    if (io === "json") throw unsupported(`a ctx.sql query with io: "json"; drop the io option`);
    return parquet((abs) => runUserSql(value as SqlQuery, resolveRef, async (text, params) => writeSqlParquet(await connect(), text, params, abs, GROUP_SYNC)));
  }
  if (isArrowTable(value) && io !== "json") return parquet(async (abs) => writeArrowParquet(await connect(), value as never, abs, GROUP_SYNC));
  const tabular = Array.isArray(value) && value.length > 0 && value.every(isPlainObject);
  if (tabular && io !== "json") return parquet(async (abs) => writeRowsParquet(await connect(), value as Record<string, unknown>[], abs, GROUP_SYNC));
  if (io === "parquet") throw unsupported(`${describeType(value)} with io: "parquet"; return rows, an Arrow Table or a ctx.sql query`);
  const problem = jsonProblem(value);
  if (problem) throw unsupported(problem);
  const text = JSON.stringify(value);
  const rel = outputRelPath(key, "json", segments);
  // not synced here: the state writer fsyncs it (group commit) before committing its row
  await writeFileAtomicAsync(outputAbsPath(storage, rel, true), text, { sync: false });
  return { format: "json", path: rel, rows: Array.isArray(value) ? value.length : null, bytes: Buffer.byteLength(text), schema: null, dataVersion: hashText(text) };
}
