/**
 * `InstigatorStore` over Postgres: `instigators`, `ticks` and `run_requests`, as in the DuckDB file
 * (duckdb-instigators.ts), with the dedupe and patch rules shared through _instigators.ts.
 * `recordTick` takes a transaction-level advisory lock first, so the check-then-insert of run keys
 * cannot race with another process (the DuckDB file's exclusive session gave that); the unique
 * index on `run_key` is the last word either way.
 */
import { StateStoreError } from "../../core/errors.ts";
import type { InstigatorState } from "../../core/types.ts";
import type { InstigatorStore } from "../../core/state-store.ts";
import {
  INSTIGATOR_FIELDS, RUN_REQUEST_FIELDS, TICK_PATCH_FIELDS, definedFields, firstPerName, instigatorFromTick, planRequests,
} from "./_instigators.ts";
import { changed, type Columns, insertRows, type Pg, type PgOps } from "./_pg-client.ts";
import { LOCKS } from "./_pg-schema.ts";
import { checkTerm } from "./postgres-leader.ts";
import { clampLimit } from "./_records.ts";
import { toInstigator, toRunRequest, toTick } from "./_sql.ts";

const INSTIGATOR_COLUMNS: Columns = [
  ["name", "text"], ["kind", "text"], ["status", "text"], ["created_at", "bigint"], ["last_tick_at", "bigint"], ["cursor", "text"], ["data", "text"], ["updated_at", "bigint"],
];
const REQUEST_COLUMNS: Columns = [
  ["request_id", "text"], ["source", "text"], ["kind", "text"], ["run_key", "text"], ["selection", "text"], ["partitions", "text"], ["status", "text"],
  ["run_id", "text"], ["reason", "text"], ["created_at", "bigint"], ["updated_at", "bigint"], ["tags", "text"], ["as_of", "bigint"], ["config", "text"],
];
const COLUMNS: Record<string, string> = {
  status: "status", lastTickAt: "last_tick_at", cursor: "cursor", data: "data", updatedAt: "updated_at", runId: "run_id", reason: "reason",
};

/** UPDATE `table` with the patch where `keyColumn = key`; an unknown key fails with `what`. */
async function patchRow(q: Pg, table: string, keyColumn: string, key: string, patch: Record<string, unknown>, what: string): Promise<void> {
  const entries = Object.entries(patch);
  const found = entries.length > 0
    ? changed(await q.unsafe(`UPDATE ${table} SET ${entries.map(([f], i) => `${COLUMNS[f]} = $${i + 2}`).join(", ")} WHERE ${keyColumn} = $1`,
      [key, ...entries.map(([f, v]) => (f === "data" ? JSON.stringify(v) : v))]))
    : (await q.unsafe(`SELECT 1 FROM ${table} WHERE ${keyColumn} = $1`, [key])).length;
  if (found === 0) throw new StateStoreError(`Cannot update ${what} "${key}": no such ${what}`);
}

const instigatorValues = (s: InstigatorState): unknown[] => [s.name, s.kind, s.status, s.createdAt, s.lastTickAt, s.cursor, JSON.stringify(s.data), s.updatedAt];

/** The instigators part of a Postgres store (`ops` is shared with its other parts). */
export function postgresInstigatorStore({ op, tx }: PgOps): InstigatorStore {
  return {
    listInstigators: () => op("list instigators", async (q) => (await q.unsafe("SELECT * FROM instigators ORDER BY name COLLATE \"C\"")).map(toInstigator)),
    ensureInstigators: (states) =>
      states.length === 0
        ? Promise.resolve()
        : op("add instigators", async (q) => {
          await insertRows(q, "instigators", INSTIGATOR_COLUMNS, firstPerName(states).map(instigatorValues), "ON CONFLICT (name) DO NOTHING");
        }),
    updateInstigator: (name, patch) => op("update instigator", (q) => patchRow(q, "instigators", "name", name, definedFields(patch, INSTIGATOR_FIELDS), "instigator")),
    recordTick: (tick, requests, patch, fence) =>
      tx("record tick", async (q) => {
        await q.unsafe("SELECT pg_advisory_xact_lock($1)", [LOCKS.write.toString()]);
        if (fence) await checkTerm(q, fence.term);
        const keys = [...new Set(requests.flatMap((r) => r.runKey ?? []))];
        const ids = [...new Set(requests.map((r) => r.requestId))];
        const stored = requests.length === 0 ? [] : await q.unsafe("SELECT run_key, request_id FROM run_requests WHERE run_key = ANY($1::text[]) OR request_id = ANY($2::text[])", [keys, ids]);
        const plan = planRequests(
          requests,
          new Set(stored.flatMap((r) => (r.run_key === null ? [] : [String(r.run_key)]))),
          new Set(stored.map((r) => String(r.request_id))),
        );
        // one statement keeps the list's order in the identity `seq` (jsonb_to_recordset yields rows in order)
        await insertRows(q, "run_requests", REQUEST_COLUMNS, plan.insert.map((r) => [
          r.requestId, r.source, r.kind, r.runKey, JSON.stringify(r.selection), r.partitions, r.status, r.runId, r.reason, r.createdAt, r.updatedAt,
          r.tags ? JSON.stringify(r.tags) : null, r.asOf ?? null, r.config ? JSON.stringify(r.config) : null,
        ]));
        await q.unsafe("INSERT INTO ticks (name, kind, tick_at, evaluated_at, status, reason, request_ids) VALUES ($1, $2, $3, $4, $5, $6, $7)", [
          tick.name, tick.kind, tick.tickAt, tick.evaluatedAt, tick.status, tick.reason, JSON.stringify(plan.created),
        ]);
        const fields = definedFields(patch, TICK_PATCH_FIELDS);
        const [known] = await q.unsafe("SELECT 1 FROM instigators WHERE name = $1", [tick.name]);
        if (known) await patchRow(q, "instigators", "name", tick.name, fields, "instigator");
        else await insertRows(q, "instigators", INSTIGATOR_COLUMNS, [instigatorValues({ ...instigatorFromTick(tick), ...fields })]);
        return { created: plan.created, duplicates: plan.duplicates };
      }),
    listTicks: (options = {}) =>
      op("list ticks", async (q) => {
        const values: unknown[] = options.name === undefined ? [] : [options.name];
        const limit = options.limit === undefined ? "" : ` LIMIT ${clampLimit(options.limit)}`;
        const sql = `SELECT * FROM ticks${options.name === undefined ? "" : " WHERE name = $1"} ORDER BY evaluated_at DESC, tick_at DESC, seq DESC${limit}`;
        return (await q.unsafe(sql, values)).map(toTick);
      }),
    listRunRequests: (options = {}) =>
      op("list run requests", async (q) => {
        const where: string[] = [];
        const values: unknown[] = [];
        for (const [column, value] of [["status", options.status], ["source", options.source]] as const) {
          if (value === undefined) continue;
          values.push(value);
          where.push(`${column} = $${values.length}`);
        }
        const limit = options.limit === undefined ? "" : ` LIMIT ${clampLimit(options.limit)}`;
        return (await q.unsafe(`SELECT * FROM run_requests${where.length ? ` WHERE ${where.join(" AND ")}` : ""} ORDER BY created_at, seq${limit}`, values)).map(toRunRequest);
      }),
    updateRunRequest: (requestId, patch) => op("update run request", (q) => patchRow(q, "run_requests", "request_id", requestId, definedFields(patch, RUN_REQUEST_FIELDS), "run request")),
  };
}
