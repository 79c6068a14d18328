/**
 * Alerts (DESIGN §13): the `alerts` config, incidents as pure observations, and what an alert says.
 * The only door into core/alerts/; io/alerts delivers, io/state records.
 */
export { alertSelectionProblem, parseAlerts } from "./config.ts";
export { freshnessObservations, incidentKey, MAX_INCIDENT_MESSAGE, runObservations, tickObservations } from "./incidents.ts";
export type { IncidentCandidate, IncidentObservations, ObservedTick } from "./incidents.ts";
export { ALERT_RETRY_DELAYS_MS, alertEnvironment, alertPayload, alertRetryDelay, alertsFor, alertText, testAlertPayload } from "./message.ts";
export { ALERT_KINDS } from "./records.ts";
export type { AlertDeliveryRecord, IncidentRecord, NormalizedAlert } from "./records.ts";
export type { AlertConfig, AlertKind, AlertPayload, AlertWebhook } from "./types.ts";
export { alertFailures, incidentSubject, incidentViews } from "./view.ts";
export type { IncidentView } from "./view.ts";
