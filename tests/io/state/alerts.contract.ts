/**
 * The `AlertStore` contract: incidents (one open per key, opened and resolved atomically) and alert
 * deliveries. Every implementation runs it (through `testStateStore`, store.contract.ts).
 */
import { describe, expect, test } from "bun:test";
import { incidentKey, type IncidentCandidate } from "../../../core/alerts/index.ts";
import type { MaybePromise } from "../../../core/types.ts";
import type { AlertStore, CrossCuttingStore } from "../../../core/state-store.ts";
import { freshStores } from "./fresh-stores.ts";

export type AlertStoreFixture = AlertStore & Pick<CrossCuttingStore, "close">;

/** A run-failure incident candidate of `asset` with overridable fields. */
export function makeCandidate(incidentId: string, asset: string, patch: Partial<IncidentCandidate> = {}): IncidentCandidate & { incidentId: string } {
  return {
    incidentId, key: incidentKey("run_failure", { assetKey: asset }), kind: "run_failure", assetKey: asset, partitionKey: null, checkName: null,
    instigator: null, runId: "r1", message: "boom", openedAt: 1000, ...patch,
  };
}

export function testAlertStore(name: string, create: () => MaybePromise<AlertStoreFixture>): void {
  describe(`${name} satisfies the AlertStore contract`, () => {
    const fresh = freshStores(create);

    test("observeIncidents() opens an incident once per key until it is resolved, then again", async () => {
      const store = await fresh();
      const first = await store.observeIncidents({ open: [makeCandidate("i1", "orders"), makeCandidate("i1b", "orders")], resolve: [], at: 1000, resolvedBy: null });
      expect(first.opened.map((i) => i.incidentId)).toEqual(["i1"]);
      expect(first.opened[0]).toMatchObject({ assetKey: "orders", resolvedAt: null, resolvedBy: null, message: "boom" });
      const again = await store.observeIncidents({ open: [makeCandidate("i2", "orders", { runId: "r2" })], resolve: [], at: 2000, resolvedBy: null });
      expect(again).toEqual({ opened: [], resolved: [] });
      const fixed = await store.observeIncidents({ open: [], resolve: [incidentKey("run_failure", { assetKey: "orders" }), incidentKey("run_failure", { assetKey: "other" })], at: 3000, resolvedBy: "run r3" });
      expect(fixed.opened).toEqual([]);
      expect(fixed.resolved.map((i) => [i.incidentId, i.resolvedAt, i.resolvedBy])).toEqual([["i1", 3000, "run r3"]]);
      expect((await store.observeIncidents({ open: [], resolve: [incidentKey("run_failure", { assetKey: "orders" })], at: 3500, resolvedBy: "run r4" })).resolved).toEqual([]);
      const next = await store.observeIncidents({ open: [makeCandidate("i3", "orders", { openedAt: 4000 })], resolve: [], at: 4000, resolvedBy: null });
      expect(next.opened.map((i) => i.incidentId)).toEqual(["i3"]);
      expect((await store.listIncidents()).map((i) => [i.incidentId, i.resolvedAt])).toEqual([["i3", null], ["i1", 3000]]);
      expect((await store.listIncidents({ open: true })).map((i) => i.incidentId)).toEqual(["i3"]);
      expect((await store.listIncidents({ limit: 1 })).map((i) => i.incidentId)).toEqual(["i3"]);
    });

    test("observeIncidents() keeps open a key it is asked both to open and to resolve, and keeps every field", async () => {
      const store = await fresh();
      const check = makeCandidate("c1", "orders", { key: incidentKey("check_failure", { assetKey: "orders", checkName: "unique(id)" }), kind: "check_failure", checkName: "unique(id)", partitionKey: "2024-01-01, 2024-01-02" });
      const sensor = makeCandidate("s1", "x", { key: incidentKey("sensor_failure", { instigator: "files" }), kind: "sensor_failure", assetKey: null, instigator: "files", runId: null });
      await store.observeIncidents({ open: [check, sensor], resolve: [check.key], at: 1000, resolvedBy: "run r1" });
      const { incidentId: _, ...rest } = check;
      expect(await store.listIncidents({ open: true })).toEqual([
        { ...rest, incidentId: "c1", resolvedAt: null, resolvedBy: null },
        { ...sensor, resolvedAt: null, resolvedBy: null },
      ].sort((a, b) => (a.incidentId < b.incidentId ? 1 : -1)));
    });

    test("recordAlertDeliveries() and listAlertDeliveries() keep deliveries per incident, oldest first", async () => {
      const store = await fresh();
      const d = (incidentId: string, at: number, status: "sent" | "failed") =>
        ({ incidentId, alert: "slack", target: "webhook" as const, event: "opened" as const, status, attempts: status === "sent" ? 1 : 3, error: status === "sent" ? null : "HTTP 500", at });
      await store.recordAlertDeliveries([d("i1", 2000, "failed"), d("i2", 1000, "sent")]);
      await store.recordAlertDeliveries([]);
      expect((await store.listAlertDeliveries()).map((x) => x.incidentId)).toEqual(["i2", "i1"]);
      expect(await store.listAlertDeliveries({ incidentIds: ["i1"] })).toEqual([d("i1", 2000, "failed")]);
      expect(await store.listAlertDeliveries({ incidentIds: [] })).toEqual([]);
    });
  });
}
