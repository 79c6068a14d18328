/**
 * How a running run notices a cancel asked for by another process (`dagx cancel`, the UI): it reads
 * its own run record's `cancelRequestedAt` from the state at least every `everyMs` (500 ms), and
 * only once the run has lasted that long — a trivial run never polls at all.
 *
 * A poll is a state session of its own (~8 ms wall, ~10 ms CPU, the file's lock held meanwhile) when
 * nothing else is going on, but a read queued right after one of the run's own writes joins that
 * write's session (it lingers 20 ms, io/state/_session.ts) and costs a fraction of a millisecond.
 * So a busy run polls right after a write, once its previous poll is at least half a period old,
 * and a quiet one (a long step, no events) when the timer comes due: within `everyMs` + one session
 * of the request either way. The decision and its figures: docs/ARCHITECTURE.md, "Decisions".
 *
 * The cadence runs on the process's monotonic clock, not the run's injected one: a test or daemon
 * clock that jumps hours must not turn the poll into a loop.
 */
import type { RunStore } from "../../core/state-store.ts";

export interface CancelWatch {
  /** Tell the watch the run just wrote to the state: a poll due soon is made now, in that session. */
  afterWrite(): void;
  /** Stop polling (the run's steps ended). Idempotent. */
  stop(): void;
}

export interface CancelWatchOptions {
  /** Longest time between two polls, and the run age before the first. @default 500 */
  everyMs?: number;
  /** Called once, when the flag is first seen. */
  onCancel(requestedAt: number): void;
}

/** Poll `runId`'s cancel flag while the run lasts; see the file comment for the cadence. */
export function watchRunCancel(store: Pick<RunStore, "getRun">, runId: string, o: CancelWatchOptions): CancelWatch {
  const everyMs = o.everyMs ?? 500;
  const now = () => performance.now();
  const started = now();
  let lastPoll = started;
  let polling = false;
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | null = null;

  const arm = (delayMs: number) => {
    if (timer) clearTimeout(timer);
    timer = stopped ? null : setTimeout(poll, Math.max(0, delayMs));
  };
  function poll(): void {
    if (timer) clearTimeout(timer);
    timer = null;
    if (stopped || polling) return;
    polling = true;
    lastPoll = now();
    store.getRun(runId).then(
      (run) => {
        polling = false;
        if (stopped) return;
        if (run?.cancelRequestedAt !== undefined) {
          stopped = true;
          o.onCancel(run.cancelRequestedAt);
        } else arm(lastPoll + everyMs - now());
      },
      // a busy or unreadable state file: try again next period (the run itself reports write errors)
      () => {
        polling = false;
        arm(everyMs);
      },
    );
  }
  arm(everyMs);
  return {
    afterWrite() {
      const t = now();
      if (!stopped && !polling && t - started >= everyMs && t - lastPoll >= everyMs / 2) poll();
    },
    stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      timer = null;
    },
  };
}

/** A run's signal that a first Ctrl-C (`signal`) or a cancel from another process aborts, with its watch. */
export interface RunCancel extends CancelWatch {
  readonly signal: AbortSignal;
}

/**
 * Watch `runId`'s cancel flag and abort the returned signal when it is seen (after `notice`, which
 * logs it), as a first Ctrl-C aborts `signal`: a run passes the returned one to its steps instead.
 */
export function runCancel(store: Pick<RunStore, "getRun">, runId: string, signal: AbortSignal, o: { notice(message: string): void }): RunCancel {
  const remote = new AbortController();
  const watch = watchRunCancel(store, runId, {
    onCancel: () => {
      if (signal.aborted) return;
      o.notice("Cancel requested from another process: no new steps start; running steps are told to stop");
      remote.abort();
    },
  });
  return { signal: AbortSignal.any([signal, remote.signal]), afterWrite: watch.afterWrite, stop: watch.stop };
}
