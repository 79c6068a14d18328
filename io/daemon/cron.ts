/** The CronEvaluator core/automation needs, backed by croner (timezones, seconds, DST as cron does). */
import { Cron } from "croner";
import type { CronEvaluator } from "../../core/automation/index.ts";

const cache = new Map<string, Cron>();

function job(expr: string, timezone: string): Cron {
  const id = `${timezone}\u0000${expr}`;
  let c = cache.get(id);
  if (!c) {
    // paused: croner only computes times here, it never schedules a callback
    c = new Cron(expr, { timezone, paused: true });
    cache.set(id, c);
  }
  return c;
}

export const croner: CronEvaluator & { prev(expr: string, timezone: string, t: number): number | null } = {
  next(expr, timezone, after) {
    const d = job(expr, timezone).nextRun(new Date(after));
    return d ? d.getTime() : null;
  },
  /** The latest tick at or before `t`. */
  prev(expr: string, timezone: string, t: number): number | null {
    const [d] = job(expr, timezone).previousRuns(1, new Date(t + 1));
    return d ? d.getTime() : null;
  },
  validate(expr, timezone) {
    try {
      new Intl.DateTimeFormat("en-US", { timeZone: timezone });
    } catch {
      return `unknown time zone "${timezone}" (use an IANA name like "Europe/Berlin")`;
    }
    try {
      job(expr, timezone);
      return null;
    } catch (e) {
      return (e as Error).message.replace(/^CronPattern: /, "");
    }
  },
};
