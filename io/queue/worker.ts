/**
 * `dagx worker`: claim ready items of a queue, run each with the local step runner
 * (_run-item.ts), renew its lease while it runs, commit its results fenced by the lease
 * (_commit.ts). Idle, it waits for a NOTIFY on the queue's channel (Bun's SQL `listen`), with a
 * poll as a backstop (a retry's delay, an expired lease of a dead worker, a missed notification).
 * On stop (SIGINT/SIGTERM → `signal`), running attempts are aborted and their items released at
 * once, without an attempt counted.
 */
import { hostname } from "node:os";
import { SQL } from "bun";
import { DagxError } from "../../core/errors.ts";
import { codeMismatch } from "../../core/queue.ts";
import type { StateStore } from "../../core/state-store.ts";
import type { Project } from "../project/index.ts";
import { createPgOps, type PgOps } from "../state/index.ts";
import { errorResult, runItem } from "./_run-item.ts";
import { type SharedCompute, sharedCompute } from "./_compute.ts";
import { type Claim, channelOf, claimItem, releaseItem, renewLease } from "./_claims.ts";
import { commitItem, LeaseLostError } from "./_commit.ts";
import { registerWorker, workerHeartbeat } from "./_workers.ts";

/** The lease of a claim unless DAGX_LEASE_MS says otherwise; renewed every third of it. */
export const DEFAULT_LEASE_MS = 30_000;
/** The idle poll, in case a notification is missed or a lease expires. */
const IDLE_POLL_MS = 1_000;

export interface WorkerOptions {
  project: Project;
  store: StateStore;
  url: string;
  queue: string;
  concurrency: number;
  leaseMs: number;
  sharedLocalStorage: boolean;
  signal: AbortSignal;
  now: () => number;
  /** Progress lines (stderr). */
  log(message: string): void;
}

export interface WorkerSummary {
  workerId: string;
  committed: number;
  failedCommits: number;
}

export async function runWorker(o: WorkerOptions): Promise<WorkerSummary> {
  const ops = createPgOps(o.url, { max: Math.max(2, o.concurrency + 2) });
  const workerId = `${hostname()}:${process.pid}:${Bun.randomUUIDv7().slice(-8)}`;
  const summary: WorkerSummary = { workerId, committed: 0, failedCommits: 0 };
  let wake: (() => void) | null = null;
  const poke = () => wake?.();
  const compute = sharedCompute();
  const listener = new SQL(ops.target.url, { max: 1, connection: { application_name: "dagx-worker" } });
  try {
    await registerWorker(ops, { workerId, queue: o.queue, host: hostname(), pid: process.pid, concurrency: o.concurrency, startedAt: o.now() });
    const subscription = await listener.listen(channelOf(ops), poke).catch(() => null); // a poll alone still works
    o.log(`Worker ${workerId} on queue "${o.queue}" (concurrency ${o.concurrency}, lease ${o.leaseMs} ms${subscription ? "" : ", polling: LISTEN failed"})`);
    const beat = setInterval(() => void workerHeartbeat(ops, workerId).catch(() => {}), 5_000);
    const running = new Set<Promise<void>>();
    const refusedOnce = new Set<string>();
    o.signal.addEventListener("abort", poke, { once: true });
    try {
      while (!o.signal.aborted) {
        let claimed = false;
        while (running.size < o.concurrency && !o.signal.aborted) {
          const c = await claimItem(ops, { queue: o.queue, workerId, leaseMs: o.leaseMs }).catch((e: unknown) => {
            o.log(`Cannot claim a step: ${(e as Error).message}`);
            return null;
          });
          if (!c) break;
          claimed = true;
          const mismatch = codeMismatch(c.codeVersions, (k) => o.project.graph.assets.get(k)?.codeVersion ?? null);
          if (mismatch) {
            const note = `${c.runId}\u0000${mismatch.key}`;
            const first = !refusedOnce.has(note);
            refusedOnce.add(note);
            const message = `Worker ${workerId} refused asset "${mismatch.key}" of run ${c.runId}: it was submitted with code version ${mismatch.recorded}, this worker's project has ${mismatch.current ?? "no such asset"} (a different checkout): left for a worker running the submitted code; update this worker's project and restart it`;
            await releaseItem(ops, c, { refuse: true, ...(first ? { note: { message, at: o.now() } } : {}) }).catch(() => {});
            if (first) o.log(message);
            continue;
          }
          const p: Promise<void> = work(ops, o, c, summary, compute).finally(() => {
            running.delete(p);
            poke();
          });
          running.add(p);
        }
        if (o.signal.aborted) break;
        if (claimed && running.size < o.concurrency) continue;
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, IDLE_POLL_MS);
          wake = () => {
            clearTimeout(t);
            resolve();
          };
        });
        wake = null;
      }
      await Promise.all(running);
    } finally {
      clearInterval(beat);
      await subscription?.unlisten().catch(() => {});
      await workerHeartbeat(ops, workerId, o.now()).catch(() => {});
    }
  } finally {
    await listener.close({ timeout: 1 }).catch(() => {});
    await compute.close();
    await ops.close();
  }
  return summary;
}

