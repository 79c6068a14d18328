/**
 * The work queue's statements on the Postgres state (tables of migration 2 in io/state/_pg-schema.ts):
 * enqueue a run, claim an item (`FOR UPDATE SKIP LOCKED`), renew and release a lease, and the
 * commit fenced by the lease's epoch. Times of leases are the server's (`now()`,
 * `clock_timestamp()`): workers on several machines never compare their own clocks.
 */
import { ENDED_ITEM, type ItemStatus, type QueueItem, queuedRunStatus } from "../../core/queue.ts";
import type { PlanStep } from "../../core/plan.ts";
import type { CheckResult, EventRecord, MaterializationRecord } from "../../core/types.ts";
import { eventFromRow, type PgOps, type PgTx, writeStepResultsInTx } from "../state/index.ts";

/** The channel idle workers LISTEN on (one per state schema). */
export const channelOf = (ops: PgOps) => `dagx_queue_${ops.target.schema}`;

/** An event as a worker records it: its seq is given at commit (the run's events come from several processes). */
export type PendingEvent = Omit<EventRecord, "seq">;

/** What a queued run's options hold (queue_runs.options). */
export interface QueuedRunOptions {
  ignoreBlocking: boolean;
  /** Validated run config per asset ({ value, recorded, hash }). */
  config: Record<string, { value: unknown; recorded: unknown; hash: string }>;
}

export async function enqueueRun(ops: PgOps, o: { runId: string; queue: string; items: readonly QueueItem[]; options: QueuedRunOptions; submittedAt: number; firstEvents: readonly EventRecord[] }): Promise<void> {
  const options = JSON.stringify(o.options);
  await ops.tx("enqueue the run", async (q) => {
    await writeStepResultsInTx(q, { events: o.firstEvents, materializations: [], checks: [] });
    await q.unsafe("INSERT INTO queue_runs (run_id, queue, status, options, next_seq, submitted_at) VALUES ($1, $2, 'queued', $3, $4, $5)", [o.runId, o.queue, options, o.firstEvents.length + 1, o.submittedAt]);
    const rows = o.items.map((i) => ({
      run_id: o.runId, item_id: i.id, queue: o.queue, status: i.upstream.length ? "waiting" : "ready", steps: JSON.stringify(i.steps),
      code_versions: JSON.stringify(i.codeVersions), downstream: JSON.stringify(i.downstream), waiting: i.upstream.length, max_attempts: i.maxAttempts,
    }));
    await q.unsafe(
      `INSERT INTO queue_items (run_id, item_id, queue, status, steps, code_versions, downstream, waiting, max_attempts)
       SELECT run_id, item_id, queue, status, steps, code_versions, downstream, waiting, max_attempts FROM jsonb_to_recordset($1::jsonb)
       AS x(run_id text, item_id text, queue text, status text, steps text, code_versions text, downstream text, waiting int, max_attempts int)`,
      [rows],
    );
    await q.unsafe("SELECT pg_notify($1, $2)", [channelOf(ops), o.runId]);
  });
}

/** An item a worker holds: its lease is (workerId, epoch). */
export interface Claim {
  runId: string;
  itemId: string;
  epoch: number;
  workerId: string;
  steps: PlanStep[];
  codeVersions: Record<string, string>;
  downstream: string[];
  /** Claims so far, this one included. */
  attempts: number;
  maxAttempts: number;
  /** The worker whose lease on the item expired before this claim (its attempt was lost), else null. */
  lostBy: string | null;
  options: QueuedRunOptions;
  /** The run was asked to cancel. */
  cancelRequested: boolean;
}

/**
 * Claim the oldest ready item of `queue` (or one whose lease expired) that this worker has not
 * refused, with a lease of `leaseMs`; null when there is none. The claim is one statement: the row
 * is locked `FOR UPDATE SKIP LOCKED`, so concurrent workers take different items.
 */
