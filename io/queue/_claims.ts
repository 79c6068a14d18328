/**
 * The work queue's claims on the Postgres state (tables of migration 5 in io/state/_pg-schema.ts):
 * enqueue a run, claim an item (`FOR UPDATE SKIP LOCKED`), renew and release a lease. Times of
 * leases are the server's (`now()`, `clock_timestamp()`): workers on several machines never
 * compare their own clocks. The commit fenced by the lease is in _commit.ts.
 */
import type { QueueItem } from "../../core/queue.ts";
import type { PlanStep } from "../../core/plan.ts";
import type { EventRecord, RunRecord } from "../../core/types.ts";
import { createRunInTx, type PgOps, writeStepResultsInTx } from "../state/index.ts";

/** The channel idle workers LISTEN on (one per state schema). */
export const channelOf = (ops: PgOps) => `dagx_queue_${ops.target.schema}`;

/** An event as a worker records it: its seq is given at commit (the run's events come from several processes). */
export type PendingEvent = Omit<EventRecord, "seq">;

/** What a queued run's options hold (queue_runs.options). */
export interface QueuedRunOptions {
  ignoreBlocking: boolean;
  /** Validated run config per asset ({ value, recorded, hash }). */
  config: Record<string, { value: unknown; recorded: unknown; hash: string }>;
  /** A `--stale` run: the assets its early cutoff may skip, evaluated by the worker at claim time (core/queue.ts unitCutoff). */
  stale?: { candidates: string[] };
}

/** The limits of the submitter's config that claims enforce across every worker: `pools`, `workers.maxSteps`. */
export interface QueueLimits {
  pools: Readonly<Record<string, number>>;
  maxSteps: number | null;
}

