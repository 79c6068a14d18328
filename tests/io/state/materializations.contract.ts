/**
 * The `MaterializationStore` contract: latest materializations and failures (written with the
 * store's `write`), wipe, confirmed mtimes, and its partition (partitions.contract.ts) and check
 * result (checks.contract.ts) parts. Every implementation runs it (through `testStateStore`,
 * store.contract.ts); a new backend can run it alone while it implements this part.
 */
import { describe, expect, test } from "bun:test";
import { StateStoreError } from "../../../core/errors.ts";
import type { MaterializationRecord, MaybePromise } from "../../../core/types.ts";
import type { CrossCuttingStore, MaterializationStore } from "../../../core/state-store.ts";
import { checkContractTests } from "./checks.contract.ts";
import { freshStores } from "./fresh-stores.ts";
import { partitionContractTests } from "./partitions.contract.ts";
import { stalenessContractTests } from "./staleness.contract.ts";
import { makeEvent } from "./runs.contract.ts";

/** What the suite needs: the part, `write` (materializations and failures get in only that way) and `close`. */
export type MaterializationStoreFixture = MaterializationStore & Pick<CrossCuttingStore, "write" | "close">;

/** A materialization record with overridable fields. */
export function makeMaterialization(assetKey: string, patch: Partial<MaterializationRecord> = {}): MaterializationRecord {
  return {
    assetKey, partitionKey: "", runId: "r1", at: 2000, dataVersion: "dv1", codeVersion: "cv1", inputVersions: { up: "dv0" },
    path: `${assetKey}.parquet`, format: "parquet", rows: 3, bytes: 512, schema: [{ name: "id", type: "BIGINT" }], metadata: { note: "x" }, ...patch,
  };
}

