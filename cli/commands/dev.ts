import { defineCommand } from "citty";
import { parseDuration } from "../../core/duration.ts";
import { runDev } from "../../io/dev/index.ts";
import { concurrencyArg, concurrencyOf, globalArgs } from "../args.ts";
import { baseContext, projectRoot } from "../context.ts";

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
    concurrency: { ...concurrencyArg, description: "Steps at once (default: CPU count)" },
  },
  async run(cmd) {
    const { args } = cmd;
    const base = baseContext(cmd);
    const { out } = base;
    const root = projectRoot(cmd, base);
    const concurrency = concurrencyOf(args.concurrency);
    await runDev({
      root,
      materialize: args.materialize !== false,
      daemon: args.daemon !== false,
      debounceMs: args.debounce ? parseDuration(args.debounce, "--debounce") : 30,
      automationMs: args["automation-interval"] ? parseDuration(args["automation-interval"], "--automation-interval") : 5000,
      concurrency,
      maxRuns: 2,
      signal: base.cancelOnInterrupt("Stopping dagx dev (again to exit at once)"),
      say: (line) => out.say(line),
      paint: out.c,
      onReady: () => out.say(out.c.dim("watching for changes (Ctrl-C to stop)")),
    });
    return 0;
  },
});
