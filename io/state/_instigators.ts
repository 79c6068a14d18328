/**
 * Rules of the instigator store that both implementations share (duckdb-instigators.ts and
 * memory-instigators.ts), so they dedupe run requests and patch records identically: request
 * planning, patch fields, first-of-repeated names, limits.
 */
import { StateStoreError } from "../../core/errors.ts";
import type { InstigatorState, RunRequestRecord, TickRecord } from "../../core/types.ts";
import type { InstigatorStore } from "../../core/state-store.ts";

export type InstigatorPatch = Parameters<InstigatorStore["updateInstigator"]>[1];
export type TickPatch = Parameters<InstigatorStore["recordTick"]>[2];
export type RunRequestPatch = Parameters<InstigatorStore["updateRunRequest"]>[1];

/** What recordTick stores: the requests to insert, and what it reports. */
export interface RequestPlan {
  insert: RunRequestRecord[];
  created: string[];
  /** Run keys of dropped requests, in request order (a key repeats when several requests had it). */
  duplicates: string[];
}

/**
 * Split a tick's requests into new ones and duplicates: a request whose runKey is already stored
 * (`storedRunKeys`, any source) or used by an earlier request of the same call is dropped. A
 * requestId that is stored (`storedIds`) or repeated in the call fails the whole tick.
 */
export function planRequests(requests: readonly RunRequestRecord[], storedRunKeys: ReadonlySet<string>, storedIds: ReadonlySet<string>): RequestPlan {
  const keys = new Set(storedRunKeys);
  const ids = new Set(storedIds);
  const plan: RequestPlan = { insert: [], created: [], duplicates: [] };
  for (const request of requests) {
    if (ids.has(request.requestId)) {
      throw new StateStoreError(`Cannot record tick: run request "${request.requestId}" exists already`);
    }
    if (request.runKey !== null && keys.has(request.runKey)) {
      plan.duplicates.push(request.runKey);
      continue;
    }
    ids.add(request.requestId);
    if (request.runKey !== null) keys.add(request.runKey);
    plan.insert.push(request);
    plan.created.push(request.requestId);
  }
  return plan;
}

/** The state of an instigator first seen by a tick: running, no cursor, no data yet. */
export function instigatorFromTick(tick: TickRecord): InstigatorState {
  return {
    name: tick.name, kind: tick.kind, status: "running", createdAt: tick.evaluatedAt,
    lastTickAt: null, cursor: null, data: {}, updatedAt: tick.evaluatedAt,
  };
}

/** Fields of `patch` that are set (undefined = leave alone; null is a value). */
export function definedFields<P extends object>(patch: P, fields: readonly (keyof P)[]): Partial<P> {
  return Object.fromEntries(fields.filter((f) => patch[f] !== undefined).map((f) => [f, patch[f]])) as Partial<P>;
}

export const INSTIGATOR_FIELDS = ["status", "lastTickAt", "cursor", "data", "updatedAt"] as const;
export const TICK_PATCH_FIELDS = ["lastTickAt", "cursor", "data", "updatedAt"] as const;
export const RUN_REQUEST_FIELDS = ["status", "runId", "reason", "updatedAt"] as const;

/** One state per name: the first one listed. */
export function firstPerName(states: readonly InstigatorState[]): InstigatorState[] {
  const seen = new Set<string>();
  return states.filter((s) => !seen.has(s.name) && Boolean(seen.add(s.name)));
}
