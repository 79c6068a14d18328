import { DagxError } from "./errors.ts";

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** Parse "250ms", "1s", "5m", "2h", "30d" (or a number of ms) into milliseconds. */
export function parseDuration(value: string | number, what = "duration"): number {
  if (typeof value === "number") {
    if (!Number.isFinite(value) || value < 0) throw new DagxError("USAGE", `Invalid ${what} ${value}: expected a non-negative number of milliseconds`);
    return value;
  }
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)\s*$/.exec(value);
  if (!m) throw new DagxError("USAGE", `Invalid ${what} "${value}": expected a number and a unit, like "500ms", "1s", "5m", "2h" or "30d"`);
  return Math.round(Number(m[1]) * UNITS[m[2]!]!);
}

/** "1.2s", "340ms", "2m 05s" */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)}s`;
  const m = Math.floor(ms / 60_000);
  const s = Math.round((ms % 60_000) / 1000);
  return `${m}m ${String(s).padStart(2, "0")}s`;
}
