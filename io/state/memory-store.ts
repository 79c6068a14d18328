/**
 * In-memory twin of io/duckdb-state-store.ts for tests: same contract (tests/io/state-store.contract.ts),
 * no file, no locks. Records go in and out through a JSON round trip, exactly like the DuckDB store
 * (which keeps payloads as JSON text): what is not JSON fails the whole batch, `undefined` vanishes.
 */
import { StateStoreError } from "../../core/errors.ts";
import type {
  BackfillPartitionRecord,
  BackfillRecord,
  CheckResult,
  EventRecord,
  FailureRecord,
  InstigatorState,
  MaterializationRecord,
  OutputMtimeRecord,
  RunRecord,
  RunRequestRecord,
  StateStore,
  TickRecord,
} from "../../core/types.ts";
import {
  INSTIGATOR_FIELDS, RUN_REQUEST_FIELDS, TICK_PATCH_FIELDS, clampLimit, definedFields, firstPerName, instigatorFromTick, planRequests,
} from "./_instigators.ts";
import { checkSlot, newestPerCheck, newestPerKey, slotKey, summarizePartitions, tallyBackfill, toFailure, withOrdinal } from "./_records.ts";

const copy = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

/** A `StateStore` kept in memory; lost when the process ends. */
export function createMemoryStateStore(): StateStore {
  const runs = new Map<string, RunRecord>();
  const events: EventRecord[] = [];
  const history: MaterializationRecord[] = [];
  const latest = new Map<string, MaterializationRecord>();
  const failures = new Map<string, FailureRecord>();
  /** Check results: history in write order, and the newest per (asset, partition, check). */
  const checkHistory: CheckResult[] = [];
  const latestChecks = new Map<string, CheckResult>();
  /** Confirmed output mtimes per (asset, partition). */
  const mtimes = new Map<string, OutputMtimeRecord>();
  /** Dynamic partitions: definition name → keys in insertion order (a Set keeps it). */
  const dynamic = new Map<string, Set<string>>();
  const backfills = new Map<string, BackfillRecord>();
  /** Backfill id → slot (asset, partition) → record. */
  const backfillParts = new Map<string, Map<string, BackfillPartitionRecord>>();
  const instigators = new Map<string, InstigatorState>();
  /** Ticks in the order recorded. */
  const ticks: TickRecord[] = [];
  /** Run requests by id, in insertion order (queue order within one createdAt). */
  const requests = new Map<string, RunRequestRecord>();
  let closed = false;

  const open = (action: string) => {
    if (closed) throw new StateStoreError(`Cannot ${action}: the in-memory state store is closed`);
  };
  const upsert = <T extends MaterializationRecord | FailureRecord>(into: Map<string, T>, records: readonly T[]) => {
    for (const record of newestPerKey(records)) {
      const seen = into.get(slotKey(record));
      if (!seen || record.at >= seen.at) into.set(slotKey(record), record);
    }
  };
  const wanted = (keys: readonly string[] | undefined) => {
    const set = keys ? new Set(keys) : null;
    return (r: { assetKey: string }) => !set || set.has(r.assetKey);
  };
  const byKey = (a: { assetKey: string; partitionKey: string }, b: { assetKey: string; partitionKey: string }) =>
    a.assetKey < b.assetKey ? -1 : a.assetKey > b.assetKey ? 1 : a.partitionKey < b.partitionKey ? -1 : a.partitionKey > b.partitionKey ? 1 : 0;

  /** Upsert partition records (already copied) by backfill, asset and partition. */
  const putBackfillPartitions = (parts: readonly BackfillPartitionRecord[]) => {
    for (const part of parts) {
      const slots = backfillParts.get(part.backfillId) ?? new Map<string, BackfillPartitionRecord>();
      backfillParts.set(part.backfillId, slots);
      slots.set(slotKey(part), part);
    }
  };

  return {
    async createRun(run) {
      open("create run");
      if (runs.has(run.runId)) throw new StateStoreError(`Cannot create run "${run.runId}": a run with this id exists`);
      runs.set(run.runId, copy(run));
    },
    async updateRun(runId, patch) {
      open("update run");
      const run = runs.get(runId);
      if (!run) throw new StateStoreError(`Cannot update run "${runId}": no such run`);
      if (patch.status !== undefined) run.status = patch.status;
      if (patch.endedAt !== undefined) run.endedAt = patch.endedAt;
      if (patch.heartbeatAt !== undefined) run.heartbeatAt = patch.heartbeatAt;
    },
    async write({ events: newEvents = [], materializations = [] }) {
      open("write events");
      // Copy everything first so a bad record (not JSON) leaves the store untouched: all or nothing.
      const eventCopies = copy(newEvents);
      const matCopies = copy(materializations).map(withOrdinal);
      for (const e of eventCopies) events.push(e);
      for (const m of matCopies) history.push(m);
      upsert(latest, matCopies);
      upsert(failures, eventCopies.flatMap((e) => toFailure(e) ?? []));
    },
    async latestMaterializations(keys, options) {
      open("read materializations");
      return copy([...latest.values()].filter(wanted(keys)).filter((m) => !options?.unpartitioned || m.partitionKey === "").sort(byKey));
    },
    async latestFailures(keys, options) {
      open("read failures");
      return copy([...failures.values()].filter(wanted(keys)).filter((f) => !options?.unpartitioned || f.partitionKey === "").sort(byKey));
    },
    async listRuns(options = {}) {
      open("list runs");
      const tagged = (r: RunRecord) => Object.entries(options.tags ?? {}).every(([k, v]) => r.tags?.[k] === v);
      const wanted = [...runs.values()].filter((r) => (options.status === undefined || r.status === options.status) && tagged(r));
      const sorted = wanted.sort((a, b) => b.startedAt - a.startedAt || (a.runId < b.runId ? 1 : a.runId > b.runId ? -1 : 0));
      return copy(options.limit === undefined ? sorted : sorted.slice(0, Math.max(0, Math.floor(options.limit))));
    },
    async getRun(runId) {
      open("read run");
      const run = runs.get(runId);
      return run ? copy(run) : null;
    },
    async getEvents(runId) {
      open("read events");
      return copy(events.filter((e) => e.runId === runId).sort((a, b) => a.seq - b.seq));
    },
    async markAbandoned(isAlive, now) {
      open("mark abandoned runs");
      const running = [...runs.values()].filter((run) => run.status === "running").sort((a, b) => (a.runId < b.runId ? -1 : 1));
      const dead = running.filter((run) => !isAlive(copy(run)));
      for (const run of dead) Object.assign(run, { status: "abandoned", endedAt: now });
      return dead.map((run) => run.runId);
    },
    async latestPartitionMaterializations(assetKey, partitionKeys) {
      open("read partition materializations");
      const found = [...new Set(partitionKeys)].flatMap((partitionKey) => latest.get(slotKey({ assetKey, partitionKey })) ?? []);
      return copy(found.sort(byKey));
    },
    async latestSchemas(assetKey) {
      open("read output schemas");
      const distinct = new Map<string, MaterializationRecord["schema"]>();
      for (const m of latest.values()) if (m.assetKey === assetKey) distinct.set(JSON.stringify(m.schema), m.schema);
      return copy([...distinct.values()]);
    },
    async partitionSummary(assetKey, codeVersion) {
      open("summarize partitions");
      return copy(summarizePartitions([...latest.values()], [...failures.values()], assetKey, codeVersion));
    },
    async listDynamicPartitions(name) {
      open("list dynamic partitions");
      return [...(dynamic.get(name) ?? [])];
    },
    async addDynamicPartitions(name, keys, _now) {
      open("add dynamic partitions");
      const set = dynamic.get(name) ?? new Set<string>();
      const before = set.size;
      for (const key of keys) set.add(key);
      if (set.size > 0) dynamic.set(name, set);
      return set.size - before;
    },
    async removeDynamicPartitions(name, keys) {
      open("remove dynamic partitions");
      const set = dynamic.get(name);
      let removed = 0;
      for (const key of new Set(keys)) if (set?.delete(key)) removed++;
      return removed;
    },
    async createBackfill(backfill, partitions) {
      open("create backfill");
      if (backfills.has(backfill.backfillId)) throw new StateStoreError(`Cannot create backfill "${backfill.backfillId}": a backfill with this id exists`);
      const parts = copy(partitions);
      backfills.set(backfill.backfillId, copy(backfill));
      backfillParts.set(backfill.backfillId, new Map());
      putBackfillPartitions(parts);
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
      putBackfillPartitions(copy(partitions));
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
      return copy(options.limit === undefined ? sorted : sorted.slice(0, Math.max(0, Math.floor(options.limit))));
    },
    async countBackfillPartitions(backfillIds) {
      open("count backfill partitions");
      return new Map(backfillIds.map((id) => [id, tallyBackfill([...(backfillParts.get(id)?.values() ?? [])].map((p) => [p.status, 1] as const))]));
    },
    async listInstigators() {
      open("list instigators");
      return copy([...instigators.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)));
    },
    async ensureInstigators(states) {
      open("add instigators");
      for (const state of copy(firstPerName(states))) if (!instigators.has(state.name)) instigators.set(state.name, state);
    },
    async updateInstigator(name, patch) {
      open("update instigator");
      const state = instigators.get(name);
      if (!state) throw new StateStoreError(`Cannot update instigator "${name}": no such instigator`);
      Object.assign(state, copy(definedFields(patch, INSTIGATOR_FIELDS)));
    },
    async recordTick(tick, newRequests, patch) {
      open("record tick");
      // Copy and plan everything before changing anything: all or nothing, like the SQL transaction.
      const [tickCopy, requestCopies, fields] = copy([tick, newRequests, definedFields(patch, TICK_PATCH_FIELDS)] as const);
      const all = [...requests.values()];
      const plan = planRequests(requestCopies, new Set(all.flatMap((r) => r.runKey ?? [])), new Set(requests.keys()));
      for (const request of plan.insert) requests.set(request.requestId, request);
      ticks.push({ ...tickCopy, requestIds: [...plan.created] });
      instigators.set(tick.name, { ...(instigators.get(tick.name) ?? instigatorFromTick(tickCopy)), ...fields });
      return { created: plan.created, duplicates: plan.duplicates };
    },
    async listTicks(options = {}) {
      open("list ticks");
      const order = ticks.map((t, seq) => ({ t, seq })).filter(({ t }) => options.name === undefined || t.name === options.name);
      order.sort((a, b) => b.t.evaluatedAt - a.t.evaluatedAt || b.t.tickAt - a.t.tickAt || b.seq - a.seq);
      const found = order.map(({ t }) => t);
      return copy(options.limit === undefined ? found : found.slice(0, clampLimit(options.limit)));
    },
    async listRunRequests(options = {}) {
      open("list run requests");
      const found = [...requests.values()]
        .filter((r) => (options.status === undefined || r.status === options.status) && (options.source === undefined || r.source === options.source))
        .sort((a, b) => a.createdAt - b.createdAt); // stable: insertion order within one createdAt
      return copy(options.limit === undefined ? found : found.slice(0, clampLimit(options.limit)));
    },
    async updateRunRequest(requestId, patch) {
      open("update run request");
      const request = requests.get(requestId);
      if (!request) throw new StateStoreError(`Cannot update run request "${requestId}": no such run request`);
      Object.assign(request, copy(definedFields(patch, RUN_REQUEST_FIELDS)));
    },
    async gc(before, options) {
      open("collect garbage");
      // one selection of what goes; a dry run counts it and stops before deleting
      const oldRuns = new Set([...runs.values()].filter((r) => r.status !== "running" && r.endedAt !== null && r.endedAt < before).map((r) => r.runId));
      const keepEvents = events.filter((e) => !oldRuns.has(e.runId));
      const current = new Set(latest.values());
      const keepHistory = history.filter((m) => m.at >= before || current.has(m) || [...latest.values()].some((l) => l.assetKey === m.assetKey && l.partitionKey === m.partitionKey && l.runId === m.runId && l.at === m.at));
      const keepTicks = ticks.filter((t) => t.evaluatedAt >= before);
      const oldRequests = [...requests].filter(([, r]) => r.status !== "requested" && r.updatedAt < before).map(([id]) => id);
      const oldBackfills = [...backfills].filter(([, b]) => b.status !== "running" && b.updatedAt < before).map(([id]) => id);
      const counts = {
        runs: oldRuns.size,
        events: events.length - keepEvents.length,
        materializations: history.length - keepHistory.length,
        ticks: ticks.length - keepTicks.length,
        runRequests: oldRequests.length,
        backfills: oldBackfills.length,
      };
      if (options?.dryRun) return counts;
      for (const id of oldRuns) runs.delete(id);
      events.splice(0, events.length, ...keepEvents);
      history.splice(0, history.length, ...keepHistory);
      ticks.splice(0, ticks.length, ...keepTicks);
      for (const id of oldRequests) requests.delete(id);
      for (const id of oldBackfills) (backfills.delete(id), backfillParts.delete(id));
      return counts;
    },
    async recordCheckResults(results) {
      open("record check results");
      const copies = copy(results);
      checkHistory.push(...copies);
      for (const r of newestPerCheck(copies)) {
        const seen = latestChecks.get(checkSlot(r));
        if (!seen || r.at >= seen.at) latestChecks.set(checkSlot(r), r);
      }
    },
    async latestCheckResults(keys, options) {
      open("read check results");
      const byCheck = (a: CheckResult, b: CheckResult) => byKey(a, b) || (a.checkName < b.checkName ? -1 : a.checkName > b.checkName ? 1 : 0);
      const failing = (r: CheckResult) => !options?.blockingFailures || (!r.passed && r.blocking && r.severity === "error");
      return copy([...latestChecks.values()].filter(wanted(keys)).filter(failing).sort(byCheck));
    },
    async confirmedMtimes(keys) {
      open("read confirmed mtimes");
      return copy([...mtimes.values()].filter(wanted(keys)).sort(byKey));
    },
    async confirmMtimes(records) {
      open("record confirmed mtimes");
      for (const r of copy(records)) {
        const seen = mtimes.get(slotKey(r));
        if (!seen || r.at >= seen.at) mtimes.set(slotKey(r), r);
      }
    },
    async wipe(keys, partitionKeys) {
      open("wipe materializations");
      const assets = new Set(keys);
      const parts = partitionKeys ? new Set(partitionKeys) : null;
      const hit = (r: { assetKey: string; partitionKey: string }) => assets.has(r.assetKey) && (!parts || parts.has(r.partitionKey));
      const before = history.length;
      let kept = 0;
      for (const m of history) if (!hit(m)) history[kept++] = m;
      history.length = kept;
      for (const map of [latest, failures, latestChecks, mtimes] as Map<string, { assetKey: string; partitionKey: string }>[]) {
        for (const [slot, record] of map) if (hit(record)) map.delete(slot);
      }
      return before - history.length;
    },
    async close() {
      closed = true;
    },
  };
}
