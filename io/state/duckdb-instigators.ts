/**
 * `InstigatorStore` over the DuckDB state file: `instigators` (one row per name), `ticks`
 * (evaluation history) and `run_requests` (the daemon's queue), see migration 3. Each method is one
 * transaction inside a session (_ops.ts): the caller holds the file exclusively, so check-then-insert
 * cannot race with another process — a run key is created at most once across all dagx processes.
 * The dedupe and patch rules are shared with the in-memory twin (_instigators.ts).
 */
import type { DuckDBConnection, DuckDBValue } from "@duckdb/node-api";
import { StateStoreError } from "../../core/errors.ts";
import type { InstigatorState, RunRequestRecord, TickRecord } from "../../core/types.ts";
import type { InstigatorStore } from "../../core/state-store.ts";
import {
  INSTIGATOR_FIELDS, RUN_REQUEST_FIELDS, TICK_PATCH_FIELDS, definedFields, firstPerName, instigatorFromTick, planRequests,
  type InstigatorPatch, type RunRequestPatch, type TickPatch,
} from "./_instigators.ts";
import type { StateOps } from "./_ops.ts";
import { clampLimit } from "./_records.ts";
import { insert, rows, stringList, toInstigator, toRunRequest, toTick, transaction } from "./_sql.ts";

/** The instigators part of a DuckDB store (`ops` is shared with its other parts). */
export function duckdbInstigatorStore({ op }: StateOps): InstigatorStore {
  return {
    listInstigators: () => op("list instigators", selectInstigators),
    ensureInstigators: (states) => (states.length === 0 ? Promise.resolve() : op("add instigators", (conn) => insertMissingInstigators(conn, states))),
    updateInstigator: (name, patch) => op("update instigator", (conn) => patchInstigator(conn, name, patch)),
    recordTick: (tick, requests, patch) => op("record tick", (conn) => insertTick(conn, tick, requests, patch)),
    listTicks: (options = {}) => op("list ticks", (conn) => selectTicks(conn, options)),
    listRunRequests: (options = {}) => op("list run requests", (conn) => selectRunRequests(conn, options)),
    updateRunRequest: (requestId, patch) => op("update run request", (conn) => patchRunRequest(conn, requestId, patch)),
  };
}

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
async function selectInstigators(conn: DuckDBConnection): Promise<InstigatorState[]> {
  return (await rows(conn, "SELECT * FROM instigators ORDER BY name")).map(toInstigator);
}

/** Insert the instigators whose name is not stored yet (first of repeated names); existing rows stay as they are. */
async function insertMissingInstigators(conn: DuckDBConnection, states: readonly InstigatorState[]): Promise<void> {
  const unique = firstPerName(states);
  if (unique.length === 0) return;
  await transaction(conn, async () => {
    const names = stringList(unique.map((s) => s.name));
    const known = new Set((await rows(conn, "SELECT name FROM instigators WHERE name IN (SELECT unnest(?))", [names.value], [names.type])).map((r) => String(r.name)));
    await insert(conn, "instigators", unique.filter((s) => !known.has(s.name)).map(instigatorValues));
  });
}

/** Patch an instigator; an unknown name fails. */
async function patchInstigator(conn: DuckDBConnection, name: string, patch: InstigatorPatch): Promise<void> {
  await patchRow(conn, "instigators", "name", name, definedFields(patch, INSTIGATOR_FIELDS), "instigator");
}

/** recordTick in one transaction: requests (deduped by run key), the tick, then the instigator patch. */
async function insertTick(
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
        r.tags ? JSON.stringify(r.tags) : null, r.asOf ?? null, r.config ? JSON.stringify(r.config) : null,
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
async function selectTicks(conn: DuckDBConnection, options: { name?: string; limit?: number }): Promise<TickRecord[]> {
  const where = options.name === undefined ? [] : [["name = ?", options.name] as const];
  return (await rows(conn, query("ticks", where, "evaluated_at DESC, tick_at DESC, seq DESC", options.limit), bound(where, options.limit))).map(toTick);
}

/** Run requests in queue order (created_at, then insertion), filtered by status and/or source. */
async function selectRunRequests(
  conn: DuckDBConnection,
  options: { status?: string; source?: string; limit?: number },
): Promise<RunRequestRecord[]> {
  const where = [["status = ?", options.status], ["source = ?", options.source]].filter((w): w is [string, string] => w[1] !== undefined);
  return (await rows(conn, query("run_requests", where, "created_at, seq", options.limit), bound(where, options.limit))).map(toRunRequest);
}

/** Patch a run request; an unknown id fails. */
async function patchRunRequest(conn: DuckDBConnection, requestId: string, patch: RunRequestPatch): Promise<void> {
  await patchRow(conn, "run_requests", "request_id", requestId, definedFields(patch, RUN_REQUEST_FIELDS), "run request");
}

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
