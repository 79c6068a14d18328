/**
 * Alerts (docs/alerts.md): incidents observed by runs and the daemon, delivered to webhooks and
 * commands with retries, recorded in state; the reader `dagx alerts` and the UI use.
 * The only door into io/alerts/.
 */
export { assertAlertSelections, declareAlertSecrets } from "./config.ts";
export { alertLogEvents, alertOnRun, createDaemonAlerts, sendTestAlerts } from "./observe.ts";
export type { AlertLogLine, AlertOptions, DaemonAlerts } from "./observe.ts";
export { readAlerts } from "./read.ts";
