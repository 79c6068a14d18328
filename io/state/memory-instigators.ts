/**
 * `InstigatorStore` in memory: the schedules/sensors/automation part of the in-memory twin
 * (memory-store.ts). Dedupe and patch rules are the DuckDB part's (_instigators.ts).
 */
import { StateStoreError } from "../../core/errors.ts";
import type { InstigatorState, RunRequestRecord, TickRecord } from "../../core/types.ts";
import type { InstigatorStore } from "../../core/state-store.ts";
import {
  INSTIGATOR_FIELDS, RUN_REQUEST_FIELDS, TICK_PATCH_FIELDS, definedFields, firstPerName, instigatorFromTick, planRequests,
} from "./_instigators.ts";
import { copy, type OpenCheck } from "./_memory.ts";
import { clampLimit } from "./_records.ts";

export interface InstigatorTables {
  instigators: Map<string, InstigatorState>;
  /** Ticks in the order recorded. */
  ticks: TickRecord[];
  /** Run requests by id, in insertion order (queue order within one createdAt). */
  requests: Map<string, RunRequestRecord>;
}

export const createInstigatorTables = (): InstigatorTables => ({ instigators: new Map(), ticks: [], requests: new Map() });

/** The instigators part of an in-memory store, over its tables; `open` throws once the store is closed. */
export function memoryInstigatorStore({ instigators, ticks, requests }: InstigatorTables, open: OpenCheck): InstigatorStore {
  return {
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
  };
}
