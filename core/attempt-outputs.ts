/**
 * Outputs of their own per attempt (issue 17: fenced outputs). A queue worker writes each output
 * under a name carrying its run and its claim's epoch — `data-<run id>-a<epoch>.parquet` beside
 * where a local run writes `data.parquet` — so a worker that lost its lease during a write (a stall,
 * a network partition) can only finish into a name no state record points at: the output becomes
 * current in the lease-fenced commit of its materialization (io/queue/_commit.ts), and `dagx gc`
 * deletes the names nothing committed. Pure.
 */

/**
 * The lease an attempt runs under, for an IO manager that publishes inside its own database
 * (postgresTable): its swap checks, in the same transaction, that this lease is still held — when
 * that database is the one holding the state (`stateSchema` there has the run's queue rows).
 */
export interface LeaseFence {
  stateSchema: string;
  runId: string;
  itemId: string;
  epoch: number;
  workerId: string;
  /** The claim's transaction id on the state server (decimal): a later claim has a larger one. */
  claimOrder?: string;
}

/** The tag of one claim of one queue item: its run and the epoch its lease was granted with. */
export function attemptTag(runId: string, epoch: number): string {
  return `${runId}-a${epoch}`;
}

/** `name` for an attempt: the tag goes before the extension (`data.parquet` → `data-<tag>.parquet`). */
export function attemptFileName(name: string, tag: string): string {
  const dot = name.lastIndexOf(".");
  return dot > 0 ? `${name.slice(0, dot)}-${tag}${name.slice(dot)}` : `${name}-${tag}`;
}

const ATTEMPT_OUTPUT = /^(?:data|value)-(.+)-a(\d+)\.(?:parquet|json)$/;

/** The run and epoch of a built-in output's attempt file name (`data-<run>-a<n>.parquet`, `value-…json`), or null. */
export function parseAttemptFileName(name: string): { runId: string; epoch: number } | null {
  const m = ATTEMPT_OUTPUT.exec(name);
  return m ? { runId: m[1]!, epoch: Number(m[2]) } : null;
}
