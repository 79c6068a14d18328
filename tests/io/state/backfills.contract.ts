/**
 * The `BackfillStore` contract: create / update / upsert partitions / get / list / count. Every
 * implementation runs it (through `testStateStore`, store.contract.ts); a new backend can run it
 * alone while it implements this part.
 */
import { describe, expect, test } from "bun:test";
import { StateStoreError } from "../../../core/errors.ts";
import type { BackfillPartitionRecord, BackfillRecord, MaybePromise } from "../../../core/types.ts";
import type { BackfillStore, CrossCuttingStore } from "../../../core/state-store.ts";
import { freshStores } from "./fresh-stores.ts";

/** What the suite needs: the part and `close`. */
export type BackfillStoreFixture = BackfillStore & Pick<CrossCuttingStore, "close">;

/** A backfill record with overridable fields. */
export function makeBackfill(backfillId: string, patch: Partial<BackfillRecord> = {}): BackfillRecord {
  return {
    backfillId, status: "running", selection: "orders+", partitions: "2024-01..2024-03", pid: 4242, host: "h",
    createdAt: 1000, updatedAt: 1000, cancelRequested: false, options: { concurrency: 4, tags: ["x"] }, ...patch,
  };
}

/** A backfill partition record with overridable fields. */
export function makeBackfillPartition(backfillId: string, assetKey: string, partitionKey: string, patch: Partial<BackfillPartitionRecord> = {}): BackfillPartitionRecord {
  return { backfillId, assetKey, partitionKey, status: "pending", runId: null, error: null, updatedAt: 1000, ...patch };
}

