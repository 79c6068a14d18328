/** What an alert says and to whom it goes — pure: the payload a target receives, the matching of alerts to incidents, the retry delays. */
import type { IncidentRecord, NormalizedAlert } from "./records.ts";
import type { AlertPayload } from "./types.ts";

/** Delays before attempt 2, 3, 4… (the last repeats). */
export const ALERT_RETRY_DELAYS_MS: readonly number[] = [500, 2_000, 5_000];

/** Delay before attempt `attempt` (2-based: the first retry is attempt 2). */
export function alertRetryDelay(attempt: number): number {
  return ALERT_RETRY_DELAYS_MS[Math.min(attempt - 2, ALERT_RETRY_DELAYS_MS.length - 1)] ?? 0;
}

/**
 * The alerts an incident event goes to: those whose `on` has its kind, whose selection (when
 * given; `selected(alert)` is the set it resolves to, null when it could not be resolved) holds its
 * asset — sensor and schedule failures have none and always match — and, for "resolved", those that
 * asked for it.
 */
export function alertsFor(incident: IncidentRecord, event: "opened" | "resolved", alerts: readonly NormalizedAlert[], selected: (alert: NormalizedAlert) => ReadonlySet<string> | null): NormalizedAlert[] {
  return alerts.filter((a) => {
    if (!a.on.has(incident.kind) || (event === "resolved" && !a.resolved)) return false;
    if (a.select === null || incident.assetKey === null) return true;
    return selected(a)?.has(incident.assetKey) ?? false;
  });
}

const iso = (t: number) => new Date(t).toISOString();
const shortRun = (id: string) => id.slice(0, 8);

/** The one line people read (Slack's `text`): project, what happened to what, where, why. */
export function alertText(incident: IncidentRecord, event: "opened" | "resolved", project: string): string {
  const i = incident;
  const part = i.partitionKey ? ` (partition ${i.partitionKey})` : "";
  const head = `dagx [${project}]`;
  if (event === "resolved") {
    const by = i.resolvedBy ? `: ${i.resolvedBy}` : "";
    switch (i.kind) {
      case "run_failure": return `${head} resolved: asset "${i.assetKey}" materialized again${by}`;
      case "check_failure": return `${head} resolved: check "${i.checkName}" of "${i.assetKey}" passes again${by}`;
      case "freshness_overdue": return `${head} resolved: asset "${i.assetKey}" is no longer overdue`;
      case "sensor_failure": return `${head} resolved: sensor "${i.instigator}" ticks again`;
      case "schedule_failure": return `${head} resolved: schedule "${i.instigator}" ticks again`;
    }
  }
  const run = i.runId ? ` in run ${shortRun(i.runId)}` : "";
  switch (i.kind) {
    case "run_failure": return `${head} asset "${i.assetKey}" failed${part}${run}: ${i.message}`;
    case "check_failure": return `${head} check "${i.checkName}" of "${i.assetKey}" failed${part}${run}: ${i.message}`;
    case "freshness_overdue": return `${head} asset "${i.assetKey}" is overdue: ${i.message}`;
    case "sensor_failure": return `${head} sensor "${i.instigator}" failed: ${i.message}`;
    case "schedule_failure": return `${head} schedule "${i.instigator}" tick failed: ${i.message}`;
  }
}

/** What the alert's target receives (the webhook's JSON body, the command's stdin). No URL: dagx serves none a receiver could open. */
export function alertPayload(incident: IncidentRecord, event: "opened" | "resolved", alert: string, project: string): AlertPayload {
  return {
    text: alertText(incident, event, project),
    event,
    kind: incident.kind,
    alert,
    project,
    incidentId: incident.incidentId,
    asset: incident.assetKey,
    partition: incident.partitionKey,
    check: incident.checkName,
    instigator: incident.instigator,
    runId: incident.runId,
    message: incident.message,
    openedAt: iso(incident.openedAt),
    resolvedAt: incident.resolvedAt === null ? null : iso(incident.resolvedAt),
  };
}

/** What `dagx alerts --test` sends through `alert`: a payload about no incident, of the alert's first kind, saying it is a test. */
export function testAlertPayload(alert: NormalizedAlert, project: string, at: number): AlertPayload {
  const kinds = [...alert.on].join(", ");
  return {
    text: `dagx [${project}] test alert "${alert.name}": ${kinds} alerts reach this target`,
    event: "test",
    kind: [...alert.on][0]!,
    alert: alert.name,
    project,
    incidentId: "",
    asset: null,
    partition: null,
    check: null,
    instigator: null,
    runId: null,
    message: "a test sent by `dagx alerts --test`: no incident",
    openedAt: iso(at),
    resolvedAt: null,
  };
}

/** The payload as environment variables of a command target (DAGX_ALERT_KIND, …; absent fields are empty). */
export function alertEnvironment(payload: AlertPayload): Record<string, string> {
  return {
    DAGX_ALERT_TEXT: payload.text,
    DAGX_ALERT_EVENT: payload.event,
    DAGX_ALERT_KIND: payload.kind,
    DAGX_ALERT_NAME: payload.alert,
    DAGX_ALERT_PROJECT: payload.project,
    DAGX_ALERT_INCIDENT: payload.incidentId,
    DAGX_ALERT_ASSET: payload.asset ?? "",
    DAGX_ALERT_PARTITION: payload.partition ?? "",
    DAGX_ALERT_CHECK: payload.check ?? "",
    DAGX_ALERT_INSTIGATOR: payload.instigator ?? "",
    DAGX_ALERT_RUN_ID: payload.runId ?? "",
    DAGX_ALERT_MESSAGE: payload.message,
  };
}
