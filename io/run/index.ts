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
export { checkSummaries } from "./check-results.ts";
export type { CheckSummary } from "./check-results.ts";
export { runMaterialize } from "./materialize.ts";
export { createResourcePool, projectResources } from "./resources.ts";
export type { ResourcePool } from "./resources.ts";
export type { MaterializeOptions, RunOutcome, RunReporter } from "./materialize.ts";
export { readRunConfigInput, recordedConfig, resolveCheckConfig, resolveRunConfig } from "./run-config.ts";
export type { CheckConfig, ResolvedConfig, RunConfigFlags } from "./run-config.ts";
export { runObserve } from "./observe.ts";
export type { ObserveOutcome } from "./observe.ts";
