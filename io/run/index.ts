/**
 * Running assets: materialize and backfill, cancel from another process (`cancelRun`), the step runner, inputs and outputs, user-code errors, checks and their blocks.
 * The only door into io/run/: other folders import from here, never a file behind it.
 */
export { backfillLiveStatus, cancelBackfill, runBackfill } from "./backfill.ts";
export type { BackfillCancelResult, BackfillOptions } from "./backfill.ts";
export { cancelRun, waitForRunEnd } from "./cancel-run.ts";
export type { CancelRunResult, WaitForRunEndOptions } from "./cancel-run.ts";
export { storedBlocks, upstreamOf } from "./check-blocks.ts";
export type { BlockInfo } from "./check-blocks.ts";
export { runCheckCommand } from "./check-run.ts";
export type { CheckCommandOptions } from "./check-run.ts";
export { checkEventPayload, checkSummaries } from "./check-results.ts";
export type { CheckSummary } from "./check-results.ts";
export { QUEUED_RUN_HOST, recordedMaterialization, runMaterialize } from "./materialize.ts";
export { createRunEngine } from "./run-engine.ts";
export type { RunEngine } from "./run-engine.ts";
export { createComputeInstance } from "./compute-instance.ts";
export type { ComputeInstance } from "./compute-instance.ts";
export { createResourcePool, projectResources } from "./resources.ts";
export type { ResourcePool } from "./resources.ts";
export type { MaterializeOptions, QueuedRunSubmission, RunOutcome, RunReporter } from "./materialize.ts";
export { readRunConfigInput, recordedConfig, resolveCheckConfig, resolveRunConfig } from "./run-config.ts";
export type { CheckConfig, ResolvedConfig, RunConfigFlags } from "./run-config.ts";
export { runObserve } from "./observe.ts";
export type { ObserveOutcome } from "./observe.ts";