export async function enqueueRun(ops: PgOps, o: { run: RunRecord; runId: string; queue: string; items: readonly QueueItem[]; options: QueuedRunOptions; submittedAt: number; firstEvents: readonly EventRecord[]; limits?: QueueLimits; backfillId?: string | null }): Promise<void> {
  const options = JSON.stringify(o.options);
  await ops.tx("enqueue the run", async (q) => {
    await createRunInTx(q, o.run);
    await writeStepResultsInTx(q, { events: o.firstEvents, materializations: [], checks: [] });
    await q.unsafe("INSERT INTO queue_runs (run_id, queue, status, options, next_seq, submitted_at, backfill_id) VALUES ($1, $2, 'queued', $3, $4, $5, $6)", [o.runId, o.queue, options, o.firstEvents.length + 1, o.submittedAt, o.backfillId ?? null]);
    const rows = o.items.map((i) => ({
      run_id: o.runId, item_id: i.id, queue: o.queue, status: i.upstream.length ? "waiting" : "ready", steps: JSON.stringify(i.steps),
      code_versions: JSON.stringify(i.codeVersions), downstream: JSON.stringify(i.downstream), waiting: i.upstream.length, max_attempts: i.maxAttempts,
      pool: i.pool, pool_limit: i.pool === null ? null : (o.limits?.pools[i.pool] ?? null), total_limit: o.limits?.maxSteps ?? null,
    }));
    await q.unsafe(
      `INSERT INTO queue_items (run_id, item_id, queue, status, steps, code_versions, downstream, waiting, max_attempts, pool, pool_limit, total_limit)
       SELECT run_id, item_id, queue, status, steps, code_versions, downstream, waiting, max_attempts, pool, pool_limit, total_limit FROM jsonb_to_recordset($1::jsonb)
       AS x(run_id text, item_id text, queue text, status text, steps text, code_versions text, downstream text, waiting int, max_attempts int,
            pool text, pool_limit int, total_limit int)`,
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
  /**
   * The claim's transaction id on the state server (64-bit, `txid_current()`): later claims have
   * larger ones. Orders the swaps of postgresTable in a database other than the state's.
   */
  claimOrder?: string;
}

/** Items holding a slot: claimed with a lease not expired (of any queue: pools and `maxSteps` are the deployment's). */
const HOLDING = "p.status = 'claimed' AND p.lease_until >= clock_timestamp()";

/**
 * Claim the oldest ready item of `queue` (or one whose lease expired) that this worker has not
 * refused and whose pool has room, with a lease of `leaseMs`; null when there is none. The row is
 * locked `FOR UPDATE SKIP LOCKED`, so concurrent workers take different items.
 *
 * Limits (`pools`, `workers.maxSteps`) hold across every worker: a candidate is picked only while
 * its pool looks open, then the claim takes a transaction-scoped advisory lock per limit (the
 * deployment's, then the pool's: one order, no deadlock) and counts the claimed items again under
 * it. Claims in one pool are serialized by that lock, and each count sees the claims committed
 * before it: no two workers can both take the last slot. A pool found full under its lock
 * (another worker took the slot meanwhile) ends the transaction unwritten; the next try skips it.
 */
export async function claimItem(ops: PgOps, o: { queue: string; workerId: string; leaseMs: number }): Promise<Claim | null> {
  for (let tries = 0; tries < 8; tries++) {
    const c = await claimOnce(ops, o);
    if (c !== FULL) return c;
  }
  return null;
}

const FULL = Symbol("full");

async function claimOnce(ops: PgOps, o: { queue: string; workerId: string; leaseMs: number }): Promise<Claim | null | typeof FULL> {
  return ops.tx("claim a queued step", async (q) => {
    const [pick] = await q.unsafe(
      `SELECT run_id, item_id, status AS was, worker_id AS previous, pool, pool_limit, total_limit FROM queue_items i
       WHERE queue = $1 AND NOT ($2 = ANY(refused_by))
         AND ((status = 'ready' AND (not_before IS NULL OR not_before <= now())) OR (status = 'claimed' AND lease_until < clock_timestamp()))
         AND (pool_limit IS NULL OR (SELECT count(*) FROM queue_items p WHERE p.pool = i.pool AND ${HOLDING}) < pool_limit)
         AND (total_limit IS NULL OR (SELECT count(*) FROM queue_items p WHERE ${HOLDING}) < total_limit)
       ORDER BY seq LIMIT 1 FOR UPDATE SKIP LOCKED`,
      [o.queue, o.workerId],
    );
    if (!pick) return null;
    const lock = (name: string) => q.unsafe("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", [`dagx:${ops.target.schema}:${name}`]);
    if (pick.total_limit !== null) {
      await lock("steps");
      const [n] = await q.unsafe(`SELECT count(*) AS n FROM queue_items p WHERE ${HOLDING}`);
      if (Number(n?.n ?? 0) >= Number(pick.total_limit)) return FULL;
    }
    if (pick.pool_limit !== null) {
      await lock(`pool:${String(pick.pool)}`);
      const [n] = await q.unsafe(`SELECT count(*) AS n FROM queue_items p WHERE p.pool = $1 AND ${HOLDING}`, [pick.pool]);
      if (Number(n?.n ?? 0) >= Number(pick.pool_limit)) return FULL;
    }
    const [row] = await q.unsafe(
      `UPDATE queue_items i SET status = 'claimed', epoch = i.epoch + 1, attempts = i.attempts + 1, worker_id = $3,
         lease_until = clock_timestamp() + $4 * interval '1 millisecond', not_before = NULL
       WHERE i.run_id = $1 AND i.item_id = $2
       RETURNING i.run_id, i.item_id, i.epoch, i.steps, i.code_versions, i.downstream, i.attempts, i.max_attempts, txid_current()::text AS claim_order`,
      [pick.run_id, pick.item_id, o.workerId, o.leaseMs],
    );
    if (!row) return null;
    row.was = pick.was;
    row.previous = pick.previous;
    const runId = String(row.run_id);
    await q.unsafe("UPDATE queue_runs SET status = 'running' WHERE run_id = $1 AND status = 'queued'", [runId]);
    const [run] = await q.unsafe(
      `SELECT r.options, (x.cancel_requested_at IS NOT NULL OR COALESCE(b.cancel_requested, false)) AS cancel FROM queue_runs r
       LEFT JOIN runs x ON x.run_id = r.run_id LEFT JOIN backfills b ON b.backfill_id = r.backfill_id WHERE r.run_id = $1`,
      [runId],
    );
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
      claimOrder: String(row.claim_order),
    };
  });
}

/** Extend the lease; false when it is no longer this worker's (expired and claimed again, or released). Also says whether the run was asked to cancel. */
export async function renewLease(ops: PgOps, c: Claim, leaseMs: number): Promise<{ held: boolean; cancel: boolean }> {
  return ops.op("renew a lease", async (q) => {
    const [row] = await q.unsafe(
      `UPDATE queue_items SET lease_until = clock_timestamp() + $4 * interval '1 millisecond'
       WHERE run_id = $1 AND item_id = $2 AND epoch = $3 AND status = 'claimed' AND lease_until >= clock_timestamp()
       RETURNING ((SELECT cancel_requested_at IS NOT NULL FROM runs WHERE runs.run_id = $1)
         OR EXISTS (SELECT 1 FROM queue_runs r JOIN backfills b ON b.backfill_id = r.backfill_id WHERE r.run_id = $1 AND b.cancel_requested)) AS cancel`,
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
