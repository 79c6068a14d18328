/**
 * The commit of an attempt, fenced by its lease (one transaction), the cancel of a queued run, and
 * the reads of a run's new events (the follower of `--queue`).
 */
import { ENDED_ITEM, isFreshNote, type ItemStatus, queuedRunStatus } from "../../core/queue.ts";
import type { PlanStep } from "../../core/plan.ts";
import type { CheckResult, EventRecord, MaterializationRecord } from "../../core/types.ts";
import { eventFromRow, type PgOps, type PgTx, writeStepResultsInTx } from "../state/index.ts";
import { type Claim, channelOf, type PendingEvent } from "./_claims.ts";

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
  /** skipped by `--stale`'s early cutoff (its reason in `error`): the item ends satisfied, its downstream is made ready. */
  fresh?: boolean;
  /** failed, in a unit of several outs whose other outs were stored: the keys of the outs that failed (absent: every step failed). */
  failedKeys?: readonly string[];
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
    const [runRow] = await q.unsafe("SELECT status, backfill_id FROM queue_runs WHERE run_id = $1 FOR UPDATE", [c.runId]);
    const events: PendingEvent[] = [...r.events];
    const skipped: PlanStep[] = [];
    const newStatus: ItemStatus = r.outcome === "retry" ? "ready" : r.outcome;
    if (r.outcome === "success" || (r.outcome === "skipped" && r.fresh)) {
      await q.unsafe(
        `UPDATE queue_items SET waiting = waiting - 1, status = CASE WHEN status = 'waiting' AND waiting - 1 <= 0 THEN 'ready' ELSE status END
         WHERE run_id = $1 AND item_id = ANY($2::text[])`,
        [c.runId, r.blocked ? [] : c.downstream],
      );
    }
    if (r.outcome === "failed" || r.outcome === "canceled" || (r.outcome === "skipped" && !r.fresh) || (r.outcome === "success" && r.blocked)) {
      const label = labelOf(r.failedKeys ? c.steps.filter((s) => r.failedKeys!.includes(s.key)) : c.steps);
      const reason = r.blocked ? `blocked: ${r.blocked}` : `upstream "${label}" ${r.outcome === "canceled" ? "canceled" : "failed"}`;
      await skipDownstream(q, c.runId, c.downstream, reason, r.at, events, skipped);
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
      const status = queuedRunStatus(statuses.map((s) => ({ status: String(s.status) as ItemStatus, fresh: isFreshNote(String(s.status) as ItemStatus, s.error == null ? null : String(s.error)) })), run?.cancel_requested_at != null || statuses.some((s) => s.status === "canceled"));
      ended = anyBlocked && status === "success" ? "failed" : status;
      events.push({ runId: c.runId, at: r.at, type: "run_finished", assetKey: null, partitionKey: null, payload: { status: ended, durationMs: r.at - Number(run?.started_at ?? r.at) } });
    }
    if (r.outcome === "success" && r.blocked) await q.unsafe("UPDATE queue_items SET error = $3 WHERE run_id = $1 AND item_id = $2", [c.runId, c.itemId, `blocked: ${r.blocked}`]);
    const [seq] = await q.unsafe("UPDATE queue_runs SET next_seq = next_seq + $2 WHERE run_id = $1 RETURNING next_seq - $2 AS first", [c.runId, events.length]);
    const first = Number(seq?.first ?? 1);
    await writeStepResultsInTx(q, { events: events.map((e, i) => ({ ...e, seq: first + i })), materializations: r.materializations, checks: r.checks });
    await q.unsafe("UPDATE runs SET heartbeat_at = $2 WHERE run_id = $1", [c.runId, r.at]);
    const backfillId = runRow?.backfill_id == null ? null : String(runRow.backfill_id);
    if (backfillId !== null) {
      const failedOnly = r.failedKeys ? c.steps.filter((s) => r.failedKeys!.includes(s.key)) : c.steps;
      const rows = r.outcome === "retry" ? [] : partitionRows(failedOnly, r.outcome, r.error ?? null);
      if (r.outcome === "failed") rows.push(...partitionRows(c.steps.filter((s) => !failedOnly.includes(s)), "success", null));
      rows.push(...partitionRows(skipped, "skipped", null));
      await recordBackfill(q, backfillId, c.runId, rows, ended, r.at);
    }
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

/** A backfill partition's new status: one row per partition of each step (a single-run step holds several). */
interface PartitionRow {
  asset_key: string;
  partition_key: string;
  status: string;
  error: string | null;
}

