/**
 * A time-window definition evaluated at `now`: window starts, keys and indices computed
 * arithmetically (civil-date math plus Intl offset lookups), so a million windows cost nothing.
 */
import { type Civil, civilFromDays, civilFromMs, civilMs, DAY, daysFromMonthNumber, HOUR, monthNumber, weekday } from "./_civil.ts";
import { compileFormat, formatCivil, type KeyFormat, parsePoint } from "./_format.ts";
import { getZone, type Zone } from "./_zone.ts";
import { partitionsId, partitionsLabel } from "./describe.ts";
import type { TimeSpace, TimeWindowPartitionsDef } from "./types.ts";

const NORMALIZED = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2}))?$/;

/** How one cadence numbers its windows; index 0 is the first window at or after the start. */
interface Cadence {
  unit: TimeSpace["unit"];
  startOf(i: number): number;
  /** The largest `i` whose window starts at or before `t`. */
  indexContaining(t: number): number;
  keyOf(i: number): string;
  /** The index whose key is `key`, or null. */
  indexOfKey(key: string): number | null;
}

/** The space of `def` at instant `now` (epoch ms). */
export function createTimeSpace(def: TimeWindowPartitionsDef, now: number): TimeSpace {
  const zone = getZone(def.timezone);
  const fmt = compileFormat(def.fmt) as KeyFormat;
  const cadence = def.cadence === "hourly" ? hourlyCadence(def, zone, fmt) : dayCadence(def, zone, fmt);
  const byNow = cadence.indexContaining(Math.floor(now)) + def.endOffset;
  const byEnd = def.end === null ? Infinity : cadence.indexContaining(zone.resolve(civilMs(parseNormalized(def.end))));
  const size = Math.max(0, Math.min(byNow, byEnd));
  const inRange = (i: number) => Number.isInteger(i) && i >= 0 && i < size;
  const check = (i: number) => {
    if (!inRange(i)) throw new RangeError(`Partition index ${i} is outside 0…${size - 1} of ${partitionsLabel(def)}`);
  };
  const space: TimeSpace = {
    kind: "time",
    def,
    id: partitionsId(def),
    label: partitionsLabel(def),
    size,
    unit: cadence.unit,
    zone,
    startOf: cadence.startOf,
    indexContaining: cadence.indexContaining,
    indexAtOrAfter: (t) => {
      const k = cadence.indexContaining(t);
      return cadence.startOf(k) === t ? k : k + 1;
    },
    keyOf: cadence.keyOf,
    keyAt: (i) => {
      check(i);
      return cadence.keyOf(i);
    },
    indexOf: (key) => {
      const i = cadence.indexOfKey(key);
      return i !== null && inRange(i) ? i : -1;
    },
    window: (i) => {
      check(i);
      return { start: new Date(cadence.startOf(i)), end: new Date(cadence.startOf(i + 1)) };
    },
    dimensions: [],
  };
  (space as { dimensions: TimeSpace["dimensions"] }).dimensions = [{ name: "date", space }];
  return space;
}

/** Civil date-time of a normalized `start`/`end` ("2024-01-01" or "2024-01-01T06:00"). */
export function parseNormalized(text: string): Civil {
  const m = NORMALIZED.exec(text);
  if (!m) throw new Error(`Not a normalized local date-time: ${text}`);
  return { y: Number(m[1]), m: Number(m[2]), d: Number(m[3]), h: Number(m[4] ?? 0), mi: Number(m[5] ?? 0) };
}

