/**
 * Retention for `dagx gc`: one transaction that deletes what is older than a cutoff. A dry run
 * runs the very same statements and rolls back, so its counts are the real run's (STYLE 33).
 */
import type { DuckDBConnection } from "@duckdb/node-api";
import type { GcCounts } from "../../core/types.ts";
import { transaction } from "./_sql.ts";

class DryRun {
  constructor(readonly counts: GcCounts) {}
}

/** Delete finished runs/events, old history, ticks, finished requests and backfills before `before`; with `dryRun`, count and roll back. */
export async function collectGarbage(conn: DuckDBConnection, before: number, dryRun = false): Promise<GcCounts> {
  try {
    return await transaction(conn, async () => {
      const counts = await deleteOld(conn, before);
      if (dryRun) throw new DryRun(counts); // transaction() rolls back on a throw
      return counts;
    });
  } catch (error) {
    if (error instanceof DryRun) return error.counts;
    throw error;
  }
}

async function deleteOld(conn: DuckDBConnection, before: number): Promise<GcCounts> {
  const n = async (sql: string) => Number((await conn.run(sql, [before])).rowsChanged);
  await conn.run("CREATE OR REPLACE TEMP TABLE gc_runs AS SELECT run_id FROM runs WHERE status <> 'running' AND ended_at IS NOT NULL AND ended_at < ?", [before]);
  const events = Number((await conn.run("DELETE FROM events WHERE run_id IN (SELECT run_id FROM gc_runs)")).rowsChanged);
  const runs = Number((await conn.run("DELETE FROM runs WHERE run_id IN (SELECT run_id FROM gc_runs)")).rowsChanged);
  await conn.run("DELETE FROM run_tags WHERE run_id IN (SELECT run_id FROM gc_runs)");
  await conn.run("DROP TABLE gc_runs");
  // history rows that are the latest of their partition stay (same asset, partition, run, time)
  const materializations = await n(`DELETE FROM materializations m WHERE m.ts < ? AND NOT EXISTS (
    SELECT 1 FROM latest_materializations l WHERE l.asset_key = m.asset_key AND l.partition_key = m.partition_key AND l.run_id = m.run_id AND l.ts = m.ts)`);
  const ticks = await n("DELETE FROM ticks WHERE evaluated_at < ?");
  const runRequests = await n("DELETE FROM run_requests WHERE status <> 'requested' AND updated_at < ?");
  await conn.run("DELETE FROM backfill_partitions WHERE backfill_id IN (SELECT backfill_id FROM backfills WHERE status <> 'running' AND updated_at < ?)", [before]);
  const backfills = await n("DELETE FROM backfills WHERE status <> 'running' AND updated_at < ?");
  return { runs, events, materializations, ticks, runRequests, backfills };
}
