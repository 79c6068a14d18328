/** `AlertStore` in memory: the alerts part of the in-memory twin (memory-store.ts). Rules shared with duckdb-alerts.ts (_alerts.ts). */
import type { AlertDeliveryRecord, IncidentRecord } from "../../core/alerts/index.ts";
import type { AlertStore } from "../../core/state-store.ts";
import { newestIncidentFirst, toOpen, toResolve } from "./_alerts.ts";
import { copy, type OpenCheck } from "./_memory.ts";
import { clampLimit } from "./_records.ts";

export interface AlertTables {
  /** Incidents in the order opened. */
  incidents: IncidentRecord[];
  deliveries: AlertDeliveryRecord[];
}

export const createAlertTables = (): AlertTables => ({ incidents: [], deliveries: [] });

/** The alerts part of an in-memory store, over its tables; `open` throws once the store is closed. */
export function memoryAlertStore({ incidents, deliveries }: AlertTables, open: OpenCheck): AlertStore {
  return {
    async observeIncidents(change) {
      open("record incidents");
      const opened = toOpen(copy(change.open), new Set(incidents.filter((i) => i.resolvedAt === null).map((i) => i.key)));
      const resolving = toResolve(change.resolve, change.open);
      const resolved: IncidentRecord[] = [];
      for (const i of incidents) {
        if (i.resolvedAt !== null || !resolving.has(i.key)) continue;
        i.resolvedAt = change.at;
        i.resolvedBy = change.resolvedBy;
        resolved.push(copy(i));
      }
      incidents.push(...copy(opened));
      return { opened, resolved };
    },
    async recordAlertDeliveries(records) {
      open("record alert deliveries");
      deliveries.push(...copy(records));
    },
    async listIncidents(options = {}) {
      open("list incidents");
      const list = incidents.filter((i) => !options.open || i.resolvedAt === null).sort(newestIncidentFirst);
      return copy(options.limit === undefined ? list : list.slice(0, clampLimit(options.limit)));
    },
    async listAlertDeliveries(options = {}) {
      open("list alert deliveries");
      const ids = options.incidentIds ? new Set(options.incidentIds) : null;
      return copy(deliveries.filter((d) => !ids || ids.has(d.incidentId)).map((d, i) => ({ d, i })).sort((a, b) => a.d.at - b.d.at || a.i - b.i).map(({ d }) => d));
    },
  };
}
