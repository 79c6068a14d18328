/**
 * The `StateStore` contract: every implementation (DuckDB file, in-memory twin) runs this suite,
 * which registers the suite of each part — runs.contract.ts, materializations.contract.ts,
 * backfills.contract.ts, instigators.contract.ts, alerts.contract.ts — and tests what spans them (`write` of events
 * and materializations together, `gc` across all parts, `close`).
 * Usage: `testStateStore("createMemoryStateStore()", () => createMemoryStateStore())`.
 */
import { describe, expect, test } from "bun:test";
import { StateStoreError } from "../../../core/errors.ts";
import type { MaybePromise } from "../../../core/types.ts";
import { CODE_VERSION_SCHEME, type StateStore } from "../../../core/state-store.ts";
import { testAlertStore } from "./alerts.contract.ts";
import { testBackfillStore } from "./backfills.contract.ts";
import { freshStores } from "./fresh-stores.ts";
import { testInstigatorStore } from "./instigators.contract.ts";
import { makeCheckResult } from "./checks.contract.ts";
import { makeMaterialization, testMaterializationStore } from "./materializations.contract.ts";
import { makeEvent, makeRun, testRunStore } from "./runs.contract.ts";

/** Register the contract tests for one implementation; `create` returns a fresh, empty store. */
export function testStateStore(name: string, create: () => MaybePromise<StateStore>): void {
  describe(`${name} satisfies the StateStore contract`, () => {
    const fresh = freshStores(create);

    test("write() handles 1,000 partitions of one asset in one batch, nulls mixed in", async () => {
      const store = await fresh();
      const mats = Array.from({ length: 1000 }, (_, i) =>
        makeMaterialization("big", { partitionKey: `p${String(i).padStart(4, "0")}`, rows: i % 3 ? i : null, schema: i % 2 ? null : [{ name: "n", type: "INTEGER" }] }),
      );
      await store.write({ materializations: mats, events: mats.map((m, i) => makeEvent("r1", i + 1, { type: "materialization", assetKey: "big", partitionKey: m.partitionKey })) });
      expect(await store.latestMaterializations(["big"])).toEqual(mats);
      expect((await store.getEvents("r1")).length).toBe(1000);
    });

    test("materializationHistory() and checkHistory(): one asset's rows, every partition, newest first, at most `limit`", async () => {
      const store = await fresh();
      await store.write({
        materializations: [
          makeMaterialization("a", { at: 1000, runId: "r1" }),
          makeMaterialization("a", { at: 3000, runId: "r3", partitionKey: "p" }),
          makeMaterialization("a", { at: 2000, runId: "r2" }),
          makeMaterialization("b", { at: 4000, runId: "r4" }),
        ],
      });
      expect((await store.materializationHistory("a", 10)).map((m) => m.runId)).toEqual(["r3", "r2", "r1"]);
      expect((await store.materializationHistory("a", 2)).map((m) => m.runId)).toEqual(["r3", "r2"]);
      expect(await store.materializationHistory("none", 10)).toEqual([]);
      await store.recordCheckResults([makeCheckResult("a", "rows", { at: 10, runId: "r1" }), makeCheckResult("a", "rows", { at: 30, runId: "r3" }), makeCheckResult("a", "nn", { at: 20, runId: "r2" }), makeCheckResult("b", "rows", { at: 40 })]);
      expect((await store.checkHistory("a", 10)).map((c) => [c.checkName, c.runId])).toEqual([["rows", "r3"], ["nn", "r2"], ["rows", "r1"]]);
      expect((await store.checkHistory("a", 1)).length).toBe(1);
    });

    test("changeMarks(): a topic's mark moves when what it shows changes, and only then", async () => {
      const store = await fresh();
      const first = await store.changeMarks();
      const same = await store.changeMarks();
      if (first !== null) expect(same).toEqual(first); // null: nothing recorded yet (a file not made)
      await store.createRun(makeRun("r1"));
      await store.write({ events: [makeEvent("r1", 1), makeEvent("r1", 2)] });
      const running = (await store.changeMarks())!;
      expect(running.events.get("r1")).toBe(2);
      if (first) expect(running.runs).not.toBe(first.runs);
      await store.write({ materializations: [makeMaterialization("a", { at: 5000, runId: "r1" })] });
      const stored = (await store.changeMarks())!;
      expect(stored.assets).not.toBe(running.assets);
      expect([stored.runs, stored.backfills, stored.instigators, stored.alerts]).toEqual([running.runs, running.backfills, running.instigators, running.alerts]);
      await store.updateRun("r1", { status: "success", endedAt: 6000 });
      const ended = (await store.changeMarks())!;
      expect(ended.runs).not.toBe(stored.runs);
      expect(ended.events.size).toBe(0); // only running runs are tailed
    });

    test("write() is all or nothing when one record cannot be stored", async () => {
      const store = await fresh();
      const bad = makeMaterialization("b", { metadata: { n: 1n } as unknown as Record<string, unknown> });
      await expect(store.write({ events: [makeEvent("r1", 1)], materializations: [makeMaterialization("a"), bad] })).rejects.toThrow();
      expect(await store.getEvents("r1")).toEqual([]);
      expect(await store.latestMaterializations()).toEqual([]);
    });

    test("gc(before, { dryRun: true }) counts exactly what gc(before) then removes, and removes nothing", async () => {
      const store = await fresh();
      await store.createRun(makeRun("old", { status: "success", endedAt: 1500 }));
      await store.createRun(makeRun("new", { status: "success", endedAt: 9000 }));
      await store.createRun(makeRun("live"));
      await store.write({
        events: [makeEvent("old", 1), makeEvent("old", 2), makeEvent("new", 1)],
        materializations: [makeMaterialization("a", { at: 1000, runId: "old" }), makeMaterialization("a", { at: 1200, runId: "old" }), makeMaterialization("a", { at: 9000, runId: "new" }), makeMaterialization("b", { at: 1000, runId: "old" })],
      });
      const dry = await store.gc(5000, { dryRun: true });
      expect(dry).toMatchObject({ runs: 1, events: 2, materializations: 2 });
      expect(await store.gc(5000, { dryRun: true })).toEqual(dry);
      expect((await store.listRuns()).length).toBe(3);
      expect(await store.gc(5000)).toEqual(dry);
      expect(await store.gc(5000, { dryRun: true })).toMatchObject({ runs: 0, events: 0, materializations: 0 });
      expect((await store.listRuns()).map((r) => r.runId).sort()).toEqual(["live", "new"]);
    });

    test("adoptCodeVersions(): a new store is at this build's scheme already", async () => {
      const store = await fresh();
      expect(await store.adoptCodeVersions(CODE_VERSION_SCHEME, () => [{ assetKey: "a", codeVersion: "x", legacy: ["y"] }], 1)).toBeNull();
    });

    test("adoptCodeVersions() moves latest rows whose version is a legacy one to today's, leaves the others and the history, and runs once", async () => {
      const store = await fresh();
      const S = CODE_VERSION_SCHEME + 1; // a scheme after the store's
      const history = [
        makeMaterialization("a", { partitionKey: "p1", codeVersion: "old-a", at: 1000 }),
        makeMaterialization("a", { partitionKey: "p1", codeVersion: "old-a", at: 2000, runId: "r2" }),
        makeMaterialization("a", { partitionKey: "p2", codeVersion: "edited", at: 2000 }),
        makeMaterialization("b", { codeVersion: "old-b2", at: 2000 }),
        makeMaterialization("c", { codeVersion: "7", at: 2000 }),
      ];
      await store.write({ materializations: history });
      let asked = 0;
      const candidates = () => {
        asked++;
        return [
          { assetKey: "a", codeVersion: "new-a", legacy: ["old-a", "old-a-abs"] },
          { assetKey: "b", codeVersion: "new-b", legacy: ["old-b1", "old-b2"] },
          { assetKey: "c", codeVersion: "7", legacy: [] },
        ];
      };
      expect(await store.adoptCodeVersions(S, candidates, 5000)).toBe(2);
      const latest = await store.latestMaterializations();
      expect(latest.map((m) => [m.assetKey, m.partitionKey, m.codeVersion, m.runId])).toEqual([
        ["a", "p1", "new-a", "r2"],
        ["a", "p2", "edited", "r1"], // a real code change stays one
        ["b", "", "new-b", "r1"],
        ["c", "", "7", "r1"],
      ]);
      // everything else of each row as it was
      expect(latest[0]).toEqual({ ...history[1]!, codeVersion: "new-a" });
      // once: the scheme is recorded, candidates are not asked again
      expect(await store.adoptCodeVersions(S, candidates, 6000)).toBeNull();
      expect(await store.adoptCodeVersions(S - 1, candidates, 6000)).toBeNull();
      expect(asked).toBe(1);
      // a later scheme adopts again from the current rows
      expect(await store.adoptCodeVersions(S + 1, () => [{ assetKey: "a", codeVersion: "newer-a", legacy: ["new-a"] }], 7000)).toBe(1);
    });

    test("close() makes later calls of every part reject with StateStoreError", async () => {
      const store = await fresh();
      await store.close();
      await expect(store.listRuns()).rejects.toBeInstanceOf(StateStoreError);
      await expect(store.partitionSummary("a", "cv1")).rejects.toBeInstanceOf(StateStoreError);
      await expect(store.listBackfills()).rejects.toBeInstanceOf(StateStoreError);
      await expect(store.listInstigators()).rejects.toBeInstanceOf(StateStoreError);
      await expect(store.write({ events: [makeEvent("r1", 1)] })).rejects.toBeInstanceOf(StateStoreError);
      await expect(store.gc(0)).rejects.toBeInstanceOf(StateStoreError);
      await expect(store.adoptCodeVersions(2, () => [], 0)).rejects.toBeInstanceOf(StateStoreError);
    });
  });

  testRunStore(name, create);
  testMaterializationStore(name, create);
  testBackfillStore(name, create);
  testInstigatorStore(name, create);
  testAlertStore(name, create);
}
