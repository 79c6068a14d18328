/**
 * The `InstigatorStore` contract: schedules/sensors/automation state, ticks and run requests.
 * Every implementation runs it (through `testStateStore`, store.contract.ts); a new backend can run
 * it alone while it implements this part.
 */
import { describe, expect, test } from "bun:test";
import { StateStoreError } from "../../../core/errors.ts";
import type { InstigatorState, MaybePromise, RunRequestRecord, TickRecord } from "../../../core/types.ts";
import type { CrossCuttingStore, InstigatorStore } from "../../../core/state-store.ts";
import { freshStores } from "./fresh-stores.ts";

/** What the suite needs: the part and `close`. */
export type InstigatorStoreFixture = InstigatorStore & Pick<CrossCuttingStore, "close">;

/** An instigator state with overridable fields. */
export function makeInstigator(name: string, patch: Partial<InstigatorState> = {}): InstigatorState {
  return { name, kind: "schedule", status: "running", createdAt: 1000, lastTickAt: null, cursor: null, data: {}, updatedAt: 1000, ...patch };
}

/** A tick record with overridable fields. */
export function makeTick(name: string, patch: Partial<TickRecord> = {}): TickRecord {
  return { name, kind: "schedule", tickAt: 2000, evaluatedAt: 2001, status: "requested", reason: null, requestIds: [], ...patch };
}

/** A run request with overridable fields. */
export function makeRequest(requestId: string, patch: Partial<RunRequestRecord> = {}): RunRequestRecord {
  return {
    requestId, source: "daily", kind: "schedule", runKey: `key-${requestId}`, selection: ["orders", "analytics/*"], partitions: null,
    status: "requested", runId: null, reason: null, createdAt: 2001, updatedAt: 2001, ...patch,
  };
}

