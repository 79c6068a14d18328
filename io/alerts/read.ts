/** The reader of recorded incidents and deliveries: `dagx alerts` and the UI. */
import { incidentViews, type IncidentView } from "../../core/alerts/index.ts";
import type { AlertStore } from "../../core/state-store.ts";

/** Recent incidents, newest first, with their deliveries (what `dagx alerts` and the UI show). */
export async function readAlerts(store: AlertStore, options: { limit?: number; open?: boolean } = {}): Promise<IncidentView[]> {
  const incidents = await store.listIncidents(options);
  const deliveries = incidents.length ? await store.listAlertDeliveries({ incidentIds: incidents.map((i) => i.incidentId) }) : [];
  return incidentViews(incidents, deliveries);
}