export async function claimItem(ops: PgOps, o: { queue: string; workerId: string; leaseMs: number }): Promise<Claim | null> {
  return ops.tx("claim a queued step", async (q) => {
    const [row] = await q.unsafe(
      `WITH c AS (
         SELECT run_id, item_id, status AS was, worker_id AS previous FROM queue_items
         WHERE queue = $1 AND NOT ($2 = ANY(refused_by))
           AND ((status = 'ready' AND (not_before IS NULL OR not_before <= now())) OR (status = 'claimed' AND lease_until < clock_timestamp()))
         ORDER BY seq LIMIT 1 FOR UPDATE SKIP LOCKED)
       UPDATE queue_items i SET status = 'claimed', epoch = i.epoch + 1, attempts = i.attempts + 1, worker_id = $2,
         lease_until = clock_timestamp() + $3 * interval '1 millisecond', not_before = NULL
       FROM c WHERE i.run_id = c.run_id AND i.item_id = c.item_id
       RETURNING i.run_id, i.item_id, i.epoch, i.steps, i.code_versions, i.downstream, i.attempts, i.max_attempts, c.was, c.previous`,
      [o.queue, o.workerId, o.leaseMs],
    );
    if (!row) return null;
    const runId = String(row.run_id);
    await q.unsafe("UPDATE queue_runs SET status = 'running' WHERE run_id = $1 AND status = 'queued'", [runId]);
    const [run] = await q.unsafe("SELECT r.options, (x.cancel_requested_at IS NOT NULL) AS cancel FROM queue_runs r LEFT JOIN runs x ON x.run_id = r.run_id WHERE r.run_id = $1", [runId]);
    return {
      runId,
      itemId: String(row.item_id),
      epoch: Number(row.epoch),
      workerId: o.workerId,
      steps: JSON.parse(String(row.steps)) as PlanStep[],
      codeVersions: JSON.parse(String(row.code_versions)) as Record<string, string>,
      downstream: JSON.parse(String(row.downstream)) as string[],
      attempts: Number(row.attempts),
      maxAttempts: Number(row.max_attempts),
      lostBy: row.was === "claimed" ? String(row.previous) : null,
      options: JSON.parse(String(run?.options ?? "{}")) as QueuedRunOptions,
      cancelRequested: Boolean(run?.cancel),
    };
  });
}

/** Extend the lease; false when it is no longer this worker's (expired and claimed again, or released). Also says whether the run was asked to cancel. */
export async function renewLease(ops: PgOps, c: Claim, leaseMs: number): Promise<{ held: boolean; cancel: boolean }> {
  return ops.op("renew a lease", async (q) => {
    const [row] = await q.unsafe(
      `UPDATE queue_items SET lease_until = clock_timestamp() + $4 * interval '1 millisecond'
       WHERE run_id = $1 AND item_id = $2 AND epoch = $3 AND status = 'claimed' AND lease_until >= clock_timestamp()
       RETURNING (SELECT cancel_requested_at IS NOT NULL FROM runs WHERE runs.run_id = $1) AS cancel`,
      [c.runId, c.itemId, c.epoch, leaseMs],
    );
    return { held: Boolean(row), cancel: Boolean(row?.cancel) };
  });
}

/**
 * Give the item back without an attempt counted (a stopping worker; a worker refusing other code,
 * `refuse`: it will not be offered to this worker again). Only while the lease is this worker's.
 */
export async function releaseItem(ops: PgOps, c: Claim, o: { refuse: boolean; note?: { message: string; at: number } }): Promise<boolean> {
  return ops.tx("release a queued step", async (q) => {
    // a note (why a worker refused the step) goes into the run's events: `dagx logs` and the follower show it
    if (o.note) {
      const [seq] = await q.unsafe("UPDATE queue_runs SET next_seq = next_seq + 1 WHERE run_id = $1 RETURNING next_seq - 1 AS seq", [c.runId]);
      const step = c.steps[0]!;
      const event: EventRecord = { runId: c.runId, seq: Number(seq?.seq ?? 1), at: o.note.at, type: "log", assetKey: step.key, partitionKey: null, payload: { level: "warn", message: o.note.message } };
      await writeStepResultsInTx(q, { events: [event], materializations: [], checks: [] });
    }
    const n = await q.unsafe(
      `UPDATE queue_items SET status = 'ready', attempts = attempts - 1, worker_id = NULL, lease_until = NULL,
         refused_by = CASE WHEN $4 THEN array_append(refused_by, worker_id) ELSE refused_by END
       WHERE run_id = $1 AND item_id = $2 AND epoch = $3 AND status = 'claimed'`,
      [c.runId, c.itemId, c.epoch, o.refuse],
    );
    const released = Number((n as unknown as { count: number }).count) > 0;
    if (released) await q.unsafe("SELECT pg_notify($1, $2)", [channelOf(ops), c.runId]);
    return released;
  });
}

