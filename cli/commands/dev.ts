import { defineCommand } from "citty";
import { parseDuration } from "../../core/duration.ts";
import { runDev } from "../../io/dev/index.ts";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { DagxError } from "../../core/errors.ts";
import { concurrencyArg, concurrencyOf, configArgs, globalArgs, repeatedFlag } from "../args.ts";
import { baseContext, projectRoot } from "../context.ts";
import { portArg } from "./ui.ts";

export default defineCommand({
  meta: {
    name: "dev",
    description:
      "Watch the project: on every save reload the definitions in a fresh process, print what changed, and re-materialize the changed assets and their downstream (unchanged outputs cut off early). Also runs schedules, sensors and automation like `dagx daemon`.\n\nExamples:\n  dagx dev\n  dagx dev --no-materialize      only report what became stale\n  dagx dev --no-ui               without the web UI (else served as dagx ui does, on port 3000 or a free one)\n  dagx dev --config orders.limit=10   every dev re-materialization runs orders with limit 10",
  },
  args: {
    ...globalArgs,
    materialize: { type: "boolean", default: true, description: "Re-materialize changed assets (--no-materialize only reports them stale)" },
    daemon: { type: "boolean", default: true, description: "Run schedules, sensors and automation too (--no-daemon to skip)" },
    debounce: { type: "string", description: "Quiet time after the last save before reloading (default 30ms)", valueHint: "DURATION" },
    "automation-interval": { type: "string", description: "How often automation conditions are evaluated (default 5s in dev)", valueHint: "DURATION" },
    concurrency: { ...concurrencyArg, description: "Steps at once (default: CPU count)" },
    config: { ...configArgs.config, description: "Run config of dev's re-materializations, ASSET.FIELD=VALUE (repeatable; not schedules' or sensors' runs)" },
    "config-file": { ...configArgs["config-file"], description: "Run config of dev's re-materializations from a JSON file, read again for each run" },
    ui: { type: "boolean", default: true, description: "Serve the web UI as `dagx ui` does (--no-ui to skip)" },
    "ui-port": { type: "string", description: "Port of the UI (default 3000, a free one when taken; 0 picks a free one)", valueHint: "N" },
  },
  async run(cmd) {
    const { args } = cmd;
    const base = baseContext(cmd);
    const { out } = base;
    const root = projectRoot(cmd, base);
    const concurrency = concurrencyOf(args.concurrency);
    const configFile = args["config-file"] ? resolve(base.terminal.cwd, args["config-file"]) : null;
    // the worker validates against the definitions at each run; a file that is missing or not JSON is refused now
    if (configFile) {
      try {
        JSON.parse(readFileSync(configFile, "utf8"));
      } catch (e) {
        const why = (e as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : e instanceof SyntaxError ? `not valid JSON: ${e.message}` : String((e as Error).message ?? e);
        throw new DagxError("RUN_CONFIG", `Cannot read --config-file "${args["config-file"]}": ${why}`);
      }
    }
    await runDev({
      root,
      materialize: args.materialize !== false,
      daemon: args.daemon !== false,
      debounceMs: args.debounce ? parseDuration(args.debounce, "--debounce") : 30,
      automationMs: args["automation-interval"] ? parseDuration(args["automation-interval"], "--automation-interval") : 5000,
      concurrency,
      config: { args: repeatedFlag(cmd.rawArgs, "config"), file: configFile, cwd: base.terminal.cwd },
      maxRuns: 2,
      ui: args.ui === false ? null : { port: portArg(args["ui-port"], 3000), portGiven: args["ui-port"] !== undefined },
      signal: base.cancelOnInterrupt("Stopping dagx dev (again to exit at once)"),
      say: (line) => out.say(line),
      paint: out.c,
      onReady: () => out.say(out.c.dim("watching for changes (Ctrl-C to stop)")),
    });
    return 0;
  },
});
