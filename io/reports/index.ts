/**
 * The JSON documents the CLI prints with `--json` and the UI's API serves: one builder each, so the
 * two never drift (README "JSON shapes"; core/ui-api.ts).
 * The only door into io/reports/: other folders import from here, never a file behind it.
 */
export { checksJson, readStatusData, statusItemJson, userMetadata } from "./status.ts";
export type { StatusData, StatusItemJson } from "./status.ts";
export { backfillItemJson, backfillShowJson, listItemJson, logsJson, partitionsOf, runItemJson, scheduleItemJson, sensorItemJson, tickJson } from "./records.ts";
export { checkJson, runJson, stepJson } from "./run-json.ts";
