/** How incidents and their deliveries are shown: the JSON of `dagx alerts --json` and of the UI's API. Pure. */
import type { AlertDeliveryRecord, IncidentRecord } from "./records.ts";
import type { AlertKind } from "./types.ts";

/** One incident with the alerts sent about it; times as ISO 8601. */
export interface IncidentView {
  incidentId: string;
  kind: AlertKind;
  /** "open" until its subject recovers. */
  status: "open" | "resolved";
  asset: string | null;
  partition: string | null;
  check: string | null;
  instigator: string | null;
  runId: string | null;
  message: string;
  openedAt: string;
  resolvedAt: string | null;
  resolvedBy: string | null;
  deliveries: { alert: string; target: "webhook" | "command"; event: AlertDeliveryRecord["event"]; status: "sent" | "failed"; attempts: number; error: string | null; at: string }[];
}

const iso = (t: number) => new Date(t).toISOString();

/** Incidents (in the order given) joined with their deliveries (oldest first). */
export function incidentViews(incidents: readonly IncidentRecord[], deliveries: readonly AlertDeliveryRecord[]): IncidentView[] {
  const by = new Map<string, AlertDeliveryRecord[]>();
  for (const d of deliveries) by.set(d.incidentId, [...(by.get(d.incidentId) ?? []), d]);
  return incidents.map((i) => ({
    incidentId: i.incidentId,
    kind: i.kind,
    status: i.resolvedAt === null ? "open" : "resolved",
    asset: i.assetKey,
    partition: i.partitionKey,
    check: i.checkName,
    instigator: i.instigator,
    runId: i.runId,
    message: i.message,
    openedAt: iso(i.openedAt),
    resolvedAt: i.resolvedAt === null ? null : iso(i.resolvedAt),
    resolvedBy: i.resolvedBy,
    deliveries: (by.get(i.incidentId) ?? []).map((d) => ({ alert: d.alert, target: d.target, event: d.event, status: d.status, attempts: d.attempts, error: d.error, at: iso(d.at) })),
  }));
}

/** The subject of an incident in a few words: `orders`, `orders: unique(id)`, `sensor new_files`. */
export function incidentSubject(i: Pick<IncidentView, "asset" | "check" | "instigator" | "kind">): string {
  if (i.asset !== null) return i.check ? `${i.asset}: ${i.check}` : i.asset;
  return `${i.kind === "sensor_failure" ? "sensor" : "schedule"} ${i.instigator}`;
}

/** Deliveries that failed, newest first, in the shape of the UI overview's `alertFailures` (core/ui-api.ts `ApiOverview`). */
export function alertFailures(views: readonly IncidentView[]): { at: string; kind: string; message: string }[] {
  return views
    .flatMap((i) => i.deliveries.filter((d) => d.status === "failed").map((d) => ({ at: d.at, kind: i.kind, message: `alert "${d.alert}" failed after ${d.attempts} attempt${d.attempts === 1 ? "" : "s"} (${incidentSubject(i)}): ${d.error}` })))
    .sort((a, b) => (a.at < b.at ? 1 : a.at > b.at ? -1 : 0));
}
