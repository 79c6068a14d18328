/**
 * Schedules, sensors and automation in the state store: `instigators` (one row per name),
 * `ticks` (evaluation history) and `run_requests` (the daemon's queue), see migration 3.
 *
 * The pure helpers at the top (request planning, patches) are shared with the in-memory twin so
 * both stores dedupe and patch identically; the SQL functions below each run as one transaction
 * inside a session (the caller holds the file exclusively, so check-then-insert cannot race with
 * another process: a run key is created at most once across all dagx processes).
 */
import type { DuckDBConnection, DuckDBValue } from "@duckdb/node-api";
import { StateStoreError } from "../../core/errors.ts";
import type { InstigatorKind, InstigatorState, RunRequestRecord, StateStore, TickRecord } from "../../core/types.ts";
import { insert, numberOrNull, rows, stringList, transaction, type Row } from "./_sql.ts";

export type InstigatorPatch = Parameters<StateStore["updateInstigator"]>[1];
export type TickPatch = Parameters<StateStore["recordTick"]>[2];
export type RunRequestPatch = Parameters<StateStore["updateRunRequest"]>[1];

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

const COLUMNS: Record<string, string> = {
  status: "status", lastTickAt: "last_tick_at", cursor: "cursor", data: "data", updatedAt: "updated_at", runId: "run_id", reason: "reason",
};

/** `SET` clause and values of a patch (record field names → columns; `data` as JSON text). */
function setClause(patch: Record<string, unknown>): { sql: string; values: DuckDBValue[] } {
  const entries = Object.entries(patch);
  return {
    sql: entries.map(([field]) => `${COLUMNS[field]} = ?`).join(", "),
    values: entries.map(([field, value]) => (field === "data" ? JSON.stringify(value) : (value as DuckDBValue))),
  };
}

/** UPDATE `table` with the patch where `keyColumn = key`; an unknown key fails with `what`. */
async function patchRow(conn: DuckDBConnection, table: string, keyColumn: string, key: string, patch: Record<string, unknown>, what: string): Promise<void> {
  const set = setClause(patch);
  const found = set.values.length > 0
    ? (await conn.run(`UPDATE ${table} SET ${set.sql} WHERE ${keyColumn} = ?`, [...set.values, key])).rowsChanged
    : (await rows(conn, `SELECT 1 AS x FROM ${table} WHERE ${keyColumn} = ?`, [key])).length;
  if (found === 0) throw new StateStoreError(`Cannot update ${what} "${key}": no such ${what}`);
}

/** Every instigator, by name. */
export async function selectInstigators(conn: DuckDBConnection): Promise<InstigatorState[]> {
  return (await rows(conn, "SELECT * FROM instigators ORDER BY name")).map(toInstigator);
}

/** Insert the instigators whose name is not stored yet (first of repeated names); existing rows stay as they are. */
export async function insertMissingInstigators(conn: DuckDBConnection, states: readonly InstigatorState[]): Promise<void> {
  const unique = firstPerName(states);
  if (unique.length === 0) return;
  await transaction(conn, async () => {
    const names = stringList(unique.map((s) => s.name));
    const known = new Set((await rows(conn, "SELECT name FROM instigators WHERE name IN (SELECT unnest(?))", [names.value], [names.type])).map((r) => String(r.name)));
    await insert(conn, "instigators", unique.filter((s) => !known.has(s.name)).map(instigatorValues));
  });
}

/** Patch an instigator; an unknown name fails. */
export async function patchInstigator(conn: DuckDBConnection, name: string, patch: InstigatorPatch): Promise<void> {
  await patchRow(conn, "instigators", "name", name, definedFields(patch, INSTIGATOR_FIELDS), "instigator");
}

/** recordTick in one transaction: requests (deduped by run key), the tick, then the instigator patch. */
export async function insertTick(
  conn: DuckDBConnection,
  tick: TickRecord,
  requests: readonly RunRequestRecord[],
  patch: TickPatch,
): Promise<{ created: string[]; duplicates: string[] }> {
  return transaction(conn, async () => {
    const keys = stringList([...new Set(requests.flatMap((r) => r.runKey ?? []))]);
    const ids = stringList([...new Set(requests.map((r) => r.requestId))]);
    const stored = requests.length === 0 ? [] : await rows(
      conn,
      "SELECT run_key, request_id FROM run_requests WHERE run_key IN (SELECT unnest(?)) OR request_id IN (SELECT unnest(?))",
      [keys.value, ids.value],
      [keys.type, ids.type],
    );
    const plan = planRequests(
      requests,
      new Set(stored.flatMap((r) => (r.run_key === null ? [] : [String(r.run_key)]))),
      new Set(stored.map((r) => String(r.request_id))),
    );
    if (plan.insert.length > 0) {
      const base = await nextSeq(conn, "run_requests");
      await insert(conn, "run_requests", plan.insert.map((r, i) => [
        r.requestId, r.source, r.kind, r.runKey, JSON.stringify(r.selection), r.partitions, r.status, r.runId, r.reason, r.createdAt, r.updatedAt, base + i,
        r.tags ? JSON.stringify(r.tags) : null, r.asOf ?? null,
      ]));
    }
    await conn.run("INSERT INTO ticks VALUES (?, ?, ?, ?, ?, ?, ?, ?)", [
      tick.name, tick.kind, tick.tickAt, tick.evaluatedAt, tick.status, tick.reason, JSON.stringify(plan.created), await nextSeq(conn, "ticks"),
    ]);
    const fields = definedFields(patch, TICK_PATCH_FIELDS);
    const [known] = await rows(conn, "SELECT 1 AS x FROM instigators WHERE name = ?", [tick.name]);
    if (known) await patchRow(conn, "instigators", "name", tick.name, fields, "instigator");
    else await insert(conn, "instigators", [instigatorValues({ ...instigatorFromTick(tick), ...fields })]);
    return { created: plan.created, duplicates: plan.duplicates };
  });
}

