/**
 * `StateStore` over `.dagx/state.duckdb`, composed of one part per concern — duckdb-runs.ts,
 * duckdb-materializations.ts, duckdb-backfills.ts, duckdb-instigators.ts, duckdb-alerts.ts — plus what spans them
 * (`write`, `gc`, `close`), here. Every method is one transaction inside a short session (attach →
 * transactions → detach, see _session.ts; all parts share one session runner, _ops.ts), so any
 * number of dagx processes can share the file. Writes also maintain `latest_materializations` /
 * `latest_failures` (one row per asset and partition: older rows deleted, newer inserted) so status
 * reads never scan history.
 *
 * Never open the same file with `DuckDBInstance` directly in a process that uses this store while
 * it may be attached (before `close()` resolves): two handles in one process corrupt the file.
 */
import type { DuckDBConnection, DuckDBValue } from "@duckdb/node-api";
import type { EventRecord, MaterializationRecord } from "../../core/types.ts";
import type { StateStore } from "../../core/state-store.ts";
import { adoptCodeVersions } from "./_code-versions.ts";
import { collectGarbage } from "./_gc.ts";
import { createStateOps } from "./_ops.ts";
import { newestPerKey, toFailure } from "./_records.ts";
import { insert, latestMaterializationValues, materializationValues, transaction, upsertNewest } from "./_sql.ts";
import { duckdbAlertStore } from "./duckdb-alerts.ts";
import { duckdbBackfillStore } from "./duckdb-backfills.ts";
import { duckdbInstigatorStore } from "./duckdb-instigators.ts";
import { duckdbMaterializationStore } from "./duckdb-materializations.ts";
import { duckdbRunStore } from "./duckdb-runs.ts";
import { readChangeMarks } from "./ui-reads.ts";

export interface DuckDBStateStoreOptions {
  /** How long an operation waits for other processes holding the file before it fails. @default 30000 */
  lockTimeoutMs?: number;
}

/**
 * Open the state store kept in the DuckDB file at `dbPath` (created with its folder, owner-only
 * permissions, on first use; migrated forward on open). Nothing is held open between calls.
 */
export function createDuckDBStateStore(dbPath: string, options: DuckDBStateStoreOptions = {}): StateStore {
  const ops = createStateOps(dbPath, options.lockTimeoutMs ?? 30_000);
  const { op } = ops;
  return {
    ...duckdbRunStore(ops),
    ...duckdbMaterializationStore(ops),
    ...duckdbBackfillStore(ops),
    ...duckdbInstigatorStore(ops),
    ...duckdbAlertStore(ops),
    backend: "duckdb",

    // a short session that never creates the file (io/ui polls it while a page is open)
    changeMarks: () => readChangeMarks(dbPath),
    // no push from a file: io/ui/change-feed.ts stats it instead
    onChange: () => Promise.resolve(null),

    write: ({ events = [], materializations = [] }) =>
      events.length + materializations.length === 0
        ? Promise.resolve()
        : op("write events", (conn) => transaction(conn, () => writeBatch(conn, events, materializations))),

    // a read-only file cannot be adopted now: its versions stay as recorded (stale, never wrongly fresh) until a writable session
    adoptCodeVersions: (scheme, candidates, now) => op("adopt code versions", (conn, { readOnly }) => (readOnly ? Promise.resolve(null) : adoptCodeVersions(conn, scheme, candidates, now))),

    gc: (before, options) => op("collect garbage", (conn) => collectGarbage(conn, before, options?.dryRun)),

    /** Waits for this store's calls, then until the file is detached (safe to open elsewhere). */
    close: () => ops.close(),
  };
}

/** Events, history and the latest materialization and failure per (asset, partition), inside the caller's transaction. */
async function writeBatch(conn: DuckDBConnection, events: readonly EventRecord[], mats: readonly MaterializationRecord[]): Promise<void> {
  await insert(conn, "events", events.map((e) => [
    e.runId, e.seq, e.at, e.type, e.assetKey, e.partitionKey, JSON.stringify(e.payload),
  ]));
  if (mats.length > 0) {
    await insert(conn, "materializations", mats.map(materializationValues));
    await replaceLatest(conn, "latest_materializations", newestPerKey(mats).map(latestMaterializationValues));
  }
  const failures = newestPerKey(events.flatMap((e) => toFailure(e) ?? []));
  if (failures.length > 0) {
    await replaceLatest(conn, "latest_failures", failures.map((f) => [f.assetKey, f.partitionKey, f.runId, f.at, f.error, f.ordinal ?? null]));
  }
}

/** Upsert rows (columns in table order, `ts` 4th) into a latest_* table keyed by asset and partition. */
function replaceLatest(conn: DuckDBConnection, table: string, values: DuckDBValue[][]): Promise<void> {
  const incoming = values.map((row) => ({ key: [String(row[0]), String(row[1])], ts: Number(row[3]), values: row }));
  return upsertNewest(conn, table, ["asset_key", "partition_key"], incoming);
}
