/** Rules of the alerts part shared by the DuckDB store and its in-memory twin (duckdb-alerts.ts, memory-alerts.ts). */
import type { IncidentCandidate, IncidentRecord } from "../../core/alerts/index.ts";

/** The candidates to open: the first of each key, none whose key is open already. */
export function toOpen(candidates: readonly (IncidentCandidate & { incidentId: string })[], openKeys: ReadonlySet<string>): IncidentRecord[] {
  const seen = new Set(openKeys);
  const out: IncidentRecord[] = [];
  for (const c of candidates) {
    if (seen.has(c.key)) continue;
    seen.add(c.key);
    out.push({ ...c, resolvedAt: null, resolvedBy: null });
  }
  return out;
}

/** Keys to resolve: those asked for that are not being opened in the same call. */
export function toResolve(resolve: readonly string[], opening: readonly { key: string }[]): Set<string> {
  const out = new Set(resolve);
  for (const c of opening) out.delete(c.key);
  return out;
}

/** Newest first by openedAt, then id (UUIDv7: creation order). */
export const newestIncidentFirst = (a: IncidentRecord, b: IncidentRecord): number =>
  b.openedAt - a.openedAt || (a.incidentId < b.incidentId ? 1 : a.incidentId > b.incidentId ? -1 : 0);
