/**
 * `BackfillStore` over Postgres: `backfills` and `backfill_partitions` (keyed by backfill, asset and
 * partition; upserted with ON CONFLICT), as in the DuckDB file (duckdb-backfills.ts).
 */
import { StateStoreError } from "../../core/errors.ts";
import type { BackfillPartitionRecord, BackfillPartitionStatus, BackfillRecord } from "../../core/types.ts";
import type { BackfillStore } from "../../core/state-store.ts";
import { changed, type Columns, insertRows, type PgOps, type PgRow } from "./_pg-client.ts";
import { clampLimit, tallyBackfill } from "./_records.ts";

const PARTITION_COLUMNS: Columns = [
  ["backfill_id", "text"], ["asset_key", "text"], ["partition_key", "text"], ["status", "text"], ["run_id", "text"], ["error", "text"], ["updated_at", "bigint"],
];
const UPSERT = "ON CONFLICT (backfill_id, asset_key, partition_key) DO UPDATE SET status = EXCLUDED.status, run_id = EXCLUDED.run_id, error = EXCLUDED.error, updated_at = EXCLUDED.updated_at";

/** The backfills part of a Postgres store (`ops` is shared with its other parts). */
export function postgresBackfillStore({ op, tx }: PgOps): BackfillStore {
  return {
    createBackfill: (b, partitions) =>
      tx("create backfill", async (q) => {
        const [dup] = await q.unsafe("SELECT 1 FROM backfills WHERE backfill_id = $1", [b.backfillId]);
        if (dup) throw new StateStoreError(`Cannot create backfill "${b.backfillId}": a backfill with this id exists`);
        await q.unsafe("INSERT INTO backfills VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)", [
          b.backfillId, b.status, b.selection, b.partitions, b.pid, b.host, b.createdAt, b.updatedAt, b.cancelRequested, JSON.stringify(b.options),
        ]);
        await insertRows(q, "backfill_partitions", PARTITION_COLUMNS, lastPerSlot(partitions).map(partitionValues));
      }),
    updateBackfill: (backfillId, patch) =>
      op("update backfill", async (q) => {
        const fields = Object.entries({ status: patch.status, updated_at: patch.updatedAt, cancel_requested: patch.cancelRequested, pid: patch.pid, host: patch.host })
          .filter(([, v]) => v !== undefined);
        const found = fields.length > 0
          ? changed(await q.unsafe(`UPDATE backfills SET ${fields.map(([c], i) => `${c} = $${i + 2}`).join(", ")} WHERE backfill_id = $1`, [backfillId, ...fields.map(([, v]) => v)]))
          : (await q.unsafe("SELECT 1 FROM backfills WHERE backfill_id = $1", [backfillId])).length;
        if (found === 0) throw new StateStoreError(`Cannot update backfill "${backfillId}": no such backfill`);
      }),
    updateBackfillPartitions: (partitions) =>
      partitions.length === 0
        ? Promise.resolve()
        : op("update backfill partitions", async (q) => {
          await insertRows(q, "backfill_partitions", PARTITION_COLUMNS, lastPerSlot(partitions).map(partitionValues), UPSERT);
        }),
    getBackfill: (backfillId) =>
      tx("read backfill", async (q) => {
        const [row] = await q.unsafe("SELECT * FROM backfills WHERE backfill_id = $1", [backfillId]);
        if (!row) return null;
        const parts = await q.unsafe("SELECT * FROM backfill_partitions WHERE backfill_id = $1 ORDER BY asset_key COLLATE \"C\", partition_key COLLATE \"C\"", [backfillId]);
        return { backfill: toBackfill(row), partitions: parts.map(toBackfillPartition) };
      }),
    listBackfills: (options = {}) =>
      op("list backfills", async (q) => {
        const limit = options.limit === undefined ? "" : ` LIMIT ${clampLimit(options.limit)}`;
        return (await q.unsafe(`SELECT * FROM backfills ORDER BY created_at DESC, backfill_id COLLATE "C" DESC${limit}`)).map(toBackfill);
      }),
    countBackfillPartitions: (backfillIds) =>
      backfillIds.length === 0
        ? Promise.resolve(new Map())
        : op("count backfill partitions", async (q) => {
          const found = await q.unsafe("SELECT backfill_id, status, count(*) AS n FROM backfill_partitions WHERE backfill_id = ANY($1::text[]) GROUP BY backfill_id, status", [[...backfillIds]]);
          const pairs = new Map<string, [BackfillPartitionStatus, number][]>(backfillIds.map((id) => [id, []]));
          for (const r of found) pairs.get(String(r.backfill_id))?.push([String(r.status) as BackfillPartitionStatus, Number(r.n)]);
          return new Map([...pairs].map(([id, list]) => [id, tallyBackfill(list)]));
        }),
  };
}

function lastPerSlot(partitions: readonly BackfillPartitionRecord[]): BackfillPartitionRecord[] {
  return [...new Map(partitions.map((p) => [`${p.backfillId}\u0000${p.assetKey}\u0000${p.partitionKey}`, p])).values()];
}

const partitionValues = (p: BackfillPartitionRecord): unknown[] => [p.backfillId, p.assetKey, p.partitionKey, p.status, p.runId, p.error, p.updatedAt];

function toBackfill(r: PgRow): BackfillRecord {
  return {
    backfillId: String(r.backfill_id), status: String(r.status) as BackfillRecord["status"], selection: String(r.selection),
    partitions: String(r.partitions), pid: Number(r.pid), host: String(r.host), createdAt: Number(r.created_at),
    updatedAt: Number(r.updated_at), cancelRequested: Boolean(r.cancel_requested), options: JSON.parse(String(r.options)) as Record<string, unknown>,
  };
}

function toBackfillPartition(r: PgRow): BackfillPartitionRecord {
  return {
    backfillId: String(r.backfill_id), assetKey: String(r.asset_key), partitionKey: String(r.partition_key),
    status: String(r.status) as BackfillPartitionRecord["status"], runId: r.run_id === null ? null : String(r.run_id),
    error: r.error === null ? null : String(r.error), updatedAt: Number(r.updated_at),
  };
}
