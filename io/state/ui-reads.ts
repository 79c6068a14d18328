/**
 * The DuckDB store's reads for the web UI (duckdb-store.ts), each one short session that never
 * creates the file: an asset's materialization and check history, and the cheap change marks the
 * UI's change feed compares to say which topics changed (io/ui/change-feed.ts).
 */
import fs from "node:fs";
import { StateStoreError } from "../../core/errors.ts";
import type { ChangeMarks } from "../../core/state-store.ts";
import type { CheckResult, MaterializationRecord } from "../../core/types.ts";
import { changeMarksSql, toChangeMarks } from "./_change-marks.ts";
import { toCheckResult } from "./_checks.ts";
import { withStateConnection } from "./_session.ts";
import { rows, toMaterialization } from "./_sql.ts";

const TIMEOUT_MS = 10_000;

async function read<T>(dbPath: string, label: string, fn: Parameters<typeof withStateConnection<T>>[2]): Promise<T> {
  try {
    return await withStateConnection(dbPath, TIMEOUT_MS, fn);
  } catch (e) {
    if (e instanceof StateStoreError) throw e;
    throw new StateStoreError(`Cannot ${label} in state file "${dbPath}": ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
}

/** Materializations of one asset, newest first, at most `limit` (every partition's). */
export async function readMaterializationHistory(dbPath: string, assetKey: string, limit: number): Promise<MaterializationRecord[]> {
  if (!fs.existsSync(dbPath)) return [];
  return read(dbPath, "read the materialization history", async (conn) =>
    (await rows(conn, "SELECT * FROM materializations WHERE asset_key = ? ORDER BY ts DESC LIMIT ?", [assetKey, limit])).map(toMaterialization));
}

/** Check results of one asset, newest first, at most `limit`. */
export async function readCheckHistory(dbPath: string, assetKey: string, limit: number): Promise<CheckResult[]> {
  if (!fs.existsSync(dbPath)) return [];
  return read(dbPath, "read the check history", async (conn) =>
    (await rows(conn, "SELECT * FROM check_results WHERE asset_key = ? ORDER BY ts DESC LIMIT ?", [assetKey, limit])).map(toCheckResult));
}

/** Read the change marks in one short session (null when there is no state file yet). */
export async function readChangeMarks(dbPath: string): Promise<ChangeMarks | null> {
  if (!fs.existsSync(dbPath)) return null;
  return read(dbPath, "read change marks", async (conn) => {
    const [m] = await rows(conn, changeMarksSql("hash(run_id, status, ended_at)"));
    const running = await rows(conn, `SELECT e.run_id, max(e.seq) AS seq FROM events e
      WHERE e.ts >= (SELECT coalesce(min(started_at), 9e18) FROM runs WHERE status = 'running')
        AND e.run_id IN (SELECT run_id FROM runs WHERE status = 'running')
      GROUP BY e.run_id`);
    return toChangeMarks(m!, running);
  });
}
