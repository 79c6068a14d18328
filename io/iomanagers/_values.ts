/** What kind of value an asset returned: the shared tests of the built-in IO managers, and their messages. */
import type { ArrowTableLike } from "../../core/asset.ts";
import { describeType } from "../../core/describe.ts";
import { UnsupportedOutputError } from "../../core/errors.ts";

export function isArrowTable(v: unknown): v is ArrowTableLike {
  return typeof v === "object" && v !== null && "schema" in v && "batches" in v && "numRows" in v && Array.isArray((v as ArrowTableLike).batches);
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== "object" || v === null || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/** A non-empty array of plain objects: rows of a table. */
export function isRows(v: unknown): v is Record<string, unknown>[] {
  return Array.isArray(v) && v.length > 0 && v.every(isPlainObject);
}

const HELP = "return a ctx.sql query, an Arrow Table, an array of objects, a JSON-serialisable value, or nothing";

/** `Asset "k" returned an unsupported value (what): …`. */
export function unsupportedOutput(key: string, what: string): UnsupportedOutputError {
  return new UnsupportedOutputError(`Asset "${key}" returned an unsupported value (${what}): ${HELP}`);
}

/** A value no IO manager of dagx's can store (a function, a symbol, a bigint), or null. */
export function unstorable(v: unknown): string | null {
  return typeof v === "function" || typeof v === "symbol" || typeof v === "bigint" ? describeType(v) : null;
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
