/**
 * The `RunStore` contract: runs, their tags, events (written with the store's `write`) and
 * abandoned-run marking. Every implementation runs it (through `testStateStore`, store.contract.ts);
 * a new backend can run it alone while it implements this part.
 */
import { describe, expect, test } from "bun:test";
import { StateStoreError } from "../../../core/errors.ts";
import type { EventRecord, MaybePromise, RunRecord } from "../../../core/types.ts";
import type { CrossCuttingStore, RunStore } from "../../../core/state-store.ts";
import { freshStores } from "./fresh-stores.ts";

/** What the suite needs: the part, `write` (events get in only that way) and `close`. */
export type RunStoreFixture = RunStore & Pick<CrossCuttingStore, "write" | "close">;

/** A run record with overridable fields. */
export function makeRun(runId: string, patch: Partial<RunRecord> = {}): RunRecord {
  return { runId, status: "running", selection: "*", trigger: "cli", pid: 4242, host: "h", startedAt: 1000, endedAt: null, heartbeatAt: 1000, ...patch };
}

/** An event record with overridable fields. */
export function makeEvent(runId: string, seq: number, patch: Partial<EventRecord> = {}): EventRecord {
  return { runId, seq, at: 1000 + seq, type: "log", assetKey: null, partitionKey: null, payload: { message: `event ${seq}` }, ...patch };
}

/** Register the RunStore tests for one implementation; `create` returns a fresh, empty store. */
export function testRunStore(name: string, create: () => MaybePromise<RunStoreFixture>): void {
  describe(`${name} satisfies the RunStore contract`, () => {
    const fresh = freshStores(create);

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

    test("requestRunCancel() flags a running run once, keeps the first time, and leaves finished runs alone", async () => {
      const store = await fresh();
      await store.createRun(makeRun("r1", { tags: { team: "data" } }));
      await store.createRun(makeRun("done", { status: "success", endedAt: 3 }));
      expect(await store.requestRunCancel("r1", 5000)).toEqual(makeRun("r1", { tags: { team: "data" }, cancelRequestedAt: 5000 }));
      // a second request (another terminal, the UI) keeps when it was first asked for
      expect((await store.requestRunCancel("r1", 6000))?.cancelRequestedAt).toBe(5000);
      expect(await store.getRun("r1")).toEqual(makeRun("r1", { tags: { team: "data" }, cancelRequestedAt: 5000 }));
      expect((await store.listRuns({ status: "running" })).map((r) => [r.runId, r.cancelRequestedAt])).toEqual([["r1", 5000]]);
      // a finished run: returned as it is, never flagged
      expect(await store.requestRunCancel("done", 5000)).toEqual(makeRun("done", { status: "success", endedAt: 3 }));
      expect(await store.requestRunCancel("nope", 5000)).toBeNull();
      expect(await store.getRun("nope")).toBeNull();
    });

    test("requestRunCancel(): the flag survives the run's own updates and its end", async () => {
      const store = await fresh();
      await store.createRun(makeRun("r1"));
      await store.requestRunCancel("r1", 5000);
      await store.updateRun("r1", { heartbeatAt: 5500 });
      await store.updateRun("r1", { status: "canceled", endedAt: 5600 });
      expect(await store.getRun("r1")).toEqual(makeRun("r1", { status: "canceled", endedAt: 5600, heartbeatAt: 5500, cancelRequestedAt: 5000 }));
      // an abandoned run is finished too: a late request changes nothing
      await store.createRun(makeRun("dead", { pid: 99 }));
      await store.markAbandoned((run) => run.pid !== 99, 7000);
      expect(await store.requestRunCancel("dead", 8000)).toEqual(makeRun("dead", { pid: 99, status: "abandoned", endedAt: 7000 }));
    });

    test("createRun() keeps a given cancelRequestedAt", async () => {
      const store = await fresh();
      await store.createRun(makeRun("r1", { cancelRequestedAt: 42 }));
      expect(await store.getRun("r1")).toEqual(makeRun("r1", { cancelRequestedAt: 42 }));
    });

    test("run methods reject with StateStoreError after close()", async () => {
      const store = await fresh();
      await store.close();
      await expect(store.listRuns()).rejects.toBeInstanceOf(StateStoreError);
      await expect(store.createRun(makeRun("r1"))).rejects.toBeInstanceOf(StateStoreError);
      await expect(store.getEvents("r1")).rejects.toBeInstanceOf(StateStoreError);
      await expect(store.requestRunCancel("r1", 1)).rejects.toBeInstanceOf(StateStoreError);
    });
  });
}