/** Run one claimed item: renew its lease meanwhile, then commit (or release it, when the worker stops). */
async function work(ops: PgOps, o: WorkerOptions, c: Claim, summary: WorkerSummary, compute: SharedCompute): Promise<void> {
  const label = c.steps.length === 1 ? (c.steps[0]!.partitionKey ? `${c.steps[0]!.key} [${c.steps[0]!.partitionKey}]` : c.steps[0]!.key) : c.itemId;
  const attempt = new AbortController();
  let lost = false;
  let canceled = false;
  const stop = () => attempt.abort();
  o.signal.addEventListener("abort", stop, { once: true });
  const renew = setInterval(() => {
    renewLease(ops, c, o.leaseMs).then((r) => {
      if (!r.held) {
        lost = true;
        attempt.abort();
      } else if (r.cancel && !canceled) {
        canceled = true;
        attempt.abort();
      }
    }).catch(() => {}); // a failed renewal is retried at the next tick; the lease decides
  }, Math.max(50, Math.floor(o.leaseMs / 3)));
  // an output is written only while the lease is this worker's, renewed for a whole lease from here
  const beforeStore = async (assetKey: string) => {
    const r = await renewLease(ops, c, o.leaseMs);
    if (r.held) return;
    lost = true;
    attempt.abort();
    throw new DagxError("OUTPUT_WRITE", `The output of "${assetKey}" was not written: this worker's lease on the step expired (the step was given to another worker)`, { exitCode: 1 });
  };
  o.log(`${label}: started (run ${c.runId}, attempt ${c.attempts})`);
  try {
    const result = await runItem({ project: o.project, store: o.store, now: o.now, sharedLocalStorage: o.sharedLocalStorage, stateSchema: ops.target.schema, log: (_l, m) => o.log(m), compute: () => compute.acquire(), beforeStore }, c, attempt.signal)
      .catch((e: unknown) => errorResult(c, `the worker could not run the step: ${(e as Error)?.message ?? String(e)}`, o.now()));
    clearInterval(renew);
    if (o.signal.aborted && !canceled && result.outcome !== "success") {
      // the worker stops: the item goes back to the queue at once, this attempt not counted (a success is committed)
      await releaseItem(ops, c, { refuse: false }).catch(() => {});
      o.log(`${label}: released (the worker is stopping)`);
      return;
    }
    if (lost) throw new LeaseLostError(c);
    const ended = await commitItem(ops, c, result);
    summary.committed++;
    o.log(`${label}: ${result.outcome}${result.error ? `: ${result.error}` : ""}`);
    if (ended) o.log(`Run ${c.runId} ended: ${ended}`);
  } catch (e) {
    summary.failedCommits++;
    if (e instanceof LeaseLostError) o.log(`${label}: lease lost, results discarded (${e.message})`);
    else o.log(`${label}: cannot record its results: ${(e as Error).message}`);
  } finally {
    clearInterval(renew);
    o.signal.removeEventListener("abort", stop);
  }
}
