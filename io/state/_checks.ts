/**
 * Check results in the DuckDB state store: `check_results` (history, append-only) and
 * `latest_check_results` (one row per asset, partition and check; older rows replaced), so status
 * reads never scan the history. Each function runs inside its caller's session.
 */
import type { DuckDBConnection, DuckDBValue } from "@duckdb/node-api";
import type { CheckResult } from "../../core/types.ts";
import { newestPerCheck } from "./_records.ts";
import { type Row, insert, jsonOrNull, jsonText, rows, stringList, transaction, upsertNewest } from "./_sql.ts";

/** Column values in the order of both tables (migration 1's columns, then migration 4's). */
function values(r: CheckResult): DuckDBValue[] {
  return [r.runId, r.assetKey, r.partitionKey, r.checkName, r.at, r.passed, r.severity, jsonText(r.metadata), r.blocking, r.description, jsonText(r.sample), r.error];
}

/** Append results and upsert the latest ones, in one transaction. */
export async function insertCheckResults(conn: DuckDBConnection, results: readonly CheckResult[]): Promise<void> {
  const all = results.map(values); // JSON encoding fails here, before anything is written
  await transaction(conn, async () => {
    await insert(conn, "check_results", all);
    const latest = newestPerCheck(results).map((r) => ({ key: [r.assetKey, r.partitionKey, r.checkName], ts: r.at, values: values(r) }));
    await upsertNewest(conn, "latest_check_results", ["asset_key", "partition_key", "check_name"], latest);
  });
}

/** Latest results of some assets (all when `keys` is omitted), by asset, partition and check. */
export async function selectLatestCheckResults(conn: DuckDBConnection, keys?: readonly string[], options: { blockingFailures?: boolean } = {}): Promise<CheckResult[]> {
  const order = " ORDER BY asset_key, partition_key, check_name";
  const failing = options.blockingFailures ? " AND NOT passed AND blocking AND severity = 'error'" : "";
  if (!keys) return (await rows(conn, `SELECT * FROM latest_check_results WHERE TRUE${failing}${order}`)).map(toCheckResult);
  const list = stringList([...new Set(keys)]);
  return (await rows(conn, `SELECT * FROM latest_check_results WHERE asset_key IN (SELECT unnest(?))${failing}${order}`, [list.value], [list.type])).map(toCheckResult);
}

export function toCheckResult(r: Row): CheckResult {
  return {
    runId: String(r.run_id), assetKey: String(r.asset_key), partitionKey: String(r.partition_key), checkName: String(r.check_name), at: Number(r.ts),
    passed: Boolean(r.passed), severity: String(r.severity) as CheckResult["severity"], blocking: Boolean(r.blocking),
    description: r.description === null || r.description === undefined ? null : String(r.description),
    metadata: jsonOrNull<Record<string, unknown>>(r.metadata) ?? {}, sample: jsonOrNull(r.sample),
    error: r.error === null || r.error === undefined ? null : String(r.error),
  };
}
