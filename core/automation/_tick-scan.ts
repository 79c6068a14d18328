/**
 * The latest cron ticks in a window, without walking millions of them: a daemon down for a week
 * under an every-second cron has 604,800 missed ticks, but only the latest few matter.
 */
import type { CronEvaluator } from "./types.ts";

/** Up to this many ticks are walked to count a window exactly. */
const EXACT_LIMIT = 5000;
/** Past that, a bisection looks for a start with between `keep` and this many ticks after it. */
const BISECT_LIMIT = 2000;

export interface TickTail {
  /** The latest `keep` ticks of the window, oldest first. */
  ticks: number[];
  /** How many ticks the window has, or null when too many to count. */
  total: number | null;
}

/** The latest `keep` (≤ 2000) ticks `t` of `expr` with `after < t ≤ until`. */
export function tickTail(cron: CronEvaluator, expr: string, timezone: string, after: number, until: number, keep: number): TickTail {
  const all = scan(cron, expr, timezone, after, until, EXACT_LIMIT);
  if (all.length <= EXACT_LIMIT) return { ticks: all.slice(-keep), total: all.length };
  // Invariant: more than BISECT_LIMIT ticks after `lo`, fewer than `keep` after `hi`.
  let lo = after;
  let hi = until;
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    const ticks = scan(cron, expr, timezone, mid, until, BISECT_LIMIT);
    if (ticks.length > BISECT_LIMIT) lo = mid;
    else if (ticks.length < keep) hi = mid;
    else return { ticks: ticks.slice(-keep), total: null };
  }
  return { ticks: scan(cron, expr, timezone, lo, until, BISECT_LIMIT).slice(-keep), total: null };
}

/** The latest tick `t` with `after < t ≤ until`, or null. */
export function latestTick(cron: CronEvaluator, expr: string, timezone: string, after: number, until: number): number | null {
  return tickTail(cron, expr, timezone, after, until, 1).ticks[0] ?? null;
}

/** Ticks in `(after, until]`, oldest first, stopping once there are more than `limit`. */
function scan(cron: CronEvaluator, expr: string, timezone: string, after: number, until: number, limit: number): number[] {
  const out: number[] = [];
  let t = after;
  while (out.length <= limit) {
    const next = cron.next(expr, timezone, t);
    if (next === null || next > until) break;
    if (!(next > t)) throw new Error(`CronEvaluator.next("${expr}", "${timezone}", ${t}) returned ${next}, which is not after its input`);
    out.push(next);
    t = next;
  }
  return out;
}