/** Ticks, newest first (evaluation time, tick time, then latest recorded), of one instigator or all. */
export async function selectTicks(conn: DuckDBConnection, options: { name?: string; limit?: number }): Promise<TickRecord[]> {
  const where = options.name === undefined ? [] : [["name = ?", options.name] as const];
  return (await rows(conn, query("ticks", where, "evaluated_at DESC, tick_at DESC, seq DESC", options.limit), bound(where, options.limit))).map(toTick);
}

/** Run requests in queue order (created_at, then insertion), filtered by status and/or source. */
export async function selectRunRequests(
  conn: DuckDBConnection,
  options: { status?: string; source?: string; limit?: number },
): Promise<RunRequestRecord[]> {
  const where = [["status = ?", options.status], ["source = ?", options.source]].filter((w): w is [string, string] => w[1] !== undefined);
  return (await rows(conn, query("run_requests", where, "created_at, seq", options.limit), bound(where, options.limit))).map(toRunRequest);
}

/** Patch a run request; an unknown id fails. */
export async function patchRunRequest(conn: DuckDBConnection, requestId: string, patch: RunRequestPatch): Promise<void> {
  await patchRow(conn, "run_requests", "request_id", requestId, definedFields(patch, RUN_REQUEST_FIELDS), "run request");
}

/** One state per name: the first one listed. */
export function firstPerName(states: readonly InstigatorState[]): InstigatorState[] {
  const seen = new Set<string>();
  return states.filter((s) => !seen.has(s.name) && Boolean(seen.add(s.name)));
}

/** A limit as the stores apply it: a non-negative integer. */
export const clampLimit = (limit: number): number => Math.max(0, Math.floor(limit));

function query(table: string, where: readonly (readonly [string, string])[], order: string, limit: number | undefined): string {
  const filter = where.length > 0 ? ` WHERE ${where.map(([sql]) => sql).join(" AND ")}` : "";
  return `SELECT * FROM ${table}${filter} ORDER BY ${order}${limit === undefined ? "" : " LIMIT ?"}`;
}

function bound(where: readonly (readonly [string, string])[], limit: number | undefined): DuckDBValue[] {
  return [...where.map(([, value]) => value), ...(limit === undefined ? [] : [clampLimit(limit)])];
}

async function nextSeq(conn: DuckDBConnection, table: string): Promise<number> {
  const [top] = await rows(conn, `SELECT coalesce(max(seq), -1) AS seq FROM ${table}`);
  return Number(top?.seq ?? -1) + 1;
}

/** Column values in `instigators` order. */
function instigatorValues(s: InstigatorState): DuckDBValue[] {
  return [s.name, s.kind, s.status, s.createdAt, s.lastTickAt, s.cursor, JSON.stringify(s.data), s.updatedAt];
}

const textOrNull = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));

function toInstigator(r: Row): InstigatorState {
  return {
    name: String(r.name), kind: String(r.kind) as InstigatorKind, status: String(r.status) as InstigatorState["status"],
    createdAt: Number(r.created_at), lastTickAt: numberOrNull(r.last_tick_at), cursor: textOrNull(r.cursor),
    data: JSON.parse(String(r.data)) as Record<string, unknown>, updatedAt: Number(r.updated_at),
  };
}

function toTick(r: Row): TickRecord {
  return {
    name: String(r.name), kind: String(r.kind) as InstigatorKind, tickAt: Number(r.tick_at), evaluatedAt: Number(r.evaluated_at),
    status: String(r.status) as TickRecord["status"], reason: textOrNull(r.reason), requestIds: JSON.parse(String(r.request_ids)) as string[],
  };
}

function toRunRequest(r: Row): RunRequestRecord {
  const request: RunRequestRecord = {
    requestId: String(r.request_id), source: String(r.source), kind: String(r.kind) as InstigatorKind, runKey: textOrNull(r.run_key),
    selection: JSON.parse(String(r.selection)) as string[], partitions: textOrNull(r.partitions),
    status: String(r.status) as RunRequestRecord["status"], runId: textOrNull(r.run_id), reason: textOrNull(r.reason),
    createdAt: Number(r.created_at), updatedAt: Number(r.updated_at),
  };
  // migration 5: absent when not stored (the record round-trips as it was created)
  if (r.tags !== null && r.tags !== undefined) request.tags = JSON.parse(String(r.tags)) as Record<string, string>;
  if (r.as_of !== null && r.as_of !== undefined) request.asOf = Number(r.as_of);
  return request;
}