/** Daily, weekly and monthly windows: local midnight to local midnight, whatever DST does in between. */
function dayCadence(def: TimeWindowPartitionsDef, zone: Zone, fmt: KeyFormat): Cadence {
  const s = parseNormalized(def.start);
  const startDay = Math.floor(civilMs(s) / DAY) + (s.h !== 0 || s.mi !== 0 ? 1 : 0);
  let dayOf: (i: number) => number;
  let indexOfDay: (d: number) => number;
  let unit: Cadence["unit"] = "day";
  if (def.cadence === "weekly") {
    const first = startDay + ((def.weekStartsOn - weekday(startDay) + 7) % 7);
    dayOf = (i) => first + 7 * i;
    indexOfDay = (d) => Math.floor((d - first) / 7);
    unit = "week";
  } else if (def.cadence === "monthly") {
    const c = civilFromDays(startDay);
    const first = monthNumber(c.y, c.m) + (c.d === 1 ? 0 : 1);
    dayOf = (i) => daysFromMonthNumber(first + i);
    indexOfDay = (d) => {
      const c2 = civilFromDays(d);
      return monthNumber(c2.y, c2.m) - first;
    };
    unit = "month";
  } else {
    dayOf = (i) => startDay + i;
    indexOfDay = (d) => d - startDay;
  }
  const keyOf = (i: number) => formatCivil(fmt, { ...civilFromDays(dayOf(i)), h: 0, mi: 0 });
  return {
    unit,
    startOf: (i) => zone.resolve(dayOf(i) * DAY),
    indexContaining: (t) => indexOfDay(Math.floor((t + zone.offsetAt(t)) / DAY)),
    keyOf,
    indexOfKey: (key) => {
      const p = parsePoint(fmt, key);
      if (p?.kind !== "ok" || !p.complete || p.rest !== "") return null;
      const i = indexOfDay(Math.floor(civilMs(p.civil) / DAY));
      return keyOf(i) === key ? i : null;
    },
  };
}

/**
 * Consecutive hours from the first local hour boundary at or after the start. Keys are local
 * wall times; the second occurrence of a fall-back hour gets its UTC offset appended (`+0100`),
 * like Dagster; the hour a spring-forward skips has no window and no key.
 */
function hourlyCadence(def: TimeWindowPartitionsDef, zone: Zone, fmt: KeyFormat): Cadence {
  const startInstant = zone.resolve(civilMs(parseNormalized(def.start)));
  const rem = (((startInstant + zone.offsetAt(startInstant)) % HOUR) + HOUR) % HOUR;
  const first = rem === 0 ? startInstant : startInstant + HOUR - rem;
  const keyOf = (i: number) => {
    const t = first + i * HOUR;
    const offset = zone.offsetAt(t);
    const base = formatCivil(fmt, civilFromMs(t + offset));
    return isSecondOccurrence(zone, t) ? base + formatOffset(offset) : base;
  };
  return {
    unit: "hour",
    startOf: (i) => first + i * HOUR,
    indexContaining: (t) => Math.floor((t - first) / HOUR),
    keyOf,
    indexOfKey: (key) => {
      const p = parsePoint(fmt, key);
      if (p?.kind !== "ok" || !p.complete) return null;
      const local = civilMs(p.civil);
      const suffix = /^([+-])(\d{2})(\d{2})$/.exec(p.rest);
      if (p.rest !== "" && !suffix) return null;
      const t = suffix ? local - (suffix[1] === "-" ? -1 : 1) * (Number(suffix[2]) * HOUR + Number(suffix[3]) * 60_000) : zone.instantsOf(local)[0];
      if (t === undefined || (t - first) % HOUR !== 0) return null;
      const i = (t - first) / HOUR;
      return keyOf(i) === key ? i : null;
    },
  };
}

/** True when instant `t` shows a wall time the clocks already showed before a fall-back. */
export function isSecondOccurrence(zone: Zone, t: number): boolean {
  const offset = zone.offsetAt(t);
  const before = zone.offsetAt(t - 3 * HOUR);
  return before > offset && zone.offsetAt(t - (before - offset)) === before;
}

/** `+0100` / `-0500`. */
export function formatOffset(offset: number): string {
  const abs = Math.abs(offset) / 60_000;
  return `${offset < 0 ? "-" : "+"}${String(Math.floor(abs / 60)).padStart(2, "0")}${String(abs % 60).padStart(2, "0")}`;
}
