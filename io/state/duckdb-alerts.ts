/**
 * `AlertStore` over the DuckDB state file: `alert_incidents` and `alert_deliveries` (migration 10).
 * `observeIncidents` is one transaction inside a session (_ops.ts): the caller holds the file
 * exclusively, so the check for an open incident and the insert cannot race with another process —
 * an incident is opened, and alerted on, once across all dagx processes.
 */
import type { DuckDBConnection, DuckDBType } from "@duckdb/node-api";
import type { AlertDeliveryRecord, AlertKind, IncidentRecord } from "../../core/alerts/index.ts";
import type { AlertStore } from "../../core/state-store.ts";
import { toOpen, toResolve } from "./_alerts.ts";
import type { StateOps } from "./_ops.ts";
import { clampLimit } from "./_records.ts";
import { insert, numberOrNull, rows, stringList, transaction, type Row } from "./_sql.ts";

/** The alerts part of a DuckDB store (`ops` is shared with its other parts). */
export function duckdbAlertStore({ op }: StateOps): AlertStore {
  return {
    observeIncidents: (change) =>
      change.open.length + change.resolve.length === 0
        ? Promise.resolve({ opened: [], resolved: [] })
        : op("record incidents", (conn) => transaction(conn, () => observe(conn, change))),
    recordAlertDeliveries: (deliveries) =>
      deliveries.length === 0
        ? Promise.resolve()
        : op("record alert deliveries", (conn) => transaction(conn, () => insert(conn, "alert_deliveries", deliveries.map((d) => [d.incidentId, d.alert, d.target, d.event, d.status, d.attempts, d.error, d.at])))),
    listIncidents: (options = {}) =>
      op("list incidents", async (conn) => {
        const where = options.open ? "WHERE resolved_at IS NULL" : "";
        const limit = options.limit === undefined ? "" : `LIMIT ${clampLimit(options.limit)}`;
        return (await rows(conn, `SELECT * FROM alert_incidents ${where} ORDER BY opened_at DESC, incident_id DESC ${limit}`)).map(toIncident);
      }),
    listAlertDeliveries: (options = {}) =>
      op("list alert deliveries", async (conn) => {
        if (options.incidentIds?.length === 0) return [];
        const ids = options.incidentIds ? stringList(options.incidentIds) : null;
        const sql = `SELECT * FROM alert_deliveries ${ids ? "WHERE incident_id IN (SELECT unnest(?))" : ""} ORDER BY ts, rowid`;
        return (await rows(conn, sql, ids ? [ids.value] : [], ids ? [ids.type] : undefined)).map(toDelivery);
      }),
  };
}

type Change = Parameters<AlertStore["observeIncidents"]>[0];

async function observe(conn: DuckDBConnection, change: Change): Promise<{ opened: IncidentRecord[]; resolved: IncidentRecord[] }> {
  const keys = stringList([...new Set(change.open.map((c) => c.key))]);
  const open = change.open.length
    ? new Set((await rows(conn, "SELECT incident_key FROM alert_incidents WHERE resolved_at IS NULL AND incident_key IN (SELECT unnest(?))", [keys.value], [keys.type])).map((r) => String(r.incident_key)))
    : new Set<string>();
  const opened = toOpen(change.open, open);
  await insert(conn, "alert_incidents", opened.map((i) => [i.incidentId, i.key, i.kind, i.assetKey, i.partitionKey, i.checkName, i.instigator, i.runId, i.message, i.openedAt, null, null]));
  const resolving = [...toResolve(change.resolve, change.open)];
  let resolved: IncidentRecord[] = [];
  if (resolving.length) {
    const list = stringList(resolving);
    resolved = (await rows(conn, "UPDATE alert_incidents SET resolved_at = ?, resolved_by = ? WHERE resolved_at IS NULL AND incident_key IN (SELECT unnest(?)) RETURNING *", [change.at, change.resolvedBy, list.value], [undefined, undefined, list.type] as DuckDBType[])).map(toIncident);
  }
  return { opened, resolved };
}

const str = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));

function toIncident(r: Row): IncidentRecord {
  return {
    incidentId: String(r.incident_id),
    key: String(r.incident_key),
    kind: String(r.kind) as AlertKind,
    assetKey: str(r.asset_key),
    partitionKey: str(r.partition_key),
    checkName: str(r.check_name),
    instigator: str(r.instigator),
    runId: str(r.run_id),
    message: String(r.message),
    openedAt: Number(r.opened_at),
    resolvedAt: numberOrNull(r.resolved_at),
    resolvedBy: str(r.resolved_by),
  };
}

function toDelivery(r: Row): AlertDeliveryRecord {
  return {
    incidentId: String(r.incident_id),
    alert: String(r.alert),
    target: String(r.target) as AlertDeliveryRecord["target"],
    event: String(r.event) as AlertDeliveryRecord["event"],
    status: String(r.status) as AlertDeliveryRecord["status"],
    attempts: Number(r.attempts),
    error: str(r.error),
    at: Number(r.ts),
  };
}
