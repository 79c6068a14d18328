/**
 * `AlertStore` over Postgres: `alert_incidents` and `alert_deliveries`, as in the DuckDB file
 * (duckdb-alerts.ts). `observeIncidents` is one transaction under the store's advisory write lock,
 * and a partial unique index allows one open incident per key: an incident is opened, and alerted
 * on, once across all processes.
 */
import type { AlertDeliveryRecord, AlertKind, IncidentRecord } from "../../core/alerts/index.ts";
import type { AlertStore } from "../../core/state-store.ts";
import { toOpen, toResolve } from "./_alerts.ts";
import { insertRows, type PgOps, type PgRow } from "./_pg-client.ts";
import { LOCKS } from "./_pg-schema.ts";
import { clampLimit } from "./_records.ts";
import { numberOrNull } from "./_sql.ts";

/** The alerts part of a Postgres store (`ops` is shared with its other parts). */
export function postgresAlertStore({ op, tx }: PgOps): AlertStore {
  return {
    observeIncidents: (change) =>
      change.open.length + change.resolve.length === 0
        ? Promise.resolve({ opened: [], resolved: [] })
        : tx("record incidents", async (q) => {
          await q.unsafe("SELECT pg_advisory_xact_lock($1)", [LOCKS.write.toString()]);
          const keys = [...new Set(change.open.map((c) => c.key))];
          const open = keys.length
            ? new Set((await q.unsafe("SELECT incident_key FROM alert_incidents WHERE resolved_at IS NULL AND incident_key = ANY($1::text[])", [keys])).map((r) => String(r.incident_key)))
            : new Set<string>();
          const opened = toOpen(change.open, open);
          await insertRows(q, "alert_incidents",
            [["incident_id", "text"], ["incident_key", "text"], ["kind", "text"], ["asset_key", "text"], ["partition_key", "text"], ["check_name", "text"], ["instigator", "text"], ["run_id", "text"], ["message", "text"], ["opened_at", "bigint"]],
            opened.map((i) => [i.incidentId, i.key, i.kind, i.assetKey, i.partitionKey, i.checkName, i.instigator, i.runId, i.message, i.openedAt]));
          const resolving = [...toResolve(change.resolve, change.open)];
          const resolved = resolving.length
            ? (await q.unsafe("UPDATE alert_incidents SET resolved_at = $1, resolved_by = $2 WHERE resolved_at IS NULL AND incident_key = ANY($3::text[]) RETURNING *", [change.at, change.resolvedBy, resolving])).map(toIncident)
            : [];
          return { opened, resolved };
        }),
    recordAlertDeliveries: (deliveries) =>
      deliveries.length === 0
        ? Promise.resolve()
        : op("record alert deliveries", async (q) => {
          await insertRows(q, "alert_deliveries",
            [["incident_id", "text"], ["alert", "text"], ["target", "text"], ["event", "text"], ["status", "text"], ["attempts", "int"], ["error", "text"], ["ts", "bigint"]],
            deliveries.map((d) => [d.incidentId, d.alert, d.target, d.event, d.status, d.attempts, d.error, d.at]));
        }),
    listIncidents: (options = {}) =>
      op("list incidents", async (q) => {
        const where = options.open ? "WHERE resolved_at IS NULL" : "";
        const limit = options.limit === undefined ? "" : `LIMIT ${clampLimit(options.limit)}`;
        return (await q.unsafe(`SELECT * FROM alert_incidents ${where} ORDER BY opened_at DESC, incident_id COLLATE "C" DESC ${limit}`)).map(toIncident);
      }),
    listAlertDeliveries: (options = {}) =>
      options.incidentIds?.length === 0
        ? Promise.resolve([])
        : op("list alert deliveries", async (q) => {
          const rows = options.incidentIds
            ? await q.unsafe("SELECT * FROM alert_deliveries WHERE incident_id = ANY($1::text[]) ORDER BY ts, seq", [[...options.incidentIds]])
            : await q.unsafe("SELECT * FROM alert_deliveries ORDER BY ts, seq");
          return rows.map(toDelivery);
        }),
  };
}

const str = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));

function toIncident(r: PgRow): IncidentRecord {
  return {
    incidentId: String(r.incident_id), key: String(r.incident_key), kind: String(r.kind) as AlertKind, assetKey: str(r.asset_key),
    partitionKey: str(r.partition_key), checkName: str(r.check_name), instigator: str(r.instigator), runId: str(r.run_id),
    message: String(r.message), openedAt: Number(r.opened_at), resolvedAt: numberOrNull(r.resolved_at), resolvedBy: str(r.resolved_by),
  };
}

function toDelivery(r: PgRow): AlertDeliveryRecord {
  return {
    incidentId: String(r.incident_id), alert: String(r.alert), target: String(r.target) as AlertDeliveryRecord["target"],
    event: String(r.event) as AlertDeliveryRecord["event"], status: String(r.status) as AlertDeliveryRecord["status"],
    attempts: Number(r.attempts), error: str(r.error), at: Number(r.ts),
  };
}
