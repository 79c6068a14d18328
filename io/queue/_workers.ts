/** The workers' rows (a heartbeat each, the server's clock) and what `dagx runs` says about queued runs. */
import type { PgOps } from "../state/index.ts";

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