/** A commit refused: the lease is no longer the worker's. Nothing was written. */
export class LeaseLostError extends Error {
  constructor(readonly claim: Claim) {
    super(`the lease on step "${claim.itemId}" of run ${claim.runId} is no longer this worker's (it expired, or the step was given to another worker): its results were discarded`);
    this.name = "LeaseLostError";
  }
}

/** What an attempt ends with. */
export interface ItemResult {
  outcome: "success" | "retry" | "failed" | "canceled" | "skipped";
  events: readonly PendingEvent[];
  materializations: readonly MaterializationRecord[];
  checks: readonly CheckResult[];
  /** retry: released for another claim after this delay. */
  delayMs?: number;
  /** success with a failed blocking check: its downstream is skipped with this reason. */
  blocked?: string | null;
  error?: string;
  at: number;
}

/**
 * Commit an attempt's results in ONE transaction that first checks the lease: the item is still
 * claimed by this worker at this epoch and its lease has not expired. Otherwise LeaseLostError and
 * nothing is written. Then: events (seqs from the run's counter, which also serializes the run's
 * commits), materializations, checks; the item's new status; its downstream made ready (success)
 * or skipped (failure, block, cancel); and, when this was the run's last open item, the run's end.
 * Returns the run's final status when this commit ended it.
 */
export async function commitItem(ops: PgOps, c: Claim, r: ItemResult): Promise<string | null> {
  const LOST = Symbol("lost");
  const ended = await ops.tx("commit a step's results", async (q): Promise<string | null | typeof LOST> => {
    const [held] = await q.unsafe(
      "SELECT 1 AS ok FROM queue_items WHERE run_id = $1 AND item_id = $2 AND epoch = $3 AND worker_id = $4 AND status = 'claimed' AND lease_until >= clock_timestamp() FOR UPDATE",
      [c.runId, c.itemId, c.epoch, c.workerId],
    );
    if (!held) return LOST; // nothing written yet: the transaction ends empty
    // the run's row: every commit of the run takes it, so exactly one of them sees the run's end below
    const [runRow] = await q.unsafe("SELECT status FROM queue_runs WHERE run_id = $1 FOR UPDATE", [c.runId]);
    const events: PendingEvent[] = [...r.events];
    let newStatus: ItemStatus = r.outcome === "retry" ? "ready" : r.outcome;
    if (r.outcome === "success") {
      await q.unsafe(
        `UPDATE queue_items SET waiting = waiting - 1, status = CASE WHEN status = 'waiting' AND waiting - 1 <= 0 THEN 'ready' ELSE status END
         WHERE run_id = $1 AND item_id = ANY($2::text[])`,
        [c.runId, r.blocked ? [] : c.downstream],
      );
    }
    if (r.outcome === "failed" || r.outcome === "canceled" || r.outcome === "skipped" || (r.outcome === "success" && r.blocked)) {
      const label = labelOf(c.steps);
      const reason = r.blocked ? `blocked: ${r.blocked}` : `upstream "${label}" ${r.outcome === "canceled" ? "canceled" : "failed"}`;
      await skipDownstream(q, c.runId, c.downstream, reason, r.at, events);
    }
    await q.unsafe(
      `UPDATE queue_items SET status = $3, worker_id = CASE WHEN $3 = 'ready' THEN NULL ELSE worker_id END, lease_until = NULL,
         not_before = CASE WHEN $3 = 'ready' THEN clock_timestamp() + $4 * interval '1 millisecond' ELSE NULL END, error = $5
       WHERE run_id = $1 AND item_id = $2`,
      [c.runId, c.itemId, newStatus, r.delayMs ?? 0, r.error ?? null],
    );
    let ended: string | null = null;
    const [still] = await q.unsafe("SELECT count(*) FILTER (WHERE status <> ALL($2::text[])) AS open FROM queue_items WHERE run_id = $1", [c.runId, [...ENDED_ITEM]]);
    const runEnds = Number(still?.open ?? 1) === 0 && String(runRow?.status) !== "ended";
    if (runEnds) {
      const statuses = await q.unsafe("SELECT status, error FROM queue_items WHERE run_id = $1", [c.runId]);
      const [run] = await q.unsafe("SELECT started_at, cancel_requested_at FROM runs WHERE run_id = $1", [c.runId]);
      const blocked = r.outcome === "success" && Boolean(r.blocked);
      const anyBlocked = blocked || statuses.some((s) => s.status === "success" && s.error !== null);
      const status = queuedRunStatus(statuses.map((s) => ({ status: String(s.status) as ItemStatus })), run?.cancel_requested_at != null || statuses.some((s) => s.status === "canceled"));
      ended = anyBlocked && status === "success" ? "failed" : status;
      events.push({ runId: c.runId, at: r.at, type: "run_finished", assetKey: null, partitionKey: null, payload: { status: ended, durationMs: r.at - Number(run?.started_at ?? r.at) } });
    }
    if (r.outcome === "success" && r.blocked) await q.unsafe("UPDATE queue_items SET error = $3 WHERE run_id = $1 AND item_id = $2", [c.runId, c.itemId, `blocked: ${r.blocked}`]);
    const [seq] = await q.unsafe("UPDATE queue_runs SET next_seq = next_seq + $2 WHERE run_id = $1 RETURNING next_seq - $2 AS first", [c.runId, events.length]);
    const first = Number(seq?.first ?? 1);
    await writeStepResultsInTx(q, { events: events.map((e, i) => ({ ...e, seq: first + i })), materializations: r.materializations, checks: r.checks });
    await q.unsafe("UPDATE runs SET heartbeat_at = $2 WHERE run_id = $1", [c.runId, r.at]);
    if (ended) {
      await q.unsafe("UPDATE runs SET status = $2, ended_at = $3 WHERE run_id = $1", [c.runId, ended, r.at]);
      await q.unsafe("UPDATE queue_runs SET status = 'ended', ended_at = $2 WHERE run_id = $1", [c.runId, r.at]);
    }
    await q.unsafe("SELECT pg_notify($1, $2)", [channelOf(ops), c.runId]);
    return ended;
  });
  if (ended === LOST) throw new LeaseLostError(c);
  return ended;
}

