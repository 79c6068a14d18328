/**
 * Cancel one run from any process: `dagx cancel RUN` and the UI's Cancel button call `cancelRun`.
 * The request is a flag on the run in the state (`RunStore.requestRunCancel`); the run's own
 * process polls it (cancel-watch.ts) and cancels as Ctrl-C does. A run whose process is gone
 * cannot answer: it is marked abandoned, as every command that notices a dead run does.
 */
import type { RunStore } from "../../core/state-store.ts";
import type { RunRecord } from "../../core/types.ts";
import { isRunAlive } from "../status/index.ts";

/** What `cancelRun` did, as a union on `status`. */
export type CancelRunResult =
  /** The flag is set (now, or by an earlier request: `alreadyRequested`); the run's process ends it `canceled` within about a second. */
  | { status: "requested"; run: RunRecord; alreadyRequested: boolean }
  /** The run had ended already (`run.status`: success, failed, canceled or abandoned); nothing changed. */
  | { status: "finished"; run: RunRecord }
  /** The run was `running` but its process is gone: marked `abandoned` now (the run as marked). */
  | { status: "abandoned"; run: RunRecord }
  /** No run has this id. */
  | { status: "unknown"; runId: string };

/**
 * Ask the run `runId` (a full id) to cancel, from any process. A backfill's run is canceled like
 * any other, and its backfill then ends `canceled` too (resumable), as with `dagx backfill cancel`.
 * @param now epoch ms: the request's time, and the clock for the liveness check
 * @example
 * const r = await cancelRun(store, runId, Date.now());
 * if (r.status === "requested") await waitForRunEnd(store, runId, { now: Date.now });
 */
export async function cancelRun(store: RunStore, runId: string, now: number, isAlive: (run: RunRecord) => boolean = (r) => isRunAlive(r, now)): Promise<CancelRunResult> {
  const run = await store.getRun(runId);
  if (!run) return { status: "unknown", runId };
  if (run.status !== "running") return { status: "finished", run };
  if (!isAlive(run)) {
    // the same marking as `dagx runs` and status: every dead run, this one among them
    const dead = await store.markAbandoned(isAlive, now);
    const after = (await store.getRun(runId))!;
    if (dead.includes(runId)) return { status: "abandoned", run: after };
    if (after.status !== "running") return { status: "finished", run: after };
  }
  const after = await store.requestRunCancel(runId, now);
  if (!after) return { status: "unknown", runId };
  // it ended between the read and the request: nothing was flagged
  if (after.status !== "running") return { status: "finished", run: after };
  return { status: "requested", run: after, alreadyRequested: run.cancelRequestedAt !== undefined };
}

export interface WaitForRunEndOptions {
  /** The clock (epoch ms). */
  now: () => number;
  /** Stop waiting (Ctrl-C): resolves with the run as it is then. */
  signal?: AbortSignal;
  /** Time between two reads of the run. @default 250 */
  everyMs?: number;
  /** Give up after this long and resolve with the run as it is then. @default no limit */
  timeoutMs?: number;
}

/**
 * Wait until the run is no longer `running` (a process that died meanwhile is marked abandoned);
 * resolves with the run record as it is then, still `running` only after `timeoutMs` or `signal`.
 */
export async function waitForRunEnd(store: RunStore, runId: string, o: WaitForRunEndOptions): Promise<RunRecord | null> {
  const everyMs = o.everyMs ?? 250;
  const deadline = o.timeoutMs === undefined ? Number.POSITIVE_INFINITY : o.now() + o.timeoutMs;
  for (;;) {
    let run = await store.getRun(runId);
    if (run?.status === "running" && !isRunAlive(run, o.now())) {
      await store.markAbandoned((r) => isRunAlive(r, o.now()), o.now());
      run = await store.getRun(runId);
    }
    if (!run || run.status !== "running" || o.signal?.aborted || o.now() >= deadline) return run;
    await new Promise<void>((resolve) => {
      const t = setTimeout(done, everyMs);
      function done() {
        clearTimeout(t);
        o.signal?.removeEventListener("abort", done);
        resolve();
      }
      o.signal?.addEventListener("abort", done, { once: true });
    });
  }
}