/** Register the BackfillStore tests for one implementation; `create` returns a fresh, empty store. */
export function testBackfillStore(name: string, create: () => MaybePromise<BackfillStoreFixture>): void {
  describe(`${name} satisfies the BackfillStore contract`, () => {
    const fresh = freshStores(create);

    test("createBackfill() then getBackfill() round-trips; partitions come by asset, then partition key", async () => {
      const store = await fresh();
      const parts = [
        makeBackfillPartition("b1", "orders", "2024-01-02"),
        makeBackfillPartition("b1", "analytics/rev", "2024-01-01", { status: "failed", runId: "r9", error: "boom" }),
        makeBackfillPartition("b1", "orders", "2024-01-01", { status: "success", runId: "r8" }),
      ];
      await store.createBackfill(makeBackfill("b1"), parts);
      expect(await store.getBackfill("b1")).toEqual({ backfill: makeBackfill("b1"), partitions: [parts[1], parts[2], parts[0]] as BackfillPartitionRecord[] });
      expect(await store.getBackfill("nope")).toBeNull();
    });

    test("createBackfill() rejects a duplicate id with StateStoreError and keeps the first", async () => {
      const store = await fresh();
      await store.createBackfill(makeBackfill("b1"), []);
      await expect(store.createBackfill(makeBackfill("b1", { selection: "other" }), [makeBackfillPartition("b1", "a", "p")])).rejects.toBeInstanceOf(StateStoreError);
      expect(await store.getBackfill("b1")).toEqual({ backfill: makeBackfill("b1"), partitions: [] });
    });

    test("updateBackfill() patches only the given fields and rejects unknown ids", async () => {
      const store = await fresh();
      await store.createBackfill(makeBackfill("b1"), []);
      await store.updateBackfill("b1", { cancelRequested: true, updatedAt: 1500 });
      await store.updateBackfill("b1", { status: "canceled", pid: 7, host: "other" });
      await store.updateBackfill("b1", {});
      expect((await store.getBackfill("b1"))?.backfill).toEqual(
        makeBackfill("b1", { cancelRequested: true, updatedAt: 1500, status: "canceled", pid: 7, host: "other" }),
      );
      await expect(store.updateBackfill("nope", { status: "failed" })).rejects.toBeInstanceOf(StateStoreError);
      await expect(store.updateBackfill("nope", {})).rejects.toBeInstanceOf(StateStoreError);
    });

    test("updateBackfillPartitions() upserts by (backfill, asset, partition)", async () => {
      const store = await fresh();
      await store.createBackfill(makeBackfill("b1"), [makeBackfillPartition("b1", "a", "p1"), makeBackfillPartition("b1", "a", "p2")]);
      await store.createBackfill(makeBackfill("b2"), [makeBackfillPartition("b2", "a", "p1")]);
      await store.updateBackfillPartitions([
        makeBackfillPartition("b1", "a", "p1", { status: "failed", runId: "r1", error: "first", updatedAt: 2000 }),
        makeBackfillPartition("b1", "a", "p1", { status: "success", runId: "r2", updatedAt: 2001 }),
        makeBackfillPartition("b1", "b", "p1", { status: "skipped", updatedAt: 2002 }),
      ]);
      await store.updateBackfillPartitions([]);
      expect((await store.getBackfill("b1"))?.partitions).toEqual([
        makeBackfillPartition("b1", "a", "p1", { status: "success", runId: "r2", updatedAt: 2001 }),
        makeBackfillPartition("b1", "a", "p2"),
        makeBackfillPartition("b1", "b", "p1", { status: "skipped", updatedAt: 2002 }),
      ]);
      expect((await store.getBackfill("b2"))?.partitions).toEqual([makeBackfillPartition("b2", "a", "p1")]);
    });

    test("updateBackfillPartitions() handles 1,000 partitions in one call", async () => {
      const store = await fresh();
      const parts = Array.from({ length: 1000 }, (_, i) => makeBackfillPartition("b1", "a", `p${String(i).padStart(4, "0")}`));
      await store.createBackfill(makeBackfill("b1"), parts);
      const done = parts.map((p) => ({ ...p, status: "success" as const, runId: "r1" }));
      await store.updateBackfillPartitions(done);
      expect((await store.getBackfill("b1"))?.partitions).toEqual(done);
    });

    test("listBackfills() returns newest first and honours limit", async () => {
      const store = await fresh();
      for (const [id, at] of [["a", 3], ["b", 1], ["c", 2]] as const) await store.createBackfill(makeBackfill(id, { createdAt: at }), []);
      expect((await store.listBackfills()).map((b) => b.backfillId)).toEqual(["a", "c", "b"]);
      expect((await store.listBackfills({ limit: 2 })).map((b) => b.backfillId)).toEqual(["a", "c"]);
      expect(await store.listBackfills({ limit: 0 })).toEqual([]);
    });

    test("countBackfillPartitions() counts recorded statuses per backfill; an unknown id counts zero", async () => {
      const store = await fresh();
      const statuses = ["success", "success", "failed", "pending", "skipped", "canceled", "canceled"] as const;
      await store.createBackfill(makeBackfill("b1"), statuses.map((status, i) => makeBackfillPartition("b1", "a", `p${i}`, { status })));
      await store.createBackfill(makeBackfill("b2"), [makeBackfillPartition("b2", "a", "p1", { status: "success" })]);
      const counts = await store.countBackfillPartitions(["b1", "b2", "nope"]);
      expect(counts.get("b1")).toEqual({ total: 7, success: 2, failed: 1, pending: 1, skipped: 1, canceled: 2 });
      expect(counts.get("b2")).toEqual({ total: 1, success: 1, failed: 0, pending: 0, skipped: 0, canceled: 0 });
      expect(counts.get("nope")).toEqual({ total: 0, success: 0, failed: 0, pending: 0, skipped: 0, canceled: 0 });
      expect((await store.countBackfillPartitions([])).size).toBe(0);
    });

    test("backfill methods reject with StateStoreError after close()", async () => {
      const store = await fresh();
      await store.close();
      await expect(store.listBackfills()).rejects.toBeInstanceOf(StateStoreError);
      await expect(store.createBackfill(makeBackfill("b1"), [])).rejects.toBeInstanceOf(StateStoreError);
      await expect(store.countBackfillPartitions(["b1"])).rejects.toBeInstanceOf(StateStoreError);
    });
  });
}
