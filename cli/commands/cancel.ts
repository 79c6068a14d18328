import { defineCommand } from "citty";
import { formatDuration } from "../../core/duration.ts";
import type { BackfillStore } from "../../core/state-store.ts";
import type { RunRecord } from "../../core/types.ts";
import { cancelRun, QUEUED_RUN_HOST, waitForRunEnd } from "../../io/run/index.ts";
import { cancelQueuedRunAt } from "../../io/queue/index.ts";
import { globalArgs } from "../args.ts";
import { withState } from "../context.ts";
import { findRun } from "../run-id.ts";

export default defineCommand({
  meta: {
    name: "cancel",
    description:
      "Cancel a running run from any terminal: its process stops starting steps and tells running ones to stop, as Ctrl-C does, within about a second (a unique part of the id works). A run that already ended is left as it is (exit 0).\n\nExamples:\n  dagx cancel 0193ab12\n  dagx cancel 0193ab12 --wait --json",
  },
  args: {
    ...globalArgs,
    run: { type: "positional", required: true, description: "Run id, a unique part of it, or `latest`" },
    wait: { type: "boolean", description: "Wait until the run has ended, and print how it ended" },
  },
  async run(cmd) {
    const { args } = cmd;
    // state only: no config, no asset file (the run's own process runs the user code)
    return withState(cmd, async ({ out, store, stateUrl, now, cancelOnInterrupt }) => {
      const found = await findRun(store, String(args.run));
      const r = await cancelRun(store, found.runId, now());
      // a run handed to workers: what has not started is canceled here; running steps stop at their workers' next lease renewal
      if (r.status === "requested" && stateUrl && r.run.host === QUEUED_RUN_HOST) await cancelQueuedRunAt(stateUrl, r.run.runId, now());
      if (r.status === "unknown") throw new Error(`internal: run ${found.runId} vanished`); // findRun just read it
      const { c } = out;
      const id = r.run.runId;
      const backfillId = r.run.trigger === "backfill" ? await backfillOf(store, r.run) : null;
      if (r.status === "finished") out.print(`Run ${id} already ended (${r.run.status}): nothing to cancel`);
      else if (r.status === "abandoned") out.print(`Run ${id} was running, but its process (pid ${r.run.pid} on ${r.run.host}) is gone: marked ${c.red("abandoned")}`);
      else {
        out.print(
          r.alreadyRequested
            ? `Cancel already requested ${formatDuration(now() - r.run.cancelRequestedAt!)} ago: run ${id} (pid ${r.run.pid}) is stopping`
            : r.run.host === QUEUED_RUN_HOST
              ? `Cancel requested: queued run ${id}: its steps not started are canceled; running ones stop at their workers' next lease renewal`
              : `Cancel requested: run ${id} (pid ${r.run.pid}) stops starting steps and tells running ones to stop within about a second`,
        );
        if (backfillId) out.print(`It is backfill ${backfillId}'s run: the backfill ends canceled too; resume it with \`dagx backfill --resume ${backfillId}\``);
      }
      let final: RunRecord = r.run;
      let waitedMs: number | null = null;
      if (args.wait && r.status === "requested") {
        const t0 = now();
        const signal = cancelOnInterrupt("\nStopped waiting: the cancel request stays (Ctrl-C again to exit at once)");
        final = (await waitForRunEnd(store, id, { now, signal })) ?? final;
        waitedMs = now() - t0;
        if (final.status !== "running") {
          const late = final.status === "canceled" ? "" : final.status === "abandoned" ? " (its process is gone)" : " (it finished before it saw the cancel)";
          out.print(`Run ${id} ended ${final.status === "canceled" ? c.yellow(final.status) : final.status} after ${formatDuration(waitedMs)}${late}`);
        }
      }
      if (out.json) {
        out.data({
          runId: id,
          result: r.status,
          alreadyRequested: r.status === "requested" && r.alreadyRequested,
          status: final.status,
          cancelRequestedAt: final.cancelRequestedAt === undefined ? null : new Date(final.cancelRequestedAt).toISOString(),
          endedAt: final.endedAt === null ? null : new Date(final.endedAt).toISOString(),
          backfillId,
          waitedMs,
        });
      }
      return args.wait && final.status === "running" ? 130 : 0;
    });
  },
});

/** The backfill this run belongs to (its process's backfill, whose partitions name the run), or null. */
async function backfillOf(store: BackfillStore, run: RunRecord): Promise<string | null> {
  const candidates = (await store.listBackfills({ limit: 200 })).filter((b) => b.pid === run.pid && b.host === run.host && b.createdAt <= run.startedAt);
  for (const b of candidates) {
    if ((await store.getBackfill(b.backfillId))?.partitions.some((p) => p.runId === run.runId)) return b.backfillId;
  }
  return null;
}
