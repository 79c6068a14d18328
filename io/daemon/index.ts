/**
 * The daemon: schedules, sensors and automation over the persistent run-request queue.
 * The only door into io/daemon/: other folders import from here, never a file behind it.
 */
export { croner } from "./cron.ts";
export { fileLockDaemonStatus, lockDaemon, runDaemon } from "./daemon.ts";
export { invalidSensorReason, sensorRequests } from "./requests.ts";
export { setInstigatorStatus } from "./instigator-status.ts";