/** Mark the items downstream of `from` (transitively) skipped, with a step_skipped event per step. */
async function skipDownstream(q: PgTx, runId: string, from: readonly string[], reason: string, at: number, events: PendingEvent[]): Promise<void> {
  let next = [...from];
  while (next.length) {
    const rows = await q.unsafe(
      "UPDATE queue_items SET status = 'skipped', error = $3 WHERE run_id = $1 AND item_id = ANY($2::text[]) AND status IN ('waiting', 'ready') RETURNING steps, downstream",
      [runId, next, reason],
    );
    next = [];
    for (const row of rows) {
      for (const s of JSON.parse(String(row.steps)) as PlanStep[]) events.push({ runId, at, type: "step_skipped", assetKey: s.key, partitionKey: s.partitionKey, payload: { reason } });
      next.push(...(JSON.parse(String(row.downstream)) as string[]));
    }
  }
}

/**
 * Cancel what has not started of a queued run (its claimed items end when their workers see the
 * request); ends the run when nothing is claimed. Returns the run's final status when it ended here.
 */
export async function cancelQueuedRun(ops: PgOps, runId: string, at: number): Promise<string | null> {
  return ops.tx("cancel a queued run", async (q) => {
    await q.unsafe("SELECT next_seq FROM queue_runs WHERE run_id = $1 FOR UPDATE", [runId]);
    const rows = await q.unsafe("UPDATE queue_items SET status = 'canceled' WHERE run_id = $1 AND status IN ('waiting', 'ready') RETURNING steps", [runId]);
    const events: PendingEvent[] = [];
    for (const row of rows) for (const s of JSON.parse(String(row.steps)) as PlanStep[]) events.push({ runId, at, type: "step_canceled", assetKey: s.key, partitionKey: s.partitionKey, payload: { reason: "run canceled before the step started" } });
    const [open] = await q.unsafe("SELECT count(*) AS n FROM queue_items WHERE run_id = $1 AND status = 'claimed'", [runId]);
    const [run] = await q.unsafe("SELECT status FROM queue_runs WHERE run_id = $1", [runId]);
    const ends = Number(open?.n ?? 0) === 0 && run?.status !== "ended";
    if (ends) events.push({ runId, at, type: "run_finished", assetKey: null, partitionKey: null, payload: { status: "canceled" } });
    if (events.length) {
      const [seq] = await q.unsafe("UPDATE queue_runs SET next_seq = next_seq + $2 WHERE run_id = $1 RETURNING next_seq - $2 AS first", [runId, events.length]);
      await writeStepResultsInTx(q, { events: events.map((e, i) => ({ ...e, seq: Number(seq?.first ?? 1) + i })), materializations: [], checks: [] });
    }
    if (!ends) return null;
    await q.unsafe("UPDATE runs SET status = 'canceled', ended_at = $2 WHERE run_id = $1", [runId, at]);
    await q.unsafe("UPDATE queue_runs SET status = 'ended', ended_at = $2 WHERE run_id = $1", [runId, at]);
    return "canceled";
  });
}