function partitionRows(steps: readonly PlanStep[], status: string, error: string | null): PartitionRow[] {
  return steps.flatMap((s) => (s.partitionKeys ?? [""]).map((pk) => ({ asset_key: s.key, partition_key: pk, status, error: status === "failed" ? error : null })));
}

/**
 * The partition statuses of a queued backfill's run, in the commit that ends its steps (so a
 * detached backfill needs no process following it), and the backfill's end with its run's.
 * The rows were created `pending` with the run (io/run/backfill.ts), before it was enqueued.
 */
async function recordBackfill(q: PgTx, backfillId: string, runId: string, rows: readonly PartitionRow[], ended: string | null, at: number): Promise<void> {
  if (rows.length) {
    await q.unsafe(
      `UPDATE backfill_partitions p SET status = x.status, error = x.error, run_id = $2, updated_at = $3
       FROM jsonb_to_recordset($4::jsonb) AS x(asset_key text, partition_key text, status text, error text)
       WHERE p.backfill_id = $1 AND p.asset_key = x.asset_key AND p.partition_key = x.partition_key`,
      [backfillId, runId, at, rows],
    );
  }
  if (ended) {
    const status = ended === "success" ? "success" : ended === "canceled" ? "canceled" : "failed";
    await q.unsafe("UPDATE backfills SET status = $2, updated_at = $3 WHERE backfill_id = $1 AND status = 'running'", [backfillId, status, at]);
  }
}

/** Mark the items downstream of `from` (transitively) skipped, with a step_skipped event per step (the steps also go to `skipped`). */
async function skipDownstream(q: PgTx, runId: string, from: readonly string[], reason: string, at: number, events: PendingEvent[], skipped: PlanStep[] = []): Promise<void> {
  let next = [...from];
  while (next.length) {
    const rows = await q.unsafe(
      "UPDATE queue_items SET status = 'skipped', error = $3 WHERE run_id = $1 AND item_id = ANY($2::text[]) AND status IN ('waiting', 'ready') RETURNING steps, downstream",
      [runId, next, reason],
    );
    next = [];
    for (const row of rows) {
      for (const s of JSON.parse(String(row.steps)) as PlanStep[]) {
        events.push({ runId, at, type: "step_skipped", assetKey: s.key, partitionKey: s.partitionKey, payload: { reason } });
        skipped.push(s);
      }
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
    const [queued] = await q.unsafe("SELECT backfill_id FROM queue_runs WHERE run_id = $1 FOR UPDATE", [runId]);
    const rows = await q.unsafe("UPDATE queue_items SET status = 'canceled' WHERE run_id = $1 AND status IN ('waiting', 'ready') RETURNING steps", [runId]);
    const events: PendingEvent[] = [];
    const canceled = rows.flatMap((row) => JSON.parse(String(row.steps)) as PlanStep[]);
    for (const s of canceled) events.push({ runId, at, type: "step_canceled", assetKey: s.key, partitionKey: s.partitionKey, payload: { reason: "run canceled before the step started" } });
    const [open] = await q.unsafe("SELECT count(*) AS n FROM queue_items WHERE run_id = $1 AND status = 'claimed'", [runId]);
    const [run] = await q.unsafe("SELECT status FROM queue_runs WHERE run_id = $1", [runId]);
    const ends = Number(open?.n ?? 0) === 0 && run?.status !== "ended";
    if (ends) events.push({ runId, at, type: "run_finished", assetKey: null, partitionKey: null, payload: { status: "canceled" } });
    if (events.length) {
      const [seq] = await q.unsafe("UPDATE queue_runs SET next_seq = next_seq + $2 WHERE run_id = $1 RETURNING next_seq - $2 AS first", [runId, events.length]);
      await writeStepResultsInTx(q, { events: events.map((e, i) => ({ ...e, seq: Number(seq?.first ?? 1) + i })), materializations: [], checks: [] });
    }
    if (queued?.backfill_id != null) await recordBackfill(q, String(queued.backfill_id), runId, partitionRows(canceled, "canceled", null), ends ? "canceled" : null, at);
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

/** A run's events after `afterSeq`, in order (a follower reads only what is new). */
export async function eventsAfter(ops: PgOps, runId: string, afterSeq: number): Promise<EventRecord[]> {
  return ops.op("read the run's events", async (q) => (await q.unsafe("SELECT * FROM events WHERE run_id = $1 AND seq > $2 ORDER BY seq, id", [runId, afterSeq])).map((r) => eventFromRow(r as never)));
}
