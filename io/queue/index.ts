/**
 * The work queue in the Postgres state (DESIGN §16, issue 17; docs/workers.md): `--queue`
 * submission and following, `dagx worker`, and what `dagx runs` says about queued runs.
 * The only door into io/queue/: other folders import from here, never a file behind it.
 */
import { createPgOps, type PgOps } from "../state/index.ts";
import { queueOverview } from "./_sql.ts";

export { submitQueuedRun } from "./submit.ts";
export type { SubmitOptions } from "./submit.ts";
export { DEFAULT_LEASE_MS, runWorker } from "./worker.ts";
export type { WorkerOptions, WorkerSummary } from "./worker.ts";
export { claimItem, commitItem, enqueueRun, LeaseLostError, releaseItem, renewLease, WORKER_ALIVE_MS } from "./_sql.ts";
export type { Claim, ItemResult } from "./_sql.ts";

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
