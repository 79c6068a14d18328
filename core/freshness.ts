/**
 * Freshness policies: how old an asset's data may get. Pure; the clock and cron are injected.
 *
 * - `{ maxLag: "24h", warnAfter: "12h" }`: late once the last materialization is older than
 *   `warnAfter`, overdue once older than `maxLag`.
 * - `{ cron: "0 9 * * *", timezone, maxLag: "1h" }`: a deadline — by each cron tick the data must
 *   be no older than `maxLag` (default 0: materialized at or after the previous tick… i.e. since
 *   `tick − maxLag`); `warnAfter` may be added for an early warning.
 */
import { parseDuration } from "./duration.ts";
import { DefinitionError } from "./errors.ts";

export interface FreshnessPolicy {
  /** Overdue once the data is older than this ("24h"); with `cron`, the allowed age at each tick. */
  maxLag?: string | number;
  /** Late (a warning) once the data is older than this. */
  warnAfter?: string | number;
  /** A deadline schedule: by each tick the data must be at most `maxLag` old. */
  cron?: string;
  /** Time zone of `cron`. @default "UTC" */
  timezone?: string;
}

export type FreshnessState = "fresh" | "late" | "overdue";

export interface FreshnessResult {
  state: FreshnessState;
  /** Age of the data (ms), null when never materialized. */
  lagMs: number | null;
  reason: string;
}

export interface NormalizedFreshness {
  maxLagMs: number | null;
  warnAfterMs: number | null;
  cron: string | null;
  timezone: string;
}

/** The latest cron tick at or before `t` (io implements it with croner). */
export type PreviousTick = (expr: string, timezone: string, t: number) => number | null;

/** Validate a policy at load time (DefinitionError names the asset). */
export function normalizeFreshness(p: unknown, key: string, where: string, validCron: (expr: string, tz: string) => string | null): NormalizedFreshness {
  const bad = (what: string) => new DefinitionError("DEFINITION_INVALID", `Invalid freshness of asset "${key}" at ${where}: ${what}`, where);
  if (typeof p !== "object" || p === null) throw bad('expected { maxLag: "24h", warnAfter?: "12h" } or { cron: "0 9 * * *", maxLag?: "1h" }');
  const o = p as FreshnessPolicy;
  const dur = (v: unknown, name: string) => {
    if (v === undefined) return null;
    try {
      return parseDuration(v as string | number, name);
    } catch (e) {
      throw bad((e as Error).message);
    }
  };
  const maxLagMs = dur(o.maxLag, "maxLag");
  const warnAfterMs = dur(o.warnAfter, "warnAfter");
  const timezone = o.timezone ?? "UTC";
  if (o.cron !== undefined) {
    const problem = validCron(o.cron, timezone);
    if (problem) throw bad(`cron "${o.cron}": ${problem}`);
  } else if (maxLagMs === null) throw bad("give maxLag (e.g. \"24h\") or a cron deadline");
  if (warnAfterMs !== null && maxLagMs !== null && o.cron === undefined && warnAfterMs >= maxLagMs) throw bad("warnAfter must be shorter than maxLag");
  return { maxLagMs, warnAfterMs, cron: o.cron ?? null, timezone };
}

const fmt = (ms: number) => (ms >= 86_400_000 ? `${(ms / 86_400_000).toFixed(1)}d` : ms >= 3_600_000 ? `${(ms / 3_600_000).toFixed(1)}h` : ms >= 60_000 ? `${Math.round(ms / 60_000)}m` : `${Math.round(ms / 1000)}s`);

/** Evaluate a policy for data last materialized at `lastAt` (null: never). */
export function evaluateFreshness(p: NormalizedFreshness, lastAt: number | null, now: number, previousTick: PreviousTick): FreshnessResult {
  const lagMs = lastAt === null ? null : Math.max(0, now - lastAt);
  if (p.cron !== null) {
    const tick = previousTick(p.cron, p.timezone, now);
    const allowed = p.maxLagMs ?? 0;
    if (tick !== null && (lastAt === null || lastAt < tick - allowed)) {
      return { state: "overdue", lagMs, reason: `missed the ${new Date(tick).toISOString()} deadline (data must be at most ${fmt(allowed)} old at each tick${lagMs === null ? "; never materialized" : `; it is ${fmt(lagMs)} old`})` };
    }
  } else if (lagMs === null) return { state: "overdue", lagMs, reason: "never materialized" };
  else if (p.maxLagMs !== null && lagMs > p.maxLagMs) return { state: "overdue", lagMs, reason: `data is ${fmt(lagMs)} old, more than maxLag ${fmt(p.maxLagMs)}` };
  if (p.warnAfterMs !== null && lagMs !== null && lagMs > p.warnAfterMs) return { state: "late", lagMs, reason: `data is ${fmt(lagMs)} old, more than warnAfter ${fmt(p.warnAfterMs)}` };
  if (lagMs === null) return { state: "overdue", lagMs, reason: "never materialized" };
  return { state: "fresh", lagMs, reason: `data is ${fmt(lagMs)} old` };
}
