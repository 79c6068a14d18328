/** `RunStore` in memory: the runs and events part of the in-memory twin (memory-store.ts). */
import { StateStoreError } from "../../core/errors.ts";
import type { EventRecord, RunRecord } from "../../core/types.ts";
import type { RunStore } from "../../core/state-store.ts";
import { copy, type OpenCheck } from "./_memory.ts";
import { clampLimit } from "./_records.ts";

export interface RunTables {
  runs: Map<string, RunRecord>;
  /** Every run's events, in write order (the store's `write` appends). */
  events: EventRecord[];
}

export const createRunTables = (): RunTables => ({ runs: new Map(), events: [] });

/** The runs part of an in-memory store, over its tables; `open` throws once the store is closed. */
export function memoryRunStore({ runs, events }: RunTables, open: OpenCheck): RunStore {
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
    async listRuns(options = {}) {
      open("list runs");
      const tagged = (r: RunRecord) => Object.entries(options.tags ?? {}).every(([k, v]) => r.tags?.[k] === v);
      const wanted = [...runs.values()].filter((r) => (options.status === undefined || r.status === options.status) && tagged(r));
      const sorted = wanted.sort((a, b) => b.startedAt - a.startedAt || (a.runId < b.runId ? 1 : a.runId > b.runId ? -1 : 0));
      return copy(options.limit === undefined ? sorted : sorted.slice(0, clampLimit(options.limit)));
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
    async requestRunCancel(runId, now) {
      open("request run cancel");
      const run = runs.get(runId);
      if (!run) return null;
      if (run.status === "running" && run.cancelRequestedAt === undefined) run.cancelRequestedAt = now;
      return copy(run);
    },
  };
}