/** Register the InstigatorStore tests for one implementation; `create` returns a fresh, empty store. */
export function testInstigatorStore(name: string, create: () => MaybePromise<InstigatorStoreFixture>): void {
  describe(`${name} satisfies the InstigatorStore contract`, () => {
    const fresh = freshStores(create);

    test("ensureInstigators() adds unknown names only (the first of repeats) and never changes known ones", async () => {
      const store = await fresh();
      const sensor = makeInstigator("s", { kind: "sensor", status: "stopped", lastTickAt: 5, cursor: "c1", data: { pending: [1, "x", null] } });
      await store.ensureInstigators([makeInstigator("b"), sensor, makeInstigator("b", { createdAt: 9 })]);
      await store.ensureInstigators([makeInstigator("a", { kind: "automation", createdAt: 3000 }), makeInstigator("b", { createdAt: 3000, status: "stopped" })]);
      await store.ensureInstigators([]);
      expect(await store.listInstigators()).toEqual([makeInstigator("a", { kind: "automation", createdAt: 3000 }), makeInstigator("b"), sensor]);
    });

    test("updateInstigator() patches only the given fields (null clears) and rejects unknown names", async () => {
      const store = await fresh();
      await store.ensureInstigators([makeInstigator("s", { kind: "sensor" }), makeInstigator("t")]);
      await store.updateInstigator("s", { status: "stopped", cursor: "c1", data: { a: { b: [1] } } });
      await store.updateInstigator("s", { lastTickAt: 7, updatedAt: 8, data: { c: true } });
      await store.updateInstigator("s", {});
      expect(await store.listInstigators()).toEqual([
        makeInstigator("s", { kind: "sensor", status: "stopped", cursor: "c1", data: { c: true }, lastTickAt: 7, updatedAt: 8 }),
        makeInstigator("t"),
      ]);
      await store.updateInstigator("s", { cursor: null, status: "running" });
      expect((await store.listInstigators())[0]).toMatchObject({ cursor: null, status: "running" });
      await expect(store.updateInstigator("nope", { status: "stopped" })).rejects.toBeInstanceOf(StateStoreError);
      await expect(store.updateInstigator("nope", {})).rejects.toBeInstanceOf(StateStoreError);
    });

    test("recordTick() stores the tick, its new requests and the instigator patch", async () => {
      const store = await fresh();
      await store.ensureInstigators([makeInstigator("daily", { data: { old: 1 } })]);
      const requests = [makeRequest("q1", { partitions: "2024-01-01", reason: "cron" }), makeRequest("q2", { runKey: null, selection: [] })];
      const result = await store.recordTick(makeTick("daily"), requests, { lastTickAt: 2000, cursor: "c2", data: { next: [3] }, updatedAt: 2001 });
      expect(result).toEqual({ created: ["q1", "q2"], duplicates: [] });
      expect(await store.listTicks()).toEqual([makeTick("daily", { requestIds: ["q1", "q2"] })]);
      expect(await store.listRunRequests()).toEqual(requests);
      expect(await store.listInstigators()).toEqual([makeInstigator("daily", { lastTickAt: 2000, cursor: "c2", data: { next: [3] }, updatedAt: 2001 })]);
    });

    test("recordTick() keeps a request's run id, tags and asOf", async () => {
      const store = await fresh();
      const request = makeRequest("q1", { runId: "run-1", tags: { "dagx/schedule": "daily", team: "data" }, asOf: 1_700_000_000_000 });
      await store.recordTick(makeTick("daily"), [request], {});
      expect(await store.listRunRequests()).toEqual([request]);
    });

    test("recordTick() drops requests whose runKey exists (any source, or earlier in the call); null keys never clash", async () => {
      const store = await fresh();
      await store.recordTick(makeTick("daily"), [makeRequest("q1", { runKey: "k1" }), makeRequest("q2", { runKey: null })], {});
      const result = await store.recordTick(
        makeTick("sensor1", { kind: "sensor", tickAt: 3000, evaluatedAt: 3000, requestIds: ["ignored"] }),
        [
          makeRequest("q3", { source: "sensor1", kind: "sensor", runKey: "k1" }),
          makeRequest("q4", { source: "sensor1", kind: "sensor", runKey: null }),
          makeRequest("q5", { source: "sensor1", kind: "sensor", runKey: "k2" }),
          makeRequest("q6", { source: "sensor1", kind: "sensor", runKey: "k2" }),
        ],
        { cursor: "after" },
      );
      expect(result).toEqual({ created: ["q4", "q5"], duplicates: ["k1", "k2"] });
      expect((await store.listTicks({ name: "sensor1" })).map((t) => t.requestIds)).toEqual([["q4", "q5"]]);
      expect((await store.listRunRequests()).map((r) => r.requestId)).toEqual(["q1", "q2", "q4", "q5"]);
      const all = await store.recordTick(makeTick("daily", { tickAt: 4000, evaluatedAt: 4000, status: "skipped" }), [makeRequest("q7", { runKey: "k2" })], {});
      expect(all).toEqual({ created: [], duplicates: ["k2"] });
      expect((await store.listTicks({ name: "daily", limit: 1 }))[0]).toEqual(makeTick("daily", { tickAt: 4000, evaluatedAt: 4000, status: "skipped" }));
    });

    test("recordTick() creates an unknown instigator: running, kind of the tick, createdAt = evaluatedAt, patch applied", async () => {
      const store = await fresh();
      await store.recordTick(makeTick("s", { kind: "sensor", evaluatedAt: 5000, status: "skipped", reason: "nothing new" }), [], { cursor: "c" });
      await store.recordTick(makeTick("t", { kind: "automation", evaluatedAt: 6000 }), [], { updatedAt: 6001, lastTickAt: 5999, data: { x: 1 } });
      expect(await store.listInstigators()).toEqual([
        makeInstigator("s", { kind: "sensor", createdAt: 5000, cursor: "c", updatedAt: 5000 }),
        makeInstigator("t", { kind: "automation", createdAt: 6000, lastTickAt: 5999, data: { x: 1 }, updatedAt: 6001 }),
      ]);
      expect((await store.listTicks({ name: "s" }))[0]).toEqual(makeTick("s", { kind: "sensor", evaluatedAt: 5000, status: "skipped", reason: "nothing new" }));
    });

    test("recordTick() is all or nothing: a failing request or patch leaves no tick, request or cursor behind", async () => {
      const store = await fresh();
      await store.ensureInstigators([makeInstigator("s", { kind: "sensor", cursor: "c0" })]);
      await store.recordTick(makeTick("s"), [makeRequest("q0")], { cursor: "c1" });
      const before = { ticks: await store.listTicks(), requests: await store.listRunRequests(), instigators: await store.listInstigators() };
      const tick = makeTick("s", { tickAt: 3000, evaluatedAt: 3000 });
      // The same requestId twice in one call, and a requestId stored by an earlier tick.
      await expect(store.recordTick(tick, [makeRequest("q1"), makeRequest("q2"), makeRequest("q1", { runKey: "other" })], { cursor: "c2" })).rejects.toBeInstanceOf(StateStoreError);
      await expect(store.recordTick(tick, [makeRequest("q3"), makeRequest("q0", { runKey: "fresh" })], { cursor: "c2" })).rejects.toBeInstanceOf(StateStoreError);
      // Requests and tick are fine, the patch cannot be stored (not JSON): fails after the inserts.
      const bad = { data: { n: 1n } as unknown as Record<string, unknown>, cursor: "c2" };
      await expect(store.recordTick(tick, [makeRequest("q4")], bad)).rejects.toThrow();
      await expect(store.recordTick(makeTick("new"), [makeRequest("q5")], bad)).rejects.toThrow();
      expect({ ticks: await store.listTicks(), requests: await store.listRunRequests(), instigators: await store.listInstigators() }).toEqual(before);
      expect(await store.recordTick(tick, [makeRequest("q1"), makeRequest("q4")], { cursor: "c2" })).toEqual({ created: ["q1", "q4"], duplicates: [] });
    });

    test("listTicks() returns newest first (evaluatedAt, tickAt, then last recorded), by name, with limit", async () => {
      const store = await fresh();
      const ticks = [
        makeTick("a", { tickAt: 1, evaluatedAt: 10, reason: "1" }),
        makeTick("b", { tickAt: 2, evaluatedAt: 30, reason: "2" }),
        makeTick("a", { tickAt: 3, evaluatedAt: 20, reason: "3" }),
        makeTick("a", { tickAt: 4, evaluatedAt: 20, reason: "4" }),
        makeTick("a", { tickAt: 4, evaluatedAt: 20, reason: "5" }),
      ];
      for (const tick of ticks) await store.recordTick(tick, [], {});
      expect((await store.listTicks()).map((t) => t.reason)).toEqual(["2", "5", "4", "3", "1"]);
      expect((await store.listTicks({ name: "a", limit: 2 })).map((t) => t.reason)).toEqual(["5", "4"]);
      expect(await store.listTicks({ name: "zz" })).toEqual([]);
      expect(await store.listTicks({ limit: 0 })).toEqual([]);
    });

    test("listRunRequests() returns queue order (createdAt, then insertion), filtered by status and source, with limit", async () => {
      const store = await fresh();
      await store.recordTick(makeTick("a"), [makeRequest("z1", { source: "a", createdAt: 50 }), makeRequest("y2", { source: "a", createdAt: 10 })], {});
      await store.recordTick(makeTick("b"), [makeRequest("x3", { source: "b", createdAt: 50 }), makeRequest("w4", { source: "b", createdAt: 10, status: "skipped" })], {});
      expect((await store.listRunRequests()).map((r) => r.requestId)).toEqual(["y2", "w4", "z1", "x3"]);
      expect((await store.listRunRequests({ status: "requested" })).map((r) => r.requestId)).toEqual(["y2", "z1", "x3"]);
      expect((await store.listRunRequests({ status: "requested", source: "b" })).map((r) => r.requestId)).toEqual(["x3"]);
      expect((await store.listRunRequests({ source: "a", limit: 1 })).map((r) => r.requestId)).toEqual(["y2"]);
      expect(await store.listRunRequests({ source: "nope" })).toEqual([]);
    });

    test("updateRunRequest() patches only the given fields and rejects unknown ids", async () => {
      const store = await fresh();
      await store.recordTick(makeTick("daily"), [makeRequest("q1"), makeRequest("q2")], {});
      await store.updateRunRequest("q1", { status: "started", runId: "r1", updatedAt: 3000 });
      await store.updateRunRequest("q2", { status: "skipped", reason: "selection is empty" });
      await store.updateRunRequest("q2", {});
      expect(await store.listRunRequests()).toEqual([
        makeRequest("q1", { status: "started", runId: "r1", updatedAt: 3000 }),
        makeRequest("q2", { status: "skipped", reason: "selection is empty" }),
      ]);
      expect((await store.listRunRequests({ status: "requested" })).length).toBe(0);
      await expect(store.updateRunRequest("nope", { status: "started" })).rejects.toBeInstanceOf(StateStoreError);
      await expect(store.updateRunRequest("nope", {})).rejects.toBeInstanceOf(StateStoreError);
    });

    test("instigator methods reject with StateStoreError after close()", async () => {
      const store = await fresh();
      await store.close();
      await expect(store.listInstigators()).rejects.toBeInstanceOf(StateStoreError);
      await expect(store.recordTick(makeTick("a"), [], {})).rejects.toBeInstanceOf(StateStoreError);
      await expect(store.listRunRequests()).rejects.toBeInstanceOf(StateStoreError);
    });
  });
}
