/**
 * A key or key prefix of a time space as an interval of instants: `2024-03` is the month of
 * March in the space's time zone, `2024-03-31-02:00+0100` one exact hour. Text that is not in
 * the space's own format may be in the default hourly format or a prefix of it, so one range
 * applies to daily and monthly assets alike.
 */
import { civilMs, DAY, daysFromCivil, daysFromMonthNumber, HOUR, MINUTE, monthNumber } from "./_civil.ts";
import { compileFormat, type KeyFormat, parsePoint, type Unit } from "./_format.ts";
import { DEFAULT_FMT } from "./time-windows.ts";
import type { TimeSpace } from "./types.ts";

const CANONICAL = compileFormat(DEFAULT_FMT.hourly) as KeyFormat;
const formats = new Map<string, KeyFormat>();

/** `[t0, t1)` in epoch ms and the calendar unit the text named. */
export interface TimePoint {
  t0: number;
  t1: number;
  unit: Unit;
}

/** The interval `text` names in `space`, or the reason it names none. */
export function parseTimePoint(space: TimeSpace, text: string): TimePoint | string {
  let fmt = formats.get(space.def.fmt);
  if (!fmt) formats.set(space.def.fmt, (fmt = compileFormat(space.def.fmt) as KeyFormat));
  for (const f of fmt.text === CANONICAL.text ? [fmt] : [fmt, CANONICAL]) {
    const p = parsePoint(f, text);
    if (p?.kind === "invalid") return `"${text}" is not a valid date`;
    if (p?.kind !== "ok") continue;
    if (p.rest !== "") {
      if (f !== fmt || space.unit !== "hour" || !/^[+-]\d{4}$/.test(p.rest)) continue;
      const sign = p.rest[0] === "-" ? -1 : 1;
      const t0 = civilMs(p.civil) - sign * (Number(p.rest.slice(1, 3)) * HOUR + Number(p.rest.slice(3)) * MINUTE);
      if (space.keyOf(space.indexContaining(t0)) !== text) return `"${text}" is not a partition key of ${space.label}`;
      return { t0, t1: t0 + MINUTE, unit: "minute" };
    }
    const local = civilMs(p.civil);
    if ((p.unit === "minute" || p.unit === "hour") && space.zone.instantsOf(local).length === 0) {
      return `"${text}" does not exist in ${space.zone.name}: the clocks skip it`;
    }
    const t0 = space.zone.resolve(local);
    if (p.unit === "minute" || p.unit === "hour") return { t0, t1: t0 + (p.unit === "hour" ? HOUR : MINUTE), unit: p.unit };
    const next =
      p.unit === "day"
        ? local + DAY
        : p.unit === "month"
          ? daysFromMonthNumber(monthNumber(p.civil.y, p.civil.m) + 1) * DAY
          : daysFromCivil(p.civil.y + 1, 1, 1) * DAY;
    return { t0, t1: space.zone.resolve(next), unit: p.unit };
  }
  return `"${text}" is not a partition key of ${space.label}: expected the format ${fmt.text} or a prefix of it`;
}
