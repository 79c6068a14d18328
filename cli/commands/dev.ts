import { defineCommand } from "citty";
import { parseDuration } from "../../core/duration.ts";
import { DagxError } from "../../core/errors.ts";
import { runDev } from "../../io/dev/index.ts";
import { resolveProjectRoot } from "../../io/project/index.ts";
import { globalArgs } from "../args.ts";
import { createOutput } from "../output.ts";

export default defineCommand({
  meta: {
    name: "dev",
    description:
      "Watch the project: on every save reload the definitions in a fresh process, print what changed, and re-materialize the changed assets and their downstream (unchanged outputs cut off early). Also runs schedules, sensors and automation like `dagx daemon`.\n\nExamples:\n  dagx dev\n  dagx dev --no-materialize      only report what became stale",
  },
  args: {
    ...globalArgs,
    materialize: { type: "boolean", default: true, description: "Re-materialize changed assets (--no-materialize only reports them stale)" },
    daemon: { type: "boolean", default: true, description: "Run schedules, sensors and automation too (--no-daemon to skip)" },
    debounce: { type: "string", description: "Quiet time after the last save before reloading (default 30ms)", valueHint: "DURATION" },
    "automation-interval": { type: "string", description: "How often automation conditions are evaluated (default 5s in dev)", valueHint: "DURATION" },
    concurrency: { type: "string", alias: "j", description: "Steps at once (default: CPU count)", valueHint: "N" },
  },
  async run({ args }) {
    const out = createOutput(args);
    const root = resolveProjectRoot(args.cwd);
    const concurrency = args.concurrency ? Number(args.concurrency) : (navigator.hardwareConcurrency ?? 4);
    if (!Number.isInteger(concurrency) || concurrency < 1) throw new DagxError("USAGE", `Invalid --concurrency "${args.concurrency}": expected a whole number ≥ 1`);
    const controller = new AbortController();
    const stop = () => {
      if (controller.signal.aborted) process.exit(130);
      out.say(out.c.yellow("Stopping dagx dev (again to exit at once)"));
      controller.abort();
    };
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
    try {
      await runDev({
        root,
        materialize: args.materialize !== false,
        daemon: args.daemon !== false,
        debounceMs: args.debounce ? parseDuration(args.debounce, "--debounce") : 30,
        automationMs: args["automation-interval"] ? parseDuration(args["automation-interval"], "--automation-interval") : 5000,
        concurrency,
        maxRuns: 2,
        signal: controller.signal,
        say: (line) => out.say(line),
        paint: out.c,
        onReady: () => out.say(out.c.dim("watching for changes (Ctrl-C to stop)")),
      });
    } finally {
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
    }
    return 0;
  },
});
