import { hostname } from "node:os";
import { defineCommand } from "citty";
import { parseDuration } from "../../core/duration.ts";
import { DagxError } from "../../core/errors.ts";
import { fileLockDaemonStatus, lockDaemon, runDaemon } from "../../io/daemon/index.ts";
import { projectEnv } from "../../io/secrets/index.ts";
import { DEFAULT_QUEUE, openQueue, submitQueuedRun } from "../../io/queue/index.ts";
import { createDaemonElection, type DaemonStatus, readDaemonStatus, stateUrlOf } from "../../io/state/index.ts";
import { concurrencyArg, concurrencyOf, globalArgs, positionals, wholeNumberArg } from "../args.ts";
import { withProject } from "../context.ts";
import { ago } from "../output.ts";

export default defineCommand({
  meta: {
    name: "daemon",
    description:
      "Run schedules, sensors and declarative automation until stopped (SIGINT/SIGTERM stop it cleanly); other dagx commands keep working meanwhile. On the DuckDB state one daemon runs per project (file lock); on a Postgres state any number may run on any machines: one is elected leader and ticks, the others stand by and take over within seconds when it dies (docs/deploy.md). `dagx daemon status` shows who leads and who stands by.\n\nExamples:\n  dagx daemon\n  dagx daemon --automation-interval 10s --max-runs 4\n  dagx daemon status --json",
  },
  args: {
    ...globalArgs,
    action: { type: "positional", required: false, description: "run (default) or status" },
    "automation-interval": { type: "string", description: "How often automation conditions are evaluated (default 30s)", valueHint: "DURATION" },
    "max-automation-requests": { type: "string", description: "Cap of partitions/assets one automation evaluation may request (default 50)", valueHint: "N" },
    "max-runs": { type: "string", description: "Runs at once (default 2)", valueHint: "N" },
    "leader-timeout": { type: "string", description: "Postgres state: a standby deposes a leader whose heartbeat is older than this (default 15s, at least 1s)", valueHint: "DURATION" },
    concurrency: { ...concurrencyArg, description: "Steps at once inside a run (default: config or CPU count)" },
  },
  async run(cmd) {
    const { args } = cmd;
    const [action = "run", extra] = positionals(args);
    if (action !== "run" && action !== "status") throw new DagxError("USAGE", `Unknown action "${action}": use \`dagx daemon\` to run the daemon or \`dagx daemon status\` to see who runs it`);
    if (extra !== undefined) throw new DagxError("USAGE", `Unexpected argument "${extra}" after \`dagx daemon ${action}\``);
    const maxAutomationRequests = wholeNumberArg(args["max-automation-requests"], "max-automation-requests", 50);
    const maxRuns = wholeNumberArg(args["max-runs"], "max-runs", 2);
    const timeoutMs = args["leader-timeout"] ? parseDuration(args["leader-timeout"], "--leader-timeout") : 15_000;
    if (timeoutMs < 1000) throw new DagxError("USAGE", `--leader-timeout ${args["leader-timeout"]} is too short: use at least 1s (standbys would depose a healthy leader)`);
    return withProject(cmd, async ({ out, project, store, cancelOnInterrupt }) => {
      const url = stateUrlOf(project.config.state, projectEnv(project.root));
      if (action === "status") {
        const status = url ? await readDaemonStatus(url) : await fileLockDaemonStatus(project);
        if (out.json) out.data(status);
        else printStatus(status, out.print, (t) => out.c.dim(t));
        return 0;
      }
      const concurrency = concurrencyOf(args.concurrency, project.config.concurrency);
      const log = (line: string) => out.say(`${out.c.dim(new Date().toISOString().slice(11, 19))} ${line}`);
      // Postgres: any number of daemons, one elected; DuckDB: one per project folder
      const unlock = url ? () => {} : await lockDaemon(project);
      // workers.enqueue: the daemon's runs go to the workers' queue (docs/workers.md), followed to their end
      const workers = project.config.workers;
      if (workers?.enqueue && !url) throw new DagxError("CONFIG_INVALID", "workers.enqueue in dagx.config.ts needs a Postgres state: set DAGX_STATE_URL=postgres://user:password@host:5432/db (or `state` in dagx.config.ts), or remove workers.enqueue to run in the daemon's process (docs/workers.md)");
      const queue = workers?.enqueue && url ? openQueue(url) : null;
      const queueName = workers?.queue ?? DEFAULT_QUEUE;
      if (queue) log(`Runs go to queue "${queueName}" for \`dagx worker\` processes (workers.enqueue)`);
      try {
        await runDaemon({
          project,
          store,
          signal: cancelOnInterrupt("Stopping the daemon (again to exit at once)"),
          log,
          automationMs: args["automation-interval"] ? parseDuration(args["automation-interval"], "--automation-interval") : undefined,
          maxAutomationRequests,
          maxRuns,
          concurrency,
          ...(queue ? { enqueue: (s, signal) => submitQueuedRun(queue, store, project, s, { queue: queueName, detach: false, signal, now: () => Date.now(), onAbort: "stop-following" }) } : {}),
          ...(url ? { election: createDaemonElection(url, { timeoutMs, host: hostname(), pid: process.pid, log }) } : {}),
        });
      } finally {
        await queue?.close();
        unlock();
      }
      out.say("daemon stopped");
      return 0;
    });
  },
});

function printStatus(s: DaemonStatus, print: (line: string) => void, dim: (t: string) => string): void {
  const since = (iso: string | null) => (iso ? ` since ${iso.replace(/\.\d+Z$/, "Z")}` : "");
  const beat = (iso: string | null) => (iso ? dim(` (last heartbeat ${ago(Date.parse(iso))})`) : "");
  if (!s.leader) print(s.election === "postgres" ? "leader   none: no daemon leads this deployment" : "No daemon runs for this project (the DuckDB state allows one, by file lock)");
  else print(`leader   ${s.leader.host} pid ${s.leader.pid}${since(s.leader.since)}${s.leader.term === null ? "" : ` term ${s.leader.term}`}${beat(s.leader.lastBeatAt)}${s.leader.stale ? " — heartbeat stale: a standby will depose it" : ""}`);
  for (const x of s.standbys) print(`standby  ${x.host} pid ${x.pid}${since(x.since)}${beat(x.lastBeatAt)}`);
  if (s.election === "postgres" && s.standbys.length === 0) print(dim("no standby: run `dagx daemon` on another machine for failover"));
}
