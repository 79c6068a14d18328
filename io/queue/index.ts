/**
 * The work queue in the Postgres state (DESIGN §16, issue 17; docs/workers.md): `--queue`
 * submission and following, `dagx worker`, and what `dagx runs` says about queued runs.
 * The only door into io/queue/: other folders import from here, never a file behind it.
 */
import { createPgOps, type PgOps } from "../state/index.ts";
import { cancelQueuedRun } from "./_commit.ts";
import { queueOverview } from "./_workers.ts";

export { submitQueuedRun } from "./submit.ts";
export type { SubmitOptions } from "./submit.ts";
export { DEFAULT_LEASE_MS, runWorker } from "./worker.ts";
export type { WorkerOptions, WorkerSummary } from "./worker.ts";
export { claimItem, enqueueRun, releaseItem, renewLease } from "./_claims.ts";
export type { Claim } from "./_claims.ts";
export { commitItem, LeaseLostError } from "./_commit.ts";
export type { ItemResult } from "./_commit.ts";
export { WORKER_ALIVE_MS } from "./_workers.ts";

/** The queue's connection pool on the Postgres state at `url` (closed by the caller). */
export function openQueue(url: string): PgOps {
  return createPgOps(url, { max: 2 });
}

/** Queued runs not ended (by run id: queued = nothing claimed yet) and how many workers are alive per queue. */
export async function readQueueOverview(url: string): Promise<Awaited<ReturnType<typeof queueOverview>>> {
  const ops = openQueue(url);
  try {
    return await queueOverview(ops);
  } finally {
    await ops.close();
  }
}

/** The queue name of `--queue NAME` / `dagx worker --queue NAME`. */
export const DEFAULT_QUEUE = "default";

/**
 * Cancel a queued run from any machine (`dagx cancel`, after the run's cancel request is recorded):
 * its steps not started are canceled now; running ones stop when their workers renew their leases.
 * Returns the run's final status when nothing was running (the run ended here), else null.
 */
export async function cancelQueuedRunAt(url: string, runId: string, now: number): Promise<string | null> {
  const ops = openQueue(url);
  try {
    return await cancelQueuedRun(ops, runId, now);
  } finally {
    await ops.close();
  }
}
