import { defineCommand } from "citty";
import { DagxError } from "../../core/errors.ts";
import { DEFAULT_LEASE_MS, DEFAULT_QUEUE, runWorker } from "../../io/queue/index.ts";
import { concurrencyArg, concurrencyOf, globalArgs } from "../args.ts";
import { withProject } from "../context.ts";

export default defineCommand({
  meta: {
    name: "worker",
    description:
      "Execute queued runs' steps (`materialize --queue`, `backfill --queue`) until stopped: any number of workers on any machines sharing the project's Postgres state. SIGINT/SIGTERM stop it cleanly (its running steps go back to the queue at once).\n\nExamples:\n  dagx worker\n  dagx worker --concurrency 4 --queue warehouse",
  },
  args: {
    ...globalArgs,
    concurrency: { ...concurrencyArg, description: "Steps at once on this worker (default: config or CPU count)" },
    queue: { type: "string", description: `The queue to take steps from (default "${DEFAULT_QUEUE}")`, valueHint: "NAME" },
  },
  async run(cmd) {
    const { args } = cmd;
    return withProject(cmd, async ({ out, project, store, stateUrl, now, cancelOnInterrupt, terminal }) => {
      if (!stateUrl) {
        throw new DagxError("USAGE", "dagx worker needs a Postgres state: workers on several machines share their queue and results through it. Set DAGX_STATE_URL=postgres://user:password@host:5432/db (or `state` in dagx.config.ts); see docs/workers.md");
      }
      const leaseText = terminal.env.DAGX_LEASE_MS?.trim();
      const leaseMs = leaseText ? Number(leaseText) : DEFAULT_LEASE_MS;
      if (!Number.isInteger(leaseMs) || leaseMs < 100) throw new DagxError("USAGE", `Invalid DAGX_LEASE_MS "${leaseText}": expected a whole number of milliseconds ≥ 100`);
      const summary = await runWorker({
        project,
        store,
        url: stateUrl,
        queue: args.queue?.trim() || DEFAULT_QUEUE,
        concurrency: concurrencyOf(args.concurrency, project.config.concurrency),
        leaseMs,
        sharedLocalStorage: terminal.env.DAGX_WORKERS_SHARED_STORAGE === "1",
        signal: cancelOnInterrupt("Stopping the worker: running steps go back to the queue (again to exit at once)"),
        now,
        log: (line) => out.say(`${out.c.dim(new Date(now()).toISOString().slice(11, 19))} ${line}`),
      });
      out.say(`Worker ${summary.workerId} stopped: ${summary.committed} step result(s) recorded${summary.failedCommits ? `, ${summary.failedCommits} discarded or not recorded` : ""}`);
      return 0;
    });
  },
});
