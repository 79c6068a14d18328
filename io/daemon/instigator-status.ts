/** Start or stop a schedule or sensor (`dagx schedules|sensors start|stop`, the UI): the daemon honours the recorded status. */
import type { InstigatorStore } from "../../core/state-store.ts";

/**
 * Record `status` for the schedule or sensor `name` (its record created first when it has none). A
 * schedule started again does not catch up the ticks that fell while it was stopped.
 */
export async function setInstigatorStatus(store: InstigatorStore, kind: "schedule" | "sensor", name: string, status: "running" | "stopped", now: number): Promise<void> {
  await store.ensureInstigators([{ name, kind, status: "running", createdAt: now, lastTickAt: null, cursor: null, data: {}, updatedAt: now }]);
  const before = (await store.listInstigators()).find((s) => s.name === name);
  const resumed = kind === "schedule" && status === "running" && before?.status === "stopped";
  await store.updateInstigator(name, { status, updatedAt: now, ...(resumed ? { lastTickAt: Math.max(before.lastTickAt ?? 0, now) } : {}) });
}
