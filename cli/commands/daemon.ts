import { defineCommand } from "citty";
import { parseDuration } from "../../core/duration.ts";
import { DagxError } from "../../core/errors.ts";
import { lockDaemon, runDaemon } from "../../io/daemon/index.ts";
import { globalArgs } from "../args.ts";
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
    concurrency: { type: "string", alias: "j", description: "Steps at once inside a run (default: config or CPU count)", valueHint: "N" },
  },
  async run({ args }) {
    const int = (v: string | undefined, name: string, dflt: number) => {
      if (v === undefined) return dflt;
      const n = Number(v);
      if (!Number.isInteger(n) || n < 1) throw new DagxError("USAGE", `Invalid --${name} "${v}": expected a whole number ≥ 1`);
      return n;
    };
    return withProject(args, async ({ out, project, store }) => {
      const unlock = await lockDaemon(project);
      const controller = new AbortController();
      const stop = () => {
        if (controller.signal.aborted) process.exit(130);
        out.say(out.c.yellow("Stopping the daemon (again to exit at once)"));
        controller.abort();
      };
      process.on("SIGINT", stop);
      process.on("SIGTERM", stop);
      try {
        await runDaemon({
          project,
          store,
          signal: controller.signal,
          log: (line) => out.say(`${out.c.dim(new Date().toISOString().slice(11, 19))} ${line}`),
          automationMs: args["automation-interval"] ? parseDuration(args["automation-interval"], "--automation-interval") : undefined,
          maxAutomationRequests: int(args["max-automation-requests"], "max-automation-requests", 50),
          maxRuns: int(args["max-runs"], "max-runs", 2),
          concurrency: int(args.concurrency, "concurrency", project.config.concurrency ?? navigator.hardwareConcurrency ?? 4),
        });
      } finally {
        process.off("SIGINT", stop);
        process.off("SIGTERM", stop);
        unlock();
      }
      out.say("daemon stopped");
      return 0;
    });
  },
});
