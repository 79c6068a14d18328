/**
 * In-memory twin of duckdb-store.ts for tests, composed the same way: one part per concern —
 * memory-runs.ts, memory-materializations.ts, memory-backfills.ts, memory-instigators.ts, memory-alerts.ts, each
 * owning its tables — plus what spans them (`write`, `gc`, `close`), here. Same contract
 * (tests/io/state/*.contract.ts), no file, no locks. Records go in and out through a JSON round trip,
 * exactly like the DuckDB store (which keeps payloads as JSON text): what is not JSON fails the
 * whole batch, `undefined` vanishes.
 */
import type { FailureRecord, GcCounts, MaterializationRecord } from "../../core/types.ts";
import { type ChangeMarks, CODE_VERSION_SCHEME, type StateStore } from "../../core/state-store.ts";
import { copy, keepNewer, openCheck } from "./_memory.ts";
import { type AlertTables, createAlertTables, memoryAlertStore } from "./memory-alerts.ts";
import { newestPerKey, slotKey, toFailure, withOrdinal } from "./_records.ts";
import { type BackfillTables, createBackfillTables, memoryBackfillStore } from "./memory-backfills.ts";
import { createInstigatorTables, type InstigatorTables, memoryInstigatorStore } from "./memory-instigators.ts";
import { createMaterializationTables, type MaterializationTables, memoryMaterializationStore } from "./memory-materializations.ts";
import { createRunTables, memoryRunStore, type RunTables } from "./memory-runs.ts";

/** A `StateStore` kept in memory; lost when the process ends. */
export function createMemoryStateStore(): StateStore {
  const runs = createRunTables();
  const mats = createMaterializationTables();
  const backfills = createBackfillTables();
  const instigators = createInstigatorTables();
  let closed = false;
  const open = openCheck(() => closed);
  let scheme = CODE_VERSION_SCHEME; // a new store: what it will record is of this build's scheme
  const alerts = createAlertTables();

  return {
    ...memoryRunStore(runs, open),
    ...memoryMaterializationStore(mats, open),
    ...memoryBackfillStore(backfills, open),
    ...memoryInstigatorStore(instigators, open),
    ...memoryAlertStore(alerts, open),
    backend: "memory",

    async changeMarks() {
      open("read change marks");
      return memoryChangeMarks(runs, mats, backfills, instigators, alerts);
    },
    onChange: () => Promise.resolve(null),

    async write({ events = [], materializations = [] }) {
      open("write events");
      // Copy everything first so a bad record (not JSON) leaves the store untouched: all or nothing.
      const eventCopies = copy(events);
      const matCopies = copy(materializations).map(withOrdinal);
      for (const e of eventCopies) runs.events.push(e);
      for (const m of matCopies) mats.history.push(m);
      upsertLatest(mats.latest, matCopies);
      upsertLatest(mats.failures, eventCopies.flatMap((e) => toFailure(e) ?? []));
    },
    async adoptCodeVersions(target, candidates) {
      open("adopt code versions");
      if (scheme >= target) return null;
      let adopted = 0;
      for (const c of candidates()) {
        const legacy = new Set(c.legacy);
        legacy.delete(c.codeVersion);
        for (const [slot, m] of mats.latest) {
          if (m.assetKey !== c.assetKey || !legacy.has(m.codeVersion)) continue;
          mats.latest.set(slot, { ...m, codeVersion: c.codeVersion });
          adopted++;
        }
      }
      scheme = target;
      return adopted;
    },
    async gc(before, options) {
      open("collect garbage");
      return collectGarbage({ runs, mats, backfills, instigators }, before, options?.dryRun ?? false);
    },
    async close() {
      closed = true;
    },
  };
}

function upsertLatest<T extends MaterializationRecord | FailureRecord>(into: Map<string, T>, records: readonly T[]): void {
  for (const record of newestPerKey(records)) keepNewer(into, slotKey(record), record);
}

/** gc over every part's tables: one selection of what goes; a dry run counts it and stops before deleting. */
function collectGarbage(
  { runs, mats, backfills, instigators }: { runs: RunTables; mats: MaterializationTables; backfills: BackfillTables; instigators: InstigatorTables },
  before: number,
  dryRun: boolean,
): GcCounts {
  const { events } = runs;
  const { history, latest } = mats;
  const { ticks, requests } = instigators;
  const oldRuns = new Set([...runs.runs.values()].filter((r) => r.status !== "running" && r.endedAt !== null && r.endedAt < before).map((r) => r.runId));
  const keepEvents = events.filter((e) => !oldRuns.has(e.runId));
  const current = new Set(latest.values());
  const keepHistory = history.filter((m) => m.at >= before || current.has(m) || [...latest.values()].some((l) => l.assetKey === m.assetKey && l.partitionKey === m.partitionKey && l.runId === m.runId && l.at === m.at));
  const keepTicks = ticks.filter((t) => t.evaluatedAt >= before);
  const oldRequests = [...requests].filter(([, r]) => r.status !== "requested" && r.updatedAt < before).map(([id]) => id);
  const oldBackfills = [...backfills.backfills].filter(([, b]) => b.status !== "running" && b.updatedAt < before).map(([id]) => id);
  const counts = {
    runs: oldRuns.size,
    events: events.length - keepEvents.length,
    materializations: history.length - keepHistory.length,
    ticks: ticks.length - keepTicks.length,
    runRequests: oldRequests.length,
    backfills: oldBackfills.length,
  };
  if (dryRun) return counts;
  for (const id of oldRuns) runs.runs.delete(id);
  events.splice(0, events.length, ...keepEvents);
  history.splice(0, history.length, ...keepHistory);
  ticks.splice(0, ticks.length, ...keepTicks);
  for (const id of oldRequests) requests.delete(id);
  for (const id of oldBackfills) (backfills.backfills.delete(id), backfills.partitions.delete(id));
  return counts;
}

/** The memory twin's change marks: counts and newest times per topic (what the DuckDB store's query fingerprints). */
function memoryChangeMarks(runs: RunTables, mats: MaterializationTables, backfills: BackfillTables, instigators: InstigatorTables, alerts: AlertTables): ChangeMarks {
  const newest = (xs: Iterable<{ at: number }>) => Math.max(0, ...[...xs].map((x) => x.at));
  const running = new Set([...runs.runs.values()].filter((r) => r.status === "running").map((r) => r.runId));
  const events = new Map<string, number>();
  for (const e of runs.events) if (running.has(e.runId)) events.set(e.runId, Math.max(events.get(e.runId) ?? 0, e.seq));
  return {
    runs: [...runs.runs.values()].map((r) => `${r.runId}:${r.status}:${r.endedAt ?? ""}`).join(","),
    assets: `${mats.latest.size}:${newest(mats.latest.values())}/${mats.failures.size}:${newest(mats.failures.values())}/${mats.latestChecks.size}:${newest(mats.latestChecks.values())}`,
    backfills: [...backfills.backfills.values()].map((b) => `${b.backfillId}:${b.status}:${b.updatedAt}`).join(",") + `/${[...backfills.partitions.values()].reduce((n, m) => n + [...m.values()].reduce((s, p) => s + p.updatedAt, 0), 0)}`,
    instigators: `${[...instigators.instigators.values()].map((i) => JSON.stringify(i)).join(",")}/${instigators.ticks.length}`,
    alerts: `${alerts.incidents.map((i) => `${i.incidentId}:${i.resolvedAt ?? ""}`).join(",")}/${alerts.deliveries.length}`,
    events,
  };
}
