/**
 * `hourly`, `daily`, `weekly` and `monthly` definitions, validated when they are defined so a
 * bad start date, time zone or format fails at load time with a DefinitionError.
 */
import { DefinitionError } from "../errors.ts";
import { didYouMean } from "../suggest.ts";
import { civilMs, type Civil } from "./_civil.ts";
import { compileFormat, type KeyFormat, parsePoint, type Token } from "./_format.ts";
import { getZone } from "./_zone.ts";
import {
  PARTITIONS_DEF,
  type TimeCadence,
  type TimeWindowOptions,
  type TimeWindowPartitionsDef,
  type Weekday,
  type WeeklyOptions,
} from "./types.ts";

/** Default key format of each cadence. */
export const DEFAULT_FMT: Readonly<Record<TimeCadence, string>> = {
  hourly: "yyyy-MM-dd-HH:mm",
  daily: "yyyy-MM-dd",
  weekly: "yyyy-MM-dd",
  monthly: "yyyy-MM",
};
const REQUIRED: Readonly<Record<TimeCadence, readonly Token[]>> = {
  hourly: ["yyyy", "MM", "dd", "HH"],
  daily: ["yyyy", "MM", "dd"],
  weekly: ["yyyy", "MM", "dd"],
  monthly: ["yyyy", "MM"],
};
const OPTIONS = ["start", "end", "timezone", "fmt", "endOffset", "weekStartsOn"];
const ISO = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})$/;
const CANONICAL = compileFormat(DEFAULT_FMT.hourly) as KeyFormat;

/**
 * Hourly partitions: consecutive hours from `start`, keyed in local time. In a DST fall-back the
 * repeated local hour's second occurrence gets its UTC offset appended (`2024-10-27-02:00+0100`,
 * as Dagster does); the hour skipped in spring has no key.
 * @example export const events = asset({ partitions: hourly({ start: "2024-01-01-00:00", timezone: "Europe/Berlin" }) }, (ctx) => …)
 */
export function hourly(options: TimeWindowOptions): TimeWindowPartitionsDef {
  return defineTimeWindows("hourly", options);
}

/**
 * Daily partitions: one per local calendar day from `start`, each from local midnight to the next (23 or 25 hours across DST changes).
 * @example export const orders = asset({ partitions: daily({ start: "2024-01-01" }) }, (ctx) => ctx.partition.key)
 */
export function daily(options: TimeWindowOptions): TimeWindowPartitionsDef {
  return defineTimeWindows("daily", options);
}

/**
 * Weekly partitions, keyed by the date their week starts (Monday unless `weekStartsOn` says otherwise).
 * @example export const weekly_report = asset({ partitions: weekly({ start: "2024-01-01", weekStartsOn: 0 }) }, (ctx) => …)
 */
export function weekly(options: WeeklyOptions): TimeWindowPartitionsDef {
  return defineTimeWindows("weekly", options);
}

/**
 * Monthly partitions, keyed `yyyy-MM`, from local midnight of the 1st to the next 1st.
 * @example export const invoices = asset({ partitions: monthly({ start: "2024-01" }) }, (ctx) => …)
 */
export function monthly(options: TimeWindowOptions): TimeWindowPartitionsDef {
  return defineTimeWindows("monthly", options);
}

function defineTimeWindows(cadence: TimeCadence, options: WeeklyOptions): TimeWindowPartitionsDef {
  const fail = (problem: string): never => {
    throw new DefinitionError("DEFINITION_INVALID", `Invalid ${cadence}() partitions: ${problem}`);
  };
  if (options === null || typeof options !== "object") fail(`pass options, like ${cadence}({ start: "2024-01-01" })`);
  for (const name of Object.keys(options)) {
    if (!OPTIONS.includes(name) || (name === "weekStartsOn" && cadence !== "weekly")) fail(`unknown option "${name}"${didYouMean(name, OPTIONS)}`);
  }
  const timezone = checkZone(options.timezone ?? "UTC", fail);
  const fmtText = options.fmt ?? DEFAULT_FMT[cadence];
  const fmt = compileFormat(String(fmtText));
  if (typeof fmt === "string") return fail(`fmt "${fmtText}" is unusable: ${fmt}`);
  const missing = REQUIRED[cadence].filter((t) => !fmt.tokens.has(t));
  if (missing.length > 0) fail(`fmt "${fmtText}" lacks ${missing.map((t) => `"${t}"`).join(", ")}, which ${cadence} keys need`);
  if (typeof options.start !== "string") fail(`start is required, like ${cadence}({ start: "2024-01-01" })`);
  const start = parseLocalDateTime(options.start, fmt) ?? fail(`start "${options.start}" is not a valid date (use "2024-01-01" or "2024-01-01 06:00")`);
  let end: Civil | null = null;
  if (options.end !== undefined) {
    end = parseLocalDateTime(String(options.end), fmt) ?? fail(`end "${options.end}" is not a valid date (use "2024-01-01" or "2024-01-01 06:00")`);
    if (civilMs(end) <= civilMs(start)) fail(`end "${options.end}" is not after start "${options.start}"`);
  }
  const endOffset = options.endOffset ?? 0;
  if (!Number.isSafeInteger(endOffset)) fail(`endOffset must be an integer, got ${String(endOffset)}`);
  const weekStartsOn = options.weekStartsOn ?? 1;
  if (!Number.isInteger(weekStartsOn) || weekStartsOn < 0 || weekStartsOn > 6) {
    fail(`weekStartsOn must be 0 (Sunday) … 6 (Saturday), got ${String(weekStartsOn)}`);
  }
  return Object.freeze({
    [PARTITIONS_DEF]: true as const,
    kind: "time" as const,
    cadence,
    start: formatLocalDateTime(start),
    end: end && formatLocalDateTime(end),
    timezone,
    fmt: fmt.text,
    endOffset,
    weekStartsOn: weekStartsOn as Weekday,
  });
}

function checkZone(name: unknown, fail: (problem: string) => never): string {
  try {
    if (typeof name !== "string" || name === "") throw new RangeError();
    return getZone(name).name;
  } catch {
    const known = typeof Intl.supportedValuesOf === "function" ? Intl.supportedValuesOf("timeZone") : [];
    return fail(`unknown time zone "${String(name)}"${didYouMean(String(name), known) || ' — use an IANA name like "Europe/Berlin"'}`);
  }
}

/** A local date-time: a key (or key prefix) in `fmt`, the hourly default format, or "yyyy-MM-dd HH:mm". */
export function parseLocalDateTime(text: string, fmt: KeyFormat): Civil | null {
  for (const f of [fmt, CANONICAL]) {
    const p = parsePoint(f, text);
    if (p?.kind === "invalid") return null;
    if (p?.kind === "ok" && p.rest === "") return p.civil;
  }
  const m = ISO.exec(text);
  if (!m) return null;
  const p = parsePoint(CANONICAL, `${m[1]}-${m[2]}-${m[3]}-${m[4]}:${m[5]}`);
  return p?.kind === "ok" ? p.civil : null;
}

/** "2024-01-01", or "2024-01-01T06:00" when the time is not midnight. */
export function formatLocalDateTime(c: Civil): string {
  const p = (n: number, w = 2) => String(n).padStart(w, "0");
  const date = `${p(c.y, 4)}-${p(c.m)}-${p(c.d)}`;
  return c.h === 0 && c.mi === 0 ? date : `${date}T${p(c.h)}:${p(c.mi)}`;
}
