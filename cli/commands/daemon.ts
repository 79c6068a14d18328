import { defineCommand } from "citty";
import { parseDuration } from "../../core/duration.ts";
import { lockDaemon, runDaemon } from "../../io/daemon/index.ts";
import { concurrencyArg, concurrencyOf, globalArgs, wholeNumberArg } from "../args.ts";
import { withProject } from "../context.ts";

export default defineCommand({
  meta: {
    name: "daemon",
    description:
      "Run schedules, sensors and declarative automation until stopped (SIGINT/SIGTERM stop it cleanly). One daemon per project; other dagx commands keep working meanwhile.\n\nExamples:\n  dagx daemon\n  dagx daemon --automation-interval 10s --max-runs 4",
  },
  args: {
    ...globalArgs,
    "automation-interval": { type: "string", description: "How often automation conditions are evaluated (default 30s)", valueHint: "DURATION" },
    "max-automation-requests": { type: "string", description: "Cap of partitions/assets one automation evaluation may request (default 50)", valueHint: "N" },
    "max-runs": { type: "string", description: "Runs at once (default 2)", valueHint: "N" },
    concurrency: { ...concurrencyArg, description: "Steps at once inside a run (default: config or CPU count)" },
  },
  async run(cmd) {
    const { args } = cmd;
    const maxAutomationRequests = wholeNumberArg(args["max-automation-requests"], "max-automation-requests", 50);
    const maxRuns = wholeNumberArg(args["max-runs"], "max-runs", 2);
    return withProject(cmd, async ({ out, project, store, cancelOnInterrupt }) => {
      const concurrency = concurrencyOf(args.concurrency, project.config.concurrency);
      const unlock = await lockDaemon(project);
      try {
        await runDaemon({
          project,
          store,
          signal: cancelOnInterrupt("Stopping the daemon (again to exit at once)"),
          log: (line) => out.say(`${out.c.dim(new Date().toISOString().slice(11, 19))} ${line}`),
          automationMs: args["automation-interval"] ? parseDuration(args["automation-interval"], "--automation-interval") : undefined,
          maxAutomationRequests,
          maxRuns,
          concurrency,
        });
      } finally {
        unlock();
      }
      out.say("daemon stopped");
      return 0;
    });
  },
});
