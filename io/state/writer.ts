/**
 * Buffered writes to a `StateStore`: events pile up and go out in one transaction at most every
 * `flushMs`, so a run emitting hundreds of events opens the state file a few times a second at most.
 */
import { StateStoreError } from "../../core/errors.ts";
import type { CheckResult, EventRecord, MaterializationRecord } from "../../core/types.ts";
import type { StateStore } from "../../core/state-store.ts";

export interface StateWriterOptions {
  /** Longest time an event waits in the buffer before a background flush. @default 250 */
  flushMs?: number;
  /** Told about each failed background flush (the batch stays buffered and is retried). */
  onError?: (error: unknown) => void;
  /** Runs before materializations are committed, e.g. to make their outputs durable (group commit). */
  beforeWrite?: (materializations: readonly MaterializationRecord[]) => Promise<void>;
}

export interface StateWriter {
  /** Buffer an event; flushed within `flushMs`. */
  event(event: EventRecord): void;
  /** Buffer a materialization and flush soon (next tick): DESIGN §6 wants them committed at once. */
  materialization(materialization: MaterializationRecord): void;
  /** Buffer check results; written right after the events and materializations of the same flush. */
  checkResults(results: readonly CheckResult[]): void;
  /** Write everything buffered so far in one transaction; calls are serialized. Rejects if it cannot. */
  flush(): Promise<void>;
  /** Flush, then refuse further records. Rejects if the buffer cannot be written. */
  close(): Promise<void>;
  /** Records waiting to be written. */
  readonly pending: number;
}

/** What the writer calls: the batched `write` (events + materializations), then the flush's check results. */
export type StateWriterTarget = Pick<StateStore, "write" | "recordCheckResults">;

const MAX_RETRY_MS = 5_000;

/**
 * Create a writer over `store`. A failed background flush keeps its batch (in order, ahead of newer
 * records), retries with backoff, and reports through `onError`; the next `flush()`/`close()` retries
 * once more and rejects with the error if the batch still cannot be written — nothing is dropped.
 */
export function createStateWriter(store: StateWriterTarget, options: StateWriterOptions = {}): StateWriter {
  const flushMs = options.flushMs ?? 250;
  let events: EventRecord[] = [];
  let materializations: MaterializationRecord[] = [];
  let checks: CheckResult[] = [];
  let chain: Promise<void> = Promise.resolve();
  let timer: ReturnType<typeof setTimeout> | null = null;
  let timerDue = Number.POSITIVE_INFINITY;
  let failures = 0;
  let closed = false;

  const pending = () => events.length + materializations.length + checks.length;

  function schedule(delayMs: number): void {
    if (closed || pending() === 0) return;
    const due = Date.now() + delayMs;
    if (timer && timerDue <= due) return;
    if (timer) clearTimeout(timer);
    timerDue = due;
    timer = setTimeout(() => {
      timer = null;
      timerDue = Number.POSITIVE_INFINITY;
      writeBuffered().then(
        () => schedule(flushMs),
        (error) => {
          options.onError?.(error);
          schedule(Math.min(MAX_RETRY_MS, flushMs * 2 ** failures));
        },
      );
    }, delayMs);
  }

  /** Queue one write of whatever is buffered when its turn comes. */
  function writeBuffered(): Promise<void> {
    const turn = chain.then(async () => {
      if (pending() === 0) return;
      const batch = { events, materializations };
      const batchChecks = checks;
      events = [];
      materializations = [];
      checks = [];
      let written = false;
      try {
        if (batch.materializations.length && options.beforeWrite) await options.beforeWrite(batch.materializations);
        if (batch.events.length + batch.materializations.length) await store.write(batch);
        written = true;
        // after their materializations: a result never refers to an output state does not know
        if (batchChecks.length) await store.recordCheckResults(batchChecks);
        failures = 0;
      } catch (error) {
        checks = batchChecks.concat(checks);
        if (!written) {
          events = batch.events.concat(events);
          materializations = batch.materializations.concat(materializations);
        }
        failures++;
        throw error instanceof StateStoreError
          ? error
          : new StateStoreError(`Cannot write ${batch.events.length} events to the state store: ${String(error)}`, { cause: error });
      }
    });
    chain = turn.catch(() => {});
    return turn;
  }

  function accept(kind: string): void {
    if (closed) throw new StateStoreError(`Cannot buffer ${kind}: the state writer is closed`);
  }

  return {
    event(event) {
      accept("an event");
      events.push(event);
      schedule(flushMs);
    },
    materialization(materialization) {
      accept("a materialization");
      materializations.push(materialization);
      // Committed with the next flush window: a crash before it leaves an output newer than its row,
      // which status detects (io/status/output-drift.ts) and --stale repairs. One state session per
      // window instead of per step keeps per-asset overhead low.
      schedule(flushMs);
    },
    checkResults(results) {
      accept("check results");
      checks.push(...results);
      schedule(flushMs);
    },
    async flush() {
      await writeBuffered();
      schedule(flushMs);
    },
    async close() {
      closed = true;
      if (timer) clearTimeout(timer);
      timer = null;
      await writeBuffered();
    },
    get pending() {
      return pending();
    },
  };
}
