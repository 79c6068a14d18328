/**
 * `schedule()`: materialize a selection on a cron. The definition is inert data; the loader
 * names it after its export and validates it (`validateSchedule`), the daemon evaluates it
 * (`dueTicks`, `overlapDecision`).
 */
import { callerLocation as definitionLocation } from "../location.ts";
import { SCHEDULE_DEF, type ScheduleDef, type ScheduleOptions } from "./types.ts";

/**
 * Define a cron schedule that materializes `select`. Its name is the export name unless `name`
 * is given. Every tick is recorded: a run started, or skipped with the reason.
 *
 * @example
 * // schedules.asset.ts
 * export const nightly = schedule({ cron: "0 2 * * *", timezone: "Europe/Paris", select: "daily_revenue+" });
 * export const hourly_orders = schedule({
 *   cron: "5 * * * *",
 *   select: [orders],                // asset definitions work too
 *   partitions: "latest",            // the newest complete window at each tick
 *   catchUp: "all",                  // after downtime, run every missed tick (at most 100)
 * });
 */
export function schedule(options: ScheduleOptions): ScheduleDef {
  if (options === null || typeof options !== "object") throw new TypeError('schedule() needs an options object: schedule({ cron: "0 2 * * *", select: "orders+" })');
  return { [SCHEDULE_DEF]: true, options, location: definitionLocation() };
}

/** True when `value` is a schedule definition. */
export function isScheduleDef(value: unknown): value is ScheduleDef {
  return typeof value === "object" && value !== null && (value as Record<symbol, unknown>)[SCHEDULE_DEF] === true;
}
