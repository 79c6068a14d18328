/** `BackfillStore` in memory: the backfills part of the in-memory twin (memory-store.ts). */
import { StateStoreError } from "../../core/errors.ts";
import type { BackfillPartitionRecord, BackfillRecord } from "../../core/types.ts";
import type { BackfillStore } from "../../core/state-store.ts";
import { byKey, copy, type OpenCheck } from "./_memory.ts";
import { clampLimit, slotKey, tallyBackfill } from "./_records.ts";

export interface BackfillTables {
  backfills: Map<string, BackfillRecord>;
  /** Backfill id → slot (asset, partition) → record. */
  partitions: Map<string, Map<string, BackfillPartitionRecord>>;
}

export const createBackfillTables = (): BackfillTables => ({ backfills: new Map(), partitions: new Map() });

/** The backfills part of an in-memory store, over its tables; `open` throws once the store is closed. */
export function memoryBackfillStore({ backfills, partitions: backfillParts }: BackfillTables, open: OpenCheck): BackfillStore {
  /** Upsert partition records (already copied) by backfill, asset and partition. */
  const putPartitions = (parts: readonly BackfillPartitionRecord[]) => {
    for (const part of parts) {
      const slots = backfillParts.get(part.backfillId) ?? new Map<string, BackfillPartitionRecord>();
      backfillParts.set(part.backfillId, slots);
      slots.set(slotKey(part), part);
    }
  };
  return {
    async createBackfill(backfill, partitions) {
      open("create backfill");
      if (backfills.has(backfill.backfillId)) throw new StateStoreError(`Cannot create backfill "${backfill.backfillId}": a backfill with this id exists`);
      const parts = copy(partitions);
      backfills.set(backfill.backfillId, copy(backfill));
      backfillParts.set(backfill.backfillId, new Map());
      putPartitions(parts);
    },
    async updateBackfill(backfillId, patch) {
      open("update backfill");
      const backfill = backfills.get(backfillId);
      if (!backfill) throw new StateStoreError(`Cannot update backfill "${backfillId}": no such backfill`);
      for (const field of ["status", "updatedAt", "cancelRequested", "pid", "host"] as const) {
        if (patch[field] !== undefined) Object.assign(backfill, { [field]: patch[field] });
      }
    },
    async updateBackfillPartitions(partitions) {
      open("update backfill partitions");
      putPartitions(copy(partitions));
    },
    async getBackfill(backfillId) {
      open("read backfill");
      const backfill = backfills.get(backfillId);
      if (!backfill) return null;
      const partitions = [...(backfillParts.get(backfillId)?.values() ?? [])].sort(byKey);
      return copy({ backfill, partitions });
    },
    async listBackfills(options = {}) {
      open("list backfills");
      const sorted = [...backfills.values()].sort((a, b) => b.createdAt - a.createdAt || (a.backfillId < b.backfillId ? 1 : a.backfillId > b.backfillId ? -1 : 0));
      return copy(options.limit === undefined ? sorted : sorted.slice(0, clampLimit(options.limit)));
    },
    async countBackfillPartitions(backfillIds) {
      open("count backfill partitions");
      return new Map(backfillIds.map((id) => [id, tallyBackfill([...(backfillParts.get(id)?.values() ?? [])].map((p) => [p.status, 1] as const))]));
    },
  };
}
