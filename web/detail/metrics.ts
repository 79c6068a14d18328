/**
 * Numeric series for the asset page's plots, from its materialization history: rows, bytes,
 * duration (the record's `durationMs`, else `dagx/durationMs` metadata) and every user metadata key
 * whose values are numbers. Over time (oldest first), and per partition (the latest value of each
 * partition, partitions in key order) for partitioned assets.
 */
import type { ApiMaterialization } from "../../core/ui-api.ts";

export interface Series {
  name: string;
  /** Unix seconds (over time) or partition index (per partition). */
  xs: number[];
  ys: (number | null)[];
  /** Partition keys, for a per-partition series. */
  labels?: string[];
  unit: "count" | "bytes" | "ms" | "number";
}

function numeric(v: unknown): number | null {
  if (typeof v === "number" && Number.isFinite(v)) return v;
  if (typeof v === "string" && v.trim() !== "" && Number.isFinite(Number(v))) return Number(v);
  if (v && typeof v === "object" && "value" in v) return numeric((v as { value: unknown }).value);
  return null;
}

/** The metrics of one materialization, by name. */
export function metricsOf(m: ApiMaterialization): Map<string, number | null> {
  const out = new Map<string, number | null>();
  out.set("rows", m.rows);
  out.set("bytes", m.bytes);
  out.set("durationMs", m.durationMs ?? numeric(m.metadata?.["dagx/durationMs"]));
  for (const [k, v] of Object.entries(m.metadata ?? {})) {
    if (k.startsWith("dagx/")) continue;
    const n = numeric(v);
    if (n !== null) out.set(k, n);
  }
  return out;
}

const UNITS: Record<string, Series["unit"]> = { rows: "count", bytes: "bytes", durationMs: "ms" };

/** Metric names that have at least one number in `history`, built-ins first. */
function metricNames(rows: Map<string, number | null>[]): string[] {
  const names = new Set<string>();
  for (const r of rows) for (const [k, v] of r) if (v !== null) names.add(k);
  const builtins = ["rows", "bytes", "durationMs"].filter((n) => names.has(n));
  return [...builtins, ...[...names].filter((n) => !(n in UNITS)).sort()];
}

/** One series per metric over time (history is newest first, as the API gives it). */
export function seriesOverTime(history: ApiMaterialization[]): Series[] {
  const sorted = [...history].sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
  const rows = sorted.map(metricsOf);
  const xs = sorted.map((m) => Date.parse(m.at) / 1000);
  return metricNames(rows).map((name) => ({ name, xs, ys: rows.map((r) => r.get(name) ?? null), unit: UNITS[name] ?? "number" }));
}

/** One series per metric over partitions: each partition's latest materialization. */
export function seriesPerPartition(history: ApiMaterialization[]): Series[] {
  const latest = new Map<string, ApiMaterialization>();
  for (const m of history) {
    if (m.partition === null) continue;
    const had = latest.get(m.partition);
    if (!had || Date.parse(m.at) > Date.parse(had.at)) latest.set(m.partition, m);
  }
  const keys = [...latest.keys()].sort();
  const rows = keys.map((k) => metricsOf(latest.get(k)!));
  const xs = keys.map((_, i) => i);
  return metricNames(rows).map((name) => ({ name, xs, ys: rows.map((r) => r.get(name) ?? null), labels: keys, unit: UNITS[name] ?? "number" }));
}
