/**
 * Column types inferred from JS values, and the one rule for what may be stored: numbers,
 * bigints (64-bit), strings, booleans, valid Dates, Uint8Arrays, null/undefined, and plain
 * objects / arrays of those. Anything else names its column and JS type in the error.
 */
import { DagxError } from "../../core/errors.ts";

export type JsType =
  | { kind: "null" }
  | { kind: "number"; integer: boolean }
  | { kind: "bigint" }
  | { kind: "string" }
  | { kind: "boolean" }
  | { kind: "date" }
  | { kind: "bytes" }
  | { kind: "struct"; fields: Map<string, JsType> }
  | { kind: "list"; element: JsType };

const NULL: JsType = { kind: "null" };
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const ALLOWED = "numbers, bigints, strings, booleans, Dates, Uint8Arrays, null, plain objects and arrays of those";

/** A value that cannot be stored in a Parquet column, or a column with conflicting types. */
export class TabularValueError extends DagxError {
  constructor(
    message: string,
    readonly column: string,
    readonly jsType: string,
  ) {
    super("UNSUPPORTED_OUTPUT", message, { exitCode: 1 });
    this.name = "TabularValueError";
  }
}

/** "a function", "a Map", "a string": a value's JS type for messages. */
export function describeJsType(v: unknown): string {
  if (v === null || v === undefined) return "null";
  if (Array.isArray(v)) return "an array";
  if (typeof v === "object") {
    const name = (Object.getPrototypeOf(v) as { constructor?: { name?: string } } | null)?.constructor?.name;
    return name && name !== "Object" ? withArticle(name) : "an object";
  }
  return withArticle(typeof v);
}

function withArticle(word: string): string {
  return `${/^[aeiouAEIOU]/.test(word) ? "an" : "a"} ${word}`;
}