const labelOf = (steps: readonly PlanStep[]) => {
  const s = steps[0]!;
  return s.partitionKey ? `${steps.map((x) => x.key).join(", ")} [${s.partitionKey}]` : steps.map((x) => x.key).join(", ");
};

/** Workers: a row each, its heartbeat the server's clock. */
export async function registerWorker(ops: PgOps, w: { workerId: string; queue: string; host: string; pid: number; concurrency: number; startedAt: number }): Promise<void> {
  await ops.op("register the worker", (q) =>
    q.unsafe("INSERT INTO queue_workers (worker_id, queue, host, pid, concurrency, started_at, heartbeat_at) VALUES ($1, $2, $3, $4, $5, $6, clock_timestamp())", [w.workerId, w.queue, w.host, w.pid, w.concurrency, w.startedAt]));
}

export async function workerHeartbeat(ops: PgOps, workerId: string, stoppedAt: number | null = null): Promise<void> {
  await ops.op("record the worker's heartbeat", (q) => q.unsafe("UPDATE queue_workers SET heartbeat_at = clock_timestamp(), stopped_at = $2 WHERE worker_id = $1", [workerId, stoppedAt]));
}

/** A worker is alive when its heartbeat is this recent (it beats every few seconds). */
export const WORKER_ALIVE_MS = 15_000;

/** Per queued run not ended: its queue, open items, how many are claimed and how many were refused (other code); and live workers per queue. */
export async function queueOverview(ops: PgOps): Promise<{ runs: Map<string, { queue: string; claimed: number; open: number; refused: number }>; workers: Map<string, number> }> {
  return ops.op("read the queue", async (q) => {
    const rows = await q.unsafe(
      `SELECT r.run_id, r.queue, count(*) FILTER (WHERE i.status = 'claimed') AS claimed, count(*) FILTER (WHERE i.status IN ('waiting', 'ready', 'claimed')) AS open,
         count(*) FILTER (WHERE i.status = 'ready' AND cardinality(i.refused_by) > 0) AS refused
       FROM queue_runs r JOIN queue_items i ON i.run_id = r.run_id WHERE r.status <> 'ended' GROUP BY r.run_id, r.queue`,
    );
    const workers = await q.unsafe(
      "SELECT queue, count(*) AS n FROM queue_workers WHERE stopped_at IS NULL AND heartbeat_at > clock_timestamp() - $1 * interval '1 millisecond' GROUP BY queue",
      [WORKER_ALIVE_MS],
    );
    return {
      runs: new Map(rows.map((r) => [String(r.run_id), { queue: String(r.queue), claimed: Number(r.claimed), open: Number(r.open), refused: Number(r.refused) }])),
      workers: new Map(workers.map((w) => [String(w.queue), Number(w.n)])),
    };
  });
}

/** A run's events after `afterSeq`, in order (a follower reads only what is new). */
export async function eventsAfter(ops: PgOps, runId: string, afterSeq: number): Promise<EventRecord[]> {
  return ops.op("read the run's events", async (q) => (await q.unsafe("SELECT * FROM events WHERE run_id = $1 AND seq > $2 ORDER BY seq, id", [runId, afterSeq])).map((r) => eventFromRow(r as never)));
}
