/** Checks shared by schedule and sensor validation; each returns a problem or null. */
import { DagxError, DefinitionError } from "../errors.ts";
import { parseDuration } from "../duration.ts";
import { parsePartitionSelection } from "../partitions/index.ts";
import { didYouMean } from "../suggest.ts";
import { describeValue } from "../describe.ts";
import type { SelectItem } from "./types.ts";

/** Resolves select items to asset keys (the loader maps definitions to keys and runs the selection grammar). May throw a DagxError. */
export type SelectionResolver = (select: readonly SelectItem[]) => Iterable<string>;

const NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,254}$/;

export function nameProblem(name: unknown): string | null {
  if (typeof name !== "string") return `name must be a string (got ${describeValue(name)})`;
  return NAME.test(name) ? null : `name "${name}" may only contain letters, digits, "_", "-" and "." and must not start with "." or "-"`;
}

export function unknownOption(options: object, known: readonly string[]): string | null {
  const bad = Object.keys(options).find((k) => !known.includes(k));
  if (bad === undefined) return null;
  return `unknown option "${bad}"${didYouMean(bad, known) || ` — known options: ${known.join(", ")}`}`;
}

export function oneOf(value: unknown, option: string, allowed: readonly string[]): string | null {
  if (value === undefined || allowed.includes(value as string)) return null;
  const quoted = allowed.map((a) => `"${a}"`);
  return `${option} must be ${quoted.slice(0, -1).join(", ")} or ${quoted[quoted.length - 1]} (got ${describeValue(value)})`;
}

export function optionalText(value: unknown, option: string): string | null {
  return value === undefined || typeof value === "string" ? null : `${option} must be a string (got ${describeValue(value)})`;
}

export function partitionsProblem(value: unknown): string | null {
  if (value === undefined) return null;
  if (typeof value !== "string") return `partitions must be a string like "latest" or "2024-01..2024-03" (got ${describeValue(value)})`;
  try {
    parsePartitionSelection(value);
    return null;
  } catch (e) {
    return `partitions "${value}": ${lowerFirst((e as Error).message)}`;
  }
}

/** A duration option in ms, or its problem. */
export function durationOf(value: unknown, option: string, fallback: string, min: number, minText: string): number | string {
  if (value !== undefined && typeof value !== "string" && typeof value !== "number") return `${option} must be a duration like "30s" or "5m" (got ${describeValue(value)})`;
  let ms: number;
  try {
    ms = parseDuration((value as string | number | undefined) ?? fallback, option);
  } catch {
    return `${option} ${describeValue(value)} is not a duration: use a number and a unit, like "30s", "5m" or "1h"`;
  }
  return ms < min ? `${option} ${describeValue(value)} is shorter than ${minText}` : ms;
}

/** Resolve `select` to keys, or throw a DefinitionError that names the definition. */
export function resolveKeys(items: readonly SelectItem[], resolve: SelectionResolver, label: string, where: string | undefined): string[] {
  const fail = (detail: string, cause?: unknown) =>
    new DefinitionError("DEFINITION_INVALID", `${label}${where ? ` at ${where}` : ""} selects no assets: ${detail}`, where, { cause });
  let keys: string[];
  try {
    keys = [...resolve(items)];
  } catch (e) {
    if (e instanceof DagxError) throw fail(lowerFirst(e.message), e);
    throw e;
  }
  if (keys.length > 0) return keys;
  const shown = items.map((i) => (typeof i === "string" ? `"${i}"` : "an asset definition")).join(", ");
  throw fail(`${shown} match${items.length === 1 ? "es" : ""} nothing: check the selection with "dagx list <selection>"`);
}

/** "Unknown asset …" → "unknown asset …", for a message continued after a colon; acronyms stay. */
export function lowerFirst(s: string): string {
  return /^[A-Z](?:[a-z]|\s)/.test(s) ? s[0]!.toLowerCase() + s.slice(1) : s;
}