function isPlainObject(v: object): boolean {
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

function unsupported(path: string, row: number, v: unknown, why?: string): never {
  const type = describeJsType(v);
  throw new TabularValueError(
    `Cannot store column "${path}" as Parquet: rows[${row}] holds ${type}${why ? ` (${why})` : ""}: use ${ALLOWED}`,
    path,
    type,
  );
}

/** The type of one value; `path` and `row` only feed error messages. */
export function typeOf(v: unknown, path: string, row: number): JsType {
  switch (typeof v) {
    case "undefined":
      return NULL;
    case "number":
      return Number.isSafeInteger(v) && !Object.is(v, -0) ? INTEGER : DOUBLE;
    case "string":
      return STRING;
    case "boolean":
      return BOOLEAN;
    case "bigint":
      if (v < INT64_MIN || v > INT64_MAX) unsupported(path, row, v, "outside the 64-bit range");
      return BIGINT;
    case "object": {
      if (v === null) return NULL;
      if (v instanceof Date) {
        if (Number.isNaN(v.getTime())) unsupported(path, row, v, "an invalid Date");
        return DATE;
      }
      if (v instanceof Uint8Array) return BYTES;
      if (Array.isArray(v)) {
        let element: JsType = NULL;
        for (let i = 0; i < v.length; i++) element = merge(element, typeOf(v[i], `${path}[]`, row), `${path}[]`, row);
        return { kind: "list", element };
      }
      if (!isPlainObject(v)) unsupported(path, row, v, ArrayBuffer.isView(v) ? "convert it with Array.from()" : undefined);
      const fields = new Map<string, JsType>();
      for (const [k, x] of Object.entries(v)) fields.set(k, typeOf(x, `${path}.${k}`, row));
      return { kind: "struct", fields };
    }
    default:
      return unsupported(path, row, v);
  }
}

const INTEGER: JsType = { kind: "number", integer: true };
const DOUBLE: JsType = { kind: "number", integer: false };
const STRING: JsType = { kind: "string" };
const BOOLEAN: JsType = { kind: "boolean" };
const BIGINT: JsType = { kind: "bigint" };
const DATE: JsType = { kind: "date" };
const BYTES: JsType = { kind: "bytes" };

const KIND_ONE: Record<JsType["kind"], string> = {
  null: "null",
  number: "a number",
  bigint: "a bigint",
  string: "a string",
  boolean: "a boolean",
  date: "a Date",
  bytes: "a Uint8Array",
  struct: "an object",
  list: "an array",
};

const KIND_NAMES: Record<JsType["kind"], string> = {
  null: "null",
  number: "numbers",
  bigint: "bigints",
  string: "strings",
  boolean: "booleans",
  date: "Dates",
  bytes: "Uint8Arrays",
  struct: "objects",
  list: "arrays",
};

/** The type of a column holding values of types `a` and `b`; throws on a real conflict. */
export function merge(a: JsType, b: JsType, path: string, row: number): JsType {
  if (a === b || b.kind === "null") return a;
  if (a.kind === "null") return b;
  if (a.kind === "number" && b.kind === "number") return a.integer && !b.integer ? b : a;
  if (a.kind === "list" && b.kind === "list") {
    const element = merge(a.element, b.element, `${path}[]`, row);
    return element === a.element ? a : { kind: "list", element };
  }
  if (a.kind === "struct" && b.kind === "struct") {
    // Fields missing from some objects are null there, as missing keys are at the top level.
    const fields = new Map(a.fields);
    for (const [k, t] of b.fields) fields.set(k, merge(fields.get(k) ?? NULL, t, `${path}.${k}`, row));
    return { kind: "struct", fields };
  }
  if (a.kind === b.kind) return a;
  throw new TabularValueError(
    `Cannot store column "${path}" as Parquet: rows[${row}] holds ${KIND_ONE[b.kind]} where earlier rows hold ${KIND_NAMES[a.kind]}: give each column one type`,
    path,
    KIND_ONE[b.kind],
  );
}

/** The `from_json` structure of a nested type (DuckDB type names, nested as JSON). */
export function jsonStructure(t: JsType, path: string): unknown {
  switch (t.kind) {
    case "null":
      return "INTEGER";
    case "number":
      return t.integer ? "BIGINT" : "DOUBLE";
    case "bigint":
      return "BIGINT";
    case "string":
      return "VARCHAR";
    case "boolean":
      return "BOOLEAN";
    case "date":
      return "TIMESTAMP";
    case "bytes":
      throw new TabularValueError(
        `Cannot store column "${path}" as Parquet: Uint8Arrays inside objects or arrays are not supported: store bytes in a top-level column`,
        path,
        "a Uint8Array",
      );
    case "list":
      return [jsonStructure(t.element, `${path}[]`)];
    case "struct": {
      if (t.fields.size === 0) {
        throw new TabularValueError(
          `Cannot store column "${path}" as Parquet: it holds only empty objects, and Parquet has no empty struct: give the objects a field or use null`,
          path,
          "an empty object",
        );
      }
      const seen = new Map<string, string>();
      for (const k of t.fields.keys()) {
        const other = seen.get(k.toLowerCase());
        if (other !== undefined || k === "") {
          throw new TabularValueError(
            `Cannot store column "${path}" as Parquet: ${k === "" ? "an object has an empty key" : `fields "${other}" and "${k}" differ only in case, and DuckDB names are case-insensitive`}: rename one`,
            path,
            "an object",
          );
        }
        seen.set(k.toLowerCase(), k);
      }
      return Object.fromEntries([...t.fields].map(([k, f]) => [k, jsonStructure(f, `${path}.${k}`)]));
    }
  }
}

/** Where bigints sit in a type, so reads can return them as bigint (null when nowhere). */
export type BigintHint = "bigint" | { f: Record<string, BigintHint> } | { e: BigintHint };

export function bigintHint(t: JsType): BigintHint | null {
  if (t.kind === "bigint") return "bigint";
  if (t.kind === "list") {
    const e = bigintHint(t.element);
    return e ? { e } : null;
  }
  if (t.kind === "struct") {
    const f: Record<string, BigintHint> = {};
    for (const [k, x] of t.fields) {
      const h = bigintHint(x);
      if (h) f[k] = h;
    }
    return Object.keys(f).length ? { f } : null;
  }
  return null;
}
