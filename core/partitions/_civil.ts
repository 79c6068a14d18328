/**
 * Proleptic Gregorian civil-date arithmetic on plain numbers (Howard Hinnant's algorithms).
 * "Local ms" below means a wall-clock time encoded as if it were UTC: days * DAY + time of day.
 */
export const MINUTE = 60_000;
export const HOUR = 3_600_000;
export const DAY = 86_400_000;

/** A wall-clock date and time, month 1–12. */
export interface Civil {
  y: number;
  m: number;
  d: number;
  h: number;
  mi: number;
}

/** Days since 1970-01-01 of a civil date. */
export function daysFromCivil(y: number, m: number, d: number): number {
  const yy = m <= 2 ? y - 1 : y;
  const era = Math.floor(yy / 400);
  const yoe = yy - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

/** The civil date of a day number (inverse of `daysFromCivil`). */
export function civilFromDays(days: number): { y: number; m: number; d: number } {
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  return { y: yoe + era * 400 + (m <= 2 ? 1 : 0), m, d };
}

export function isLeapYear(y: number): boolean {
  return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
}

export function daysInMonth(y: number, m: number): number {
  return m === 2 ? (isLeapYear(y) ? 29 : 28) : [4, 6, 9, 11].includes(m) ? 30 : 31;
}

/** Day of the week of a day number: 0 = Sunday … 6 = Saturday (1970-01-01 was a Thursday). */
export function weekday(days: number): number {
  return (((days + 4) % 7) + 7) % 7;
}

/** Local ms of a civil date-time. */
export function civilMs(c: Civil): number {
  return daysFromCivil(c.y, c.m, c.d) * DAY + c.h * HOUR + c.mi * MINUTE;
}

/** The civil date-time of local ms (seconds dropped). */
export function civilFromMs(ms: number): Civil {
  const days = Math.floor(ms / DAY);
  const rest = ms - days * DAY;
  return { ...civilFromDays(days), h: Math.floor(rest / HOUR), mi: Math.floor((rest % HOUR) / MINUTE) };
}

/** Months since year 0 (`y * 12 + m - 1`), for month arithmetic. */
export function monthNumber(y: number, m: number): number {
  return y * 12 + m - 1;
}

/** Day number of the first day of a month number. */
export function daysFromMonthNumber(n: number): number {
  const y = Math.floor(n / 12);
  return daysFromCivil(y, n - y * 12 + 1, 1);
}
