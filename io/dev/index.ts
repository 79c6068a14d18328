/**
 * `dagx dev`: the watch loop (supervisor) and its fresh worker processes.
 * The only door into io/dev/: other folders import from here, never a file behind it.
 */
export { runDev } from "./supervisor.ts";
export { runDevWorker } from "./worker.ts";
export { startUiChild } from "./ui-child.ts";
export type { UiChild } from "./ui-child.ts";
