/**
 * Key formats of time-window partitions: the tokens yyyy, MM, dd, HH, mm (fixed width) between
 * literal characters. Parsing is positional, so keys are parsed arithmetically (no key lists)
 * and any prefix that fixes the calendar from the year down (`2024`, `2024-03`) is a valid point.
 */
import { type Civil, daysInMonth } from "./_civil.ts";

/** Calendar units, finest first. */
export type Unit = "minute" | "hour" | "day" | "week" | "month" | "year";
export const UNIT_RANK: Readonly<Record<Unit, number>> = { minute: 0, hour: 1, day: 2, week: 3, month: 4, year: 5 };

export type Token = "yyyy" | "MM" | "dd" | "HH" | "mm";
/** Tokens from the coarsest to the finest. */
export const TOKENS: readonly Token[] = ["yyyy", "MM", "dd", "HH", "mm"];
const TOKEN_UNIT: Readonly<Record<Token, Unit>> = { yyyy: "year", MM: "month", dd: "day", HH: "hour", mm: "minute" };
const FIELD: Readonly<Record<Token, keyof Civil>> = { yyyy: "y", MM: "m", dd: "d", HH: "h", mm: "mi" };
const RESERVED = new Set(["/", "\\", "|", ",", "=", ";", "*", '"']);

type Part = { token: Token } | { literal: string };

/** A compiled key format. */
export interface KeyFormat {
  readonly text: string;
  readonly parts: readonly Part[];
  readonly tokens: ReadonlySet<Token>;
}

/** A parsed key or key prefix: the civil start it names and the unit it spans. */
export type ParsedPoint =
  /** `complete` when every token of the format was given; `rest` is the text after a complete key. */
  | { kind: "ok"; civil: Civil; unit: Unit; complete: boolean; rest: string }
  /** The text has the format's shape but names no calendar date (`2024-13-01`). */
  | { kind: "invalid" };

/** Compile `fmt`, or return why it is unusable. */
export function compileFormat(fmt: string): KeyFormat | string {
  if (fmt.length === 0) return "it is empty";
  if (fmt.includes("..")) return 'it contains ".."';
  if (fmt.startsWith(".") || fmt.endsWith(".")) return 'it starts or ends with "."';
  const parts: Part[] = [];
  const tokens = new Set<Token>();
  let i = 0;
  while (i < fmt.length) {
    const token = TOKENS.find((t) => fmt.startsWith(t, i));
    if (token) {
      if (tokens.has(token)) return `token "${token}" appears twice`;
      tokens.add(token);
      parts.push({ token });
      i += token.length;
      continue;
    }
    const ch = fmt[i]!;
    if (/[A-Za-z]/.test(ch)) {
      const run = /^[A-Za-z]+/.exec(fmt.slice(i))![0];
      return `"${run}" is not a supported token (use yyyy, MM, dd, HH, mm)`;
    }
    // biome-ignore lint: control characters are exactly what we reject
    if (RESERVED.has(ch) || /[\u0000-\u001f\u007f]/.test(ch)) return `character ${JSON.stringify(ch)} is not allowed in partition keys`;
    const last = parts[parts.length - 1];
    if (last && "literal" in last) last.literal += ch;
    else parts.push({ literal: ch });
    i++;
  }
  return { text: fmt, parts, tokens };
}

/** Format a civil date-time. */
export function formatCivil(f: KeyFormat, c: Civil): string {
  let out = "";
  for (const p of f.parts) {
    if ("literal" in p) out += p.literal;
    else out += String(c[FIELD[p.token]]).padStart(p.token.length, "0");
  }
  return out;
}

/**
 * Parse `text` as the whole format or as a prefix of it that ends after a token and fixes the
 * calendar from the year down. Returns null when the text does not have the format's shape.
 * Text after a complete key is returned as `rest` (the DST suffix of hourly keys).
 */
export function parsePoint(f: KeyFormat, text: string): ParsedPoint | null {
  const c: Civil = { y: 0, m: 1, d: 1, h: 0, mi: 0 };
  const seen: Token[] = [];
  let pos = 0;
  let consumed = 0;
  for (const p of f.parts) {
    if (pos === text.length) break;
    if ("literal" in p) {
      if (!text.startsWith(p.literal, pos)) return null;
      pos += p.literal.length;
    } else {
      const digits = text.slice(pos, pos + p.token.length);
      if (digits.length !== p.token.length || !/^\d+$/.test(digits)) return null;
      c[FIELD[p.token]] = Number(digits);
      seen.push(p.token);
      pos += p.token.length;
    }
    consumed++;
  }
  const last = f.parts[consumed - 1];
  if (!last || (consumed < f.parts.length && "literal" in last)) return null;
  const top = TOKENS.slice(0, seen.length);
  if (seen.length === 0 || !top.every((t) => seen.includes(t))) return null;
  if (c.y < 1 || c.m < 1 || c.m > 12 || c.d < 1 || c.d > daysInMonth(c.y, c.m) || c.h > 23 || c.mi > 59) return { kind: "invalid" };
  const unit = TOKEN_UNIT[top[top.length - 1]!];
  return { kind: "ok", civil: c, unit, complete: seen.length === f.tokens.size, rest: text.slice(pos) };
}
