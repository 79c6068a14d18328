/**
 * Which schedule ticks are due at `now`, which of them run (per catch-up policy) and which are
 * recorded as missed; whether a tick launches while the previous run still runs.
 */
import { tickTail } from "./_tick-scan.ts";
import { type CronEvaluator, MAX_CATCH_UP_RUNS, type NormalizedRequest, type ScheduleInfo } from "./types.ts";

/** Most missed ticks listed one by one (the latest); older ones are only counted. */
export const MAX_LISTED_MISSED = 1000;
/** A tick at most this old is on time, not missed: `catchUp: "none"` still runs it. */
export const DEFAULT_TICK_GRACE_MS = 60_000;
/** The skip reason io records for each missed tick. */
export const MISSED_TICK_REASON = "missed while the daemon was down";

/** What io persists per schedule. */
export interface ScheduleTickState {
  /** When the schedule was first seen: no tick at or before it ever runs. */
  createdAt: number;
  /** The newest tick already handled (run or skipped), or null. */
  lastTickAt: number | null;
}

export interface DueTicks {
  /** The newest tick to launch, or null; the last of `runs`. */
  run: number | null;
  /** Every tick to launch, oldest first: more than one only with `catchUp: "all"`. */
  runs: number[];
  /** Due ticks not launched, oldest first (at most 1000, the latest): record each as skipped with `MISSED_TICK_REASON`. */
  missed: number[];
  /** Older missed ticks left out of `missed`: how many, or null when too many to count. */
  omitted: number | null;
  /** The newest due tick, launched or not: persist it as `lastTickAt`. Null when nothing is due. */
  latest: number | null;
  /** The first tick after `now`, to sleep until. */
  nextAt: number | null;
}

/**
 * The ticks `t` with `createdAt < t ≤ now` and `t > lastTickAt`, split into runs and missed ticks
 * by `schedule.catchUp`: `"latest"` runs the newest, `"all"` the latest 100, `"none"` only a tick
 * that is on time (at most `graceMs` old).
 * @example
 * const due = dueTicks({ createdAt, lastTickAt }, info, now, cron);
 * for (const t of due.missed) recordSkipped(info.name, t, MISSED_TICK_REASON);
 * for (const t of due.runs) launch(scheduleRunRequest(info, t));
 * saveLastTick(info.name, due.latest ?? lastTickAt);
 */
export function dueTicks(
  state: ScheduleTickState,
  schedule: Pick<ScheduleInfo, "cron" | "timezone" | "catchUp">,
  now: number,
  cron: CronEvaluator,
  options: { graceMs?: number } = {},
): DueTicks {
  const after = Math.max(state.createdAt, state.lastTickAt ?? -Infinity);
  const nextAt = cron.next(schedule.cron, schedule.timezone, Math.max(now, after));
  if (now <= after) return { run: null, runs: [], missed: [], omitted: 0, latest: null, nextAt };
  const { ticks, total } = tickTail(cron, schedule.cron, schedule.timezone, after, now, MAX_CATCH_UP_RUNS + MAX_LISTED_MISSED);
  const latest = ticks[ticks.length - 1] ?? null;
  if (latest === null) return { run: null, runs: [], missed: [], omitted: 0, latest: null, nextAt };
  const onTime = now - latest <= (options.graceMs ?? DEFAULT_TICK_GRACE_MS);
  const runCount = schedule.catchUp === "all" ? MAX_CATCH_UP_RUNS : schedule.catchUp === "latest" || onTime ? 1 : 0;
  const runs = runCount === 0 ? [] : ticks.slice(-runCount);
  const missed = ticks.slice(0, ticks.length - runs.length).slice(-MAX_LISTED_MISSED);
  return { run: runs[runs.length - 1] ?? null, runs, missed, omitted: total === null ? null : total - runs.length - missed.length, latest, nextAt };
}

/**
 * Whether a due tick launches. With `overlap: "skip"` it does not while this schedule's previous
 * run still runs (io records the tick as skipped with `reason`). The runs of one evaluation (several
 * with `catchUp: "all"`) are one batch: only runs of earlier evaluations count as previous.
 */
export function overlapDecision(
  schedule: Pick<ScheduleInfo, "name" | "overlap">,
  previousRunStillRunning: boolean,
): { launch: true } | { launch: false; reason: string } {
  if (schedule.overlap === "allow" || !previousRunStillRunning) return { launch: true };
  return { launch: false, reason: `the previous run of schedule "${schedule.name}" is still running (overlap: "skip")` };
}

/**
 * The run of one tick. `asOf` is the tick: io resolves `partitions` (e.g. `"latest"`) against
 * partition spaces evaluated at it, so a caught-up tick materializes its own window. The run key
 * lets io refuse to launch the same tick twice after a crash.
 */
export function scheduleRunRequest(schedule: Pick<ScheduleInfo, "name" | "select" | "partitions" | "config">, tick: number): NormalizedRequest & { asOf: number } {
  const at = new Date(tick).toISOString();
  return {
    select: schedule.select,
    partitions: schedule.partitions,
    runKey: `schedule:${schedule.name}:${at}`,
    tags: { "dagx/schedule": schedule.name, "dagx/tick": at },
    asOf: tick,
    ...(schedule.config ? { config: schedule.config } : {}),
  };
}