/** Register the MaterializationStore tests for one implementation; `create` returns a fresh, empty store. */
export function testMaterializationStore(name: string, create: () => MaybePromise<MaterializationStoreFixture>): void {
  describe(`${name} satisfies the MaterializationStore contract`, () => {
    const fresh = freshStores(create);

    test("latestMaterializations() returns the newest record per asset and partition", async () => {
      const store = await fresh();
      await store.write({ materializations: [makeMaterialization("a", { at: 1, dataVersion: "old" }), makeMaterialization("a", { at: 2, dataVersion: "new" })] });
      await store.write({ materializations: [makeMaterialization("a", { at: 1, dataVersion: "late-but-older" })] });
      await store.write({ materializations: [makeMaterialization("a", { partitionKey: "p1", rows: null, bytes: null, schema: null, metadata: null })] });
      expect(await store.latestMaterializations()).toEqual([
        makeMaterialization("a", { at: 2, dataVersion: "new" }),
        makeMaterialization("a", { partitionKey: "p1", rows: null, bytes: null, schema: null, metadata: null }),
      ]);
    });

    test("supersededOutputs() lists history rows under a location prefix that no latest row uses, oldest first", async () => {
      const store = await fresh();
      const at = (n: number, partitionKey = "") => makeMaterialization("a", { at: n, partitionKey, path: `s3://b/p/a/${partitionKey}data-${n}.parquet?x=1`, format: "s3" });
      await store.write({ materializations: [at(1), at(2, "k=1/"), makeMaterialization("local", { at: 1 })] });
      await store.write({ materializations: [at(3), makeMaterialization("local", { at: 2 })] });
      await store.write({ materializations: [at(4)] });
      expect((await store.supersededOutputs("s3://")).map((m) => m.at)).toEqual([1, 3]);
      expect(await store.supersededOutputs("gs://")).toEqual([]);
      await store.wipe(["a"]);
      expect(await store.supersededOutputs("s3://")).toEqual([]);
    });

    test("latestMaterializations() lets the later write win a tie on time", async () => {
      const store = await fresh();
      await store.write({ materializations: [makeMaterialization("a", { dataVersion: "first" })] });
      await store.write({ materializations: [makeMaterialization("a", { dataVersion: "second" })] });
      expect((await store.latestMaterializations(["a"])).map((m) => m.dataVersion)).toEqual(["second"]);
    });

    test("latestMaterializations(keys) filters by asset key; [] gives []", async () => {
      const store = await fresh();
      await store.write({ materializations: ["a", "b", "c/d"].map((k) => makeMaterialization(k)) });
      expect((await store.latestMaterializations(["c/d", "a", "zz"])).map((m) => m.assetKey)).toEqual(["a", "c/d"]);
      expect(await store.latestMaterializations([])).toEqual([]);
    });

    test("latestFailures() reports the newest step_failed event per asset and partition", async () => {
      const store = await fresh();
      const failed = (seq: number, at: number, error: string, partitionKey: string | null = null) =>
        makeEvent("r1", seq, { type: "step_failed", at, assetKey: "a", partitionKey, payload: { error } });
      await store.write({ events: [failed(1, 10, "first"), failed(2, 20, "second"), failed(3, 15, "p", "p1"), makeEvent("r1", 4, { assetKey: "b", type: "step_success" })] });
      await store.write({ events: [failed(5, 5, "older, written later")] });
      expect(await store.latestFailures()).toEqual([
        { assetKey: "a", partitionKey: "", runId: "r1", at: 20, error: "second" },
        { assetKey: "a", partitionKey: "p1", runId: "r1", at: 15, error: "p" },
      ]);
      expect(await store.latestFailures(["b"])).toEqual([]);
    });

    test("wipe() forgets materializations and failures of the given assets and partitions", async () => {
      const store = await fresh();
      await store.write({
        materializations: [makeMaterialization("a", { partitionKey: "p1" }), makeMaterialization("a", { partitionKey: "p1", at: 3 }), makeMaterialization("a", { partitionKey: "p2" }), makeMaterialization("b")],
        events: [makeEvent("r1", 1, { type: "step_failed", assetKey: "a", partitionKey: "p1", payload: { error: "e" } })],
      });
      expect(await store.wipe(["a"], ["p1"])).toBe(2);
      expect((await store.latestMaterializations()).map((m) => `${m.assetKey}:${m.partitionKey}`)).toEqual(["a:p2", "b:"]);
      expect(await store.latestFailures()).toEqual([]);
      expect(await store.wipe(["a", "b"])).toBe(2);
      expect(await store.latestMaterializations()).toEqual([]);
      expect(await store.wipe(["a"])).toBe(0);
    });

    test("confirmMtimes() keeps one per asset and partition (an older materialization's never wins); confirmedMtimes(keys) filters; wipe() forgets them", async () => {
      const store = await fresh();
      const m = (assetKey: string, partitionKey: string, at: number, mtimeMs: number) => ({ assetKey, partitionKey, runId: `r${at}`, at, mtimeMs });
      await store.confirmMtimes([m("a", "", 2000, 2500.25), m("a", "p1", 2000, 2600.5), m("b", "", 2000, 9000)]);
      await store.confirmMtimes([m("a", "", 3000, 3500.75)]); // a newer materialization's
      await store.confirmMtimes([m("a", "", 2000, 2700)]); // an older one's: ignored
      await store.confirmMtimes([m("b", "", 2000, 9100)]); // the same one, touched again: replaced
      await store.confirmMtimes([]);
      expect(await store.confirmedMtimes()).toEqual([m("a", "", 3000, 3500.75), m("a", "p1", 2000, 2600.5), m("b", "", 2000, 9100)]);
      expect(await store.confirmedMtimes(["b", "zz"])).toEqual([m("b", "", 2000, 9100)]);
      expect(await store.confirmedMtimes([])).toEqual([]);
      await store.wipe(["a"], ["p1"]);
      expect((await store.confirmedMtimes()).map((r) => `${r.assetKey}:${r.partitionKey}`)).toEqual(["a:", "b:"]);
      await store.wipe(["a", "b"]);
      expect(await store.confirmedMtimes()).toEqual([]);
    });

    test("materialization methods reject with StateStoreError after close()", async () => {
      const store = await fresh();
      await store.close();
      await expect(store.partitionSummary("a", "cv1")).rejects.toBeInstanceOf(StateStoreError);
      await expect(store.latestMaterializations()).rejects.toBeInstanceOf(StateStoreError);
      await expect(store.wipe(["a"])).rejects.toBeInstanceOf(StateStoreError);
    });

    partitionContractTests(fresh);
    stalenessContractTests(fresh);
    checkContractTests(fresh);
  });
}
