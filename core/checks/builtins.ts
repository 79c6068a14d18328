/**
 * Built-in checks, declared on an asset: `checks: [notNull("id"), unique("id"), rowCount({ min: 1 }),
 * acceptedValues("status", ["open", "paid"]), expr("amount >= 0")]`. Each runs as one SQL query over
 * the asset's stored Parquet (core/checks/sql.ts), plus one for a sample of failing rows.
 * Arguments are validated here, so a mistake is a load error at the user's line.
 */
import { DefinitionError } from "../errors.ts";
import { callerLocation as checkLocation } from "../location.ts";
import { type AcceptedValue, BUILTIN_CHECK, type BuiltinCheck, type BuiltinCheckOptions, type BuiltinCheckSpec } from "./types.ts";

/** Longest check name (it is stored and printed). */
export const MAX_CHECK_NAME = 200;

/** Why common check options are invalid, or null. */
export function checkOptionsProblem(o: BuiltinCheckOptions & { timeout?: unknown }): string | null {
  if (o.severity !== undefined && o.severity !== "error" && o.severity !== "warn") return `severity must be "error" or "warn" (got ${show(o.severity)})`;
  if (o.blocking !== undefined && typeof o.blocking !== "boolean") return `blocking must be true or false (got ${show(o.blocking)})`;
  if (o.name !== undefined && (typeof o.name !== "string" || o.name.trim() === "" || o.name.length > MAX_CHECK_NAME || /[\u0000-\u001f]/.test(o.name))) {
    return `name must be a non-empty string of at most ${MAX_CHECK_NAME} characters without control characters (got ${show(o.name)})`;
  }
  if (o.description !== undefined && typeof o.description !== "string") return `description must be a string (got ${show(o.description)})`;
  return null;
}

/** Every row has a value in `column`. */
export function notNull(column: string, options: BuiltinCheckOptions = {}): BuiltinCheck {
  const where = checkLocation();
  columnName("notNull", column, where);
  return make("notNull", { kind: "notNull", column }, `notNull(${column})`, options, where);
}

/** No two rows share a value in `column` (or the combination of `columns`); rows with a null in them are not compared, as in SQL `UNIQUE`. */
export function unique(columns: string | readonly string[], options: BuiltinCheckOptions = {}): BuiltinCheck {
  const where = checkLocation();
  const list = typeof columns === "string" ? [columns] : Array.isArray(columns) ? [...columns] : [];
  if (list.length === 0) throw invalid("unique", where, `give a column or a list of columns, e.g. unique("id") or unique(["order_id", "line"]) (got ${show(columns)})`);
  for (const c of list) columnName("unique", c, where);
  return make("unique", { kind: "unique", columns: list }, `unique(${list.join(", ")})`, options, where);
}

/** The table has at least `min` and at most `max` rows (either may be left out). */
export function rowCount(options: { min?: number; max?: number } & BuiltinCheckOptions): BuiltinCheck {
  const where = checkLocation();
  if (options === null || typeof options !== "object") throw invalid("rowCount", where, `give bounds, e.g. rowCount({ min: 1 }) (got ${show(options)})`);
  const { min, max, ...rest } = options;
  const bound = (v: unknown, what: string) => {
    if (v === undefined) return null;
    if (typeof v !== "number" || !Number.isInteger(v) || v < 0) throw invalid("rowCount", where, `${what} must be a whole number ≥ 0 (got ${show(v)})`);
    return v;
  };
  const lo = bound(min, "min");
  const hi = bound(max, "max");
  if (lo === null && hi === null) throw invalid("rowCount", where, "give min, max or both, e.g. rowCount({ min: 1 })");
  if (lo !== null && hi !== null && lo > hi) throw invalid("rowCount", where, `min (${lo}) is greater than max (${hi})`);
  const label = [lo !== null ? `min=${lo}` : "", hi !== null ? `max=${hi}` : ""].filter(Boolean).join(", ");
  return make("rowCount", { kind: "rowCount", min: lo, max: hi }, `rowCount(${label})`, rest, where);
}

/** Every non-null value of `column` is one of `values` (nulls pass: combine with `notNull`). */
export function acceptedValues(column: string, values: readonly AcceptedValue[], options: BuiltinCheckOptions = {}): BuiltinCheck {
  const where = checkLocation();
  columnName("acceptedValues", column, where);
  if (!Array.isArray(values) || values.length === 0) throw invalid("acceptedValues", where, `values must be a non-empty array (got ${show(values)})`);
  const wrong = values.find((v) => !(typeof v === "string" || typeof v === "boolean" || (typeof v === "number" && Number.isFinite(v))));
  if (wrong !== undefined) throw invalid("acceptedValues", where, `values must be strings, finite numbers or booleans (got ${show(wrong)})`);
  return make("acceptedValues", { kind: "acceptedValues", column, values: [...values] }, `acceptedValues(${column})`, options, where);
}

/**
 * Every row satisfies the SQL boolean `condition`, e.g. `expr("amount >= 0")`. The condition is
 * spliced into the query as written — it is your SQL, like a `CHECK` constraint; rows where it is
 * NULL pass, as in a `CHECK` constraint.
 */
export function expr(condition: string, options: BuiltinCheckOptions = {}): BuiltinCheck {
  const where = checkLocation();
  if (typeof condition !== "string" || condition.trim() === "") throw invalid("expr", where, `condition must be a SQL boolean expression like "amount >= 0" (got ${show(condition)})`);
  return make("expr", { kind: "expr", condition }, `expr(${condition.trim().replace(/\s+/g, " ")})`, options, where);
}

/** True when `value` is a built-in check. */
export function isBuiltinCheck(value: unknown): value is BuiltinCheck {
  return typeof value === "object" && value !== null && (value as Record<symbol, unknown>)[BUILTIN_CHECK] === true;
}

function make(fn: string, spec: BuiltinCheckSpec, defaultName: string, o: BuiltinCheckOptions, location: string | null): BuiltinCheck {
  if (o === null || typeof o !== "object") throw invalid(fn, location, `options must be an object (got ${show(o)})`);
  const problem = checkOptionsProblem(o);
  if (problem) throw invalid(fn, location, problem);
  const name = o.name ?? (defaultName.length > MAX_CHECK_NAME ? `${defaultName.slice(0, MAX_CHECK_NAME - 2)}…)` : defaultName);
  return { [BUILTIN_CHECK]: true, spec, name, severity: o.severity ?? "error", blocking: o.blocking ?? false, description: o.description ?? null, location };
}

function columnName(fn: string, column: unknown, where: string | null): void {
  if (typeof column !== "string" || column === "") throw invalid(fn, where, `column must be a non-empty string (got ${show(column)})`);
}

function invalid(fn: string, where: string | null, problem: string): DefinitionError {
  return new DefinitionError("DEFINITION_INVALID", `Invalid check ${fn}()${where ? ` at ${where}` : ""}: ${problem}`, where ?? undefined);
}

function show(v: unknown): string {
  if (typeof v === "string") return JSON.stringify(v);
  if (Array.isArray(v)) return "an array";
  if (v === null) return "null";
  return typeof v === "object" ? "an object" : String(v);
}
