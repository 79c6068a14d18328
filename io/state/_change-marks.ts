/**
 * The change marks of the UI's feed (StateStore `changeMarks`), shared by the DuckDB file
 * (ui-reads.ts) and Postgres (postgres-changes.ts): a few aggregates per topic, in the SQL both
 * speak; only the fingerprint of the runs' statuses differs (each engine's own hash).
 */
import type { ChangeMarks } from "../../core/state-store.ts";

/** The query: one row of `runs`, `assets`, `backfills`, `instigators`, `alerts`; `runsHash` hashes one run's id, status and end. */
export const changeMarksSql = (runsHash: string): string => `SELECT
  (SELECT count(*) || ':' || coalesce(sum(${runsHash}), 0) FROM runs) AS runs,
  (SELECT count(*) || ':' || coalesce(max(ts), 0) FROM latest_materializations) || '/' ||
  (SELECT count(*) || ':' || coalesce(max(ts), 0) FROM latest_failures) || '/' ||
  (SELECT count(*) || ':' || coalesce(max(ts), 0) FROM latest_check_results) AS assets,
  (SELECT count(*) || ':' || coalesce(max(updated_at), 0) FROM backfills) || '/' ||
  (SELECT count(*) || ':' || coalesce(max(updated_at), 0) FROM backfill_partitions) AS backfills,
  (SELECT count(*) || ':' || coalesce(max(updated_at), 0) FROM instigators) || '/' ||
  (SELECT count(*) || ':' || coalesce(max(seq), 0) FROM ticks) AS instigators,
  (SELECT count(*) || ':' || coalesce(max(coalesce(resolved_at, opened_at)), 0) FROM alert_incidents) || '/' ||
  (SELECT count(*) || ':' || coalesce(max(ts), 0) FROM alert_deliveries) AS alerts`;

/** The marks from the query's row and the (run_id, seq) rows of the running runs' newest events. */
export function toChangeMarks(m: Record<string, unknown>, running: readonly Record<string, unknown>[]): ChangeMarks {
  return {
    runs: String(m.runs),
    assets: String(m.assets),
    backfills: String(m.backfills),
    instigators: String(m.instigators),
    alerts: String(m.alerts),
    events: new Map(running.map((r) => [String(r.run_id), Number(r.seq)])),
  };
}
