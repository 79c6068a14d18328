/**
 * The `StateStore` contract: every implementation (DuckDB file, in-memory twin) runs this suite.
 * Usage: `testStateStore("createMemoryStateStore()", () => createMemoryStateStore())`.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { StateStoreError } from "../../../core/errors.ts";
import type { EventRecord, MaterializationRecord, MaybePromise, RunRecord } from "../../../core/types.ts";
import type { StateStore } from "../../../core/state-store.ts";
import { backfillContractTests } from "./backfills.contract.ts";
import { checkContractTests } from "./checks.contract.ts";
import { instigatorContractTests } from "./instigators.contract.ts";
import { partitionContractTests } from "./partitions.contract.ts";

/** A run record with overridable fields. */
export function makeRun(runId: string, patch: Partial<RunRecord> = {}): RunRecord {
  return { runId, status: "running", selection: "*", trigger: "cli", pid: 4242, host: "h", startedAt: 1000, endedAt: null, heartbeatAt: 1000, ...patch };
}

/** An event record with overridable fields. */
export function makeEvent(runId: string, seq: number, patch: Partial<EventRecord> = {}): EventRecord {
  return { runId, seq, at: 1000 + seq, type: "log", assetKey: null, partitionKey: null, payload: { message: `event ${seq}` }, ...patch };
}

/** A materialization record with overridable fields. */
export function makeMaterialization(assetKey: string, patch: Partial<MaterializationRecord> = {}): MaterializationRecord {
  return {
    assetKey, partitionKey: "", runId: "r1", at: 2000, dataVersion: "dv1", codeVersion: "cv1", inputVersions: { up: "dv0" },
    path: `${assetKey}.parquet`, format: "parquet", rows: 3, bytes: 512, schema: [{ name: "id", type: "BIGINT" }], metadata: { note: "x" }, ...patch,
  };
}

/** Register the contract tests for one implementation; `create` returns a fresh, empty store. */
export function testStateStore(name: string, create: () => MaybePromise<StateStore>): void {
  describe(`${name} satisfies the StateStore contract`, () => {
    let open: StateStore[] = [];
    const fresh = async () => {
      const store = await create();
      open.push(store);
      return store;
    };
    afterEach(async () => {
      await Promise.all(open.map((s) => s.close()));
      open = [];
    });

    test("createRun() then getRun() round-trips every field; unknown id gives null", async () => {
      const store = await fresh();
      await store.createRun(makeRun("r1", { endedAt: 5, pid: 7, selection: "a+", trigger: "schedule:x" }));
      expect(await store.getRun("r1")).toEqual(makeRun("r1", { endedAt: 5, pid: 7, selection: "a+", trigger: "schedule:x" }));
      expect(await store.getRun("nope")).toBeNull();
    });

    test("createRun() rejects a duplicate run id with StateStoreError", async () => {
      const store = await fresh();
      await store.createRun(makeRun("r1"));
      await expect(store.createRun(makeRun("r1"))).rejects.toBeInstanceOf(StateStoreError);
    });

    test("updateRun() patches only the given fields and rejects unknown runs", async () => {
      const store = await fresh();
      await store.createRun(makeRun("r1"));
      await store.updateRun("r1", { heartbeatAt: 1500 });
      await store.updateRun("r1", { status: "success", endedAt: 2000 });
      expect(await store.getRun("r1")).toEqual(makeRun("r1", { status: "success", endedAt: 2000, heartbeatAt: 1500 }));
      await expect(store.updateRun("nope", { status: "failed" })).rejects.toBeInstanceOf(StateStoreError);
    });

    test("listRuns() returns newest first and honours limit", async () => {
      const store = await fresh();
      for (const [id, at] of [["a", 3], ["b", 1], ["c", 2]] as const) await store.createRun(makeRun(id, { startedAt: at }));
      expect((await store.listRuns()).map((r) => r.runId)).toEqual(["a", "c", "b"]);
      expect((await store.listRuns({ limit: 2 })).map((r) => r.runId)).toEqual(["a", "c"]);
    });

    test("createRun() keeps tags and assets; listRuns() filters by status and every given tag before the limit", async () => {
      const store = await fresh();
      await store.createRun(makeRun("a", { startedAt: 3, tags: { team: "data", "dagx/schedule": "nightly" }, assets: ["orders", "x/y"] }));
      await store.createRun(makeRun("b", { startedAt: 2, status: "success", tags: { team: "data" } }));
      await store.createRun(makeRun("c", { startedAt: 1, tags: { team: "web" } }));
      expect(await store.getRun("a")).toEqual(makeRun("a", { startedAt: 3, tags: { team: "data", "dagx/schedule": "nightly" }, assets: ["orders", "x/y"] }));
      expect((await store.listRuns()).map((r) => [r.runId, r.tags ?? null])).toEqual([["a", { "dagx/schedule": "nightly", team: "data" }], ["b", { team: "data" }], ["c", { team: "web" }]]);
      expect((await store.listRuns({ tags: { team: "data" } })).map((r) => r.runId)).toEqual(["a", "b"]);
      expect((await store.listRuns({ tags: { team: "data", "dagx/schedule": "nightly" } })).map((r) => r.runId)).toEqual(["a"]);
      expect((await store.listRuns({ tags: { team: "data" }, limit: 1 })).map((r) => r.runId)).toEqual(["a"]);
      expect((await store.listRuns({ tags: { team: "nobody" } })).map((r) => r.runId)).toEqual([]);
      expect((await store.listRuns({ status: "running" })).map((r) => r.runId)).toEqual(["a", "c"]);
      expect((await store.listRuns({ status: "running", tags: { team: "web" } })).map((r) => r.runId)).toEqual(["c"]);
    });

    test("write() appends events that getEvents() returns in seq order", async () => {
      const store = await fresh();
      await store.write({ events: [makeEvent("r1", 2, { type: "step_started", assetKey: "a/b", partitionKey: "2024-01-01" }), makeEvent("r1", 1)] });
      await store.write({ events: [makeEvent("r1", 3, { payload: { nested: { list: [1, "x", null] } } }), makeEvent("r2", 1)] });
      const events = await store.getEvents("r1");
      expect(events.map((e) => e.seq)).toEqual([1, 2, 3]);
      expect(events[1]).toEqual(makeEvent("r1", 2, { type: "step_started", assetKey: "a/b", partitionKey: "2024-01-01" }));
      expect(events[2]?.payload).toEqual({ nested: { list: [1, "x", null] } });
      expect(await store.getEvents("nope")).toEqual([]);
    });

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

    test("write() handles 1,000 partitions of one asset in one batch, nulls mixed in", async () => {
      const store = await fresh();
      const mats = Array.from({ length: 1000 }, (_, i) =>
        makeMaterialization("big", { partitionKey: `p${String(i).padStart(4, "0")}`, rows: i % 3 ? i : null, schema: i % 2 ? null : [{ name: "n", type: "INTEGER" }] }),
      );
      await store.write({ materializations: mats, events: mats.map((m, i) => makeEvent("r1", i + 1, { type: "materialization", assetKey: "big", partitionKey: m.partitionKey })) });
      expect(await store.latestMaterializations(["big"])).toEqual(mats);
      expect((await store.getEvents("r1")).length).toBe(1000);
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

    test("write() is all or nothing when one record cannot be stored", async () => {
      const store = await fresh();
      const bad = makeMaterialization("b", { metadata: { n: 1n } as unknown as Record<string, unknown> });
      await expect(store.write({ events: [makeEvent("r1", 1)], materializations: [makeMaterialization("a"), bad] })).rejects.toThrow();
      expect(await store.getEvents("r1")).toEqual([]);
      expect(await store.latestMaterializations()).toEqual([]);
    });

    test("markAbandoned() marks dead running runs only and returns their ids", async () => {
      const store = await fresh();
      await store.createRun(makeRun("alive"));
      await store.createRun(makeRun("dead", { pid: 99 }));
      await store.createRun(makeRun("done", { status: "success", endedAt: 3 }));
      const seen: string[] = [];
      const ids = await store.markAbandoned((run) => (seen.push(run.runId), run.pid !== 99), 7000);
      expect(ids).toEqual(["dead"]);
      expect(seen.sort()).toEqual(["alive", "dead"]);
      expect(await store.getRun("dead")).toEqual(makeRun("dead", { pid: 99, status: "abandoned", endedAt: 7000 }));
      expect((await store.getRun("alive"))?.status).toBe("running");
      expect(await store.markAbandoned(() => false, 8000)).toEqual(["alive"]);
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

    test("close() makes later calls reject with StateStoreError", async () => {
      const store = await fresh();
      await store.close();
      await expect(store.listRuns()).rejects.toBeInstanceOf(StateStoreError);
      await expect(store.partitionSummary("a", "cv1")).rejects.toBeInstanceOf(StateStoreError);
      await expect(store.listBackfills()).rejects.toBeInstanceOf(StateStoreError);
    });

    partitionContractTests(fresh);
    backfillContractTests(fresh);
    instigatorContractTests(fresh);
    checkContractTests(fresh);
  });
}
