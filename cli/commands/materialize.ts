import { defineCommand } from "citty";
import { externalOnlyMessage } from "../../core/external.ts";
import { DagxError } from "../../core/errors.ts";
import { readRunConfigInput, resolveRunConfig, runMaterialize, type RunOutcome } from "../../io/run/index.ts";
import { parseTagArgs } from "../../core/tags.ts";
import { concurrencyArg, concurrencyOf, configArgs, globalArgs, partitionArgs, partitionSelectionOf, positionals, queueArgs, queueFlags, repeatedFlag, tagArg } from "../args.ts";
import { withProject } from "../context.ts";
import { runJson } from "../../io/reports/index.ts";
import { uiLaunch } from "../launch-env.ts";
import { createProgress } from "../progress.ts";
import { resolveSelected } from "../selection.ts";

export default defineCommand({
  meta: {
    name: "materialize",
    description:
      "Materialize the selected assets (all when no selection), upstream first.\n\nExamples:\n  dagx materialize orders+            orders and everything downstream\n  dagx materialize --stale            only what is missing, stale or failed\n  dagx materialize 'group:raw' --dry-run\n  dagx materialize daily_revenue --partitions 2024-01..2024-03\n  dagx materialize orders+ --tag ticket=OPS-12 --tag team=data\n  dagx materialize orders --config orders.limit=10 --config-file run.json",
  },
  args: {
    ...globalArgs,
    selection: { type: "positional", required: false, description: "Selection (see `dagx list --help`); several are a union" },
    stale: { type: "boolean", description: "Only assets that are missing, stale or failed" },
    concurrency: concurrencyArg,
    "dry-run": { type: "boolean", description: "Print the plan and exit" },
    ...partitionArgs,
    tag: tagArg,
    ...configArgs,
    "ignore-blocking": { type: "boolean", description: "Run downstream assets even where a blocking check failed (in this run or an earlier one)" },
    ...queueArgs,
  },
  async run(cmd) {
    const { args } = cmd;
    const tags = parseTagArgs(repeatedFlag(cmd.rawArgs, "tag"), "--tag");
    return withProject(cmd, async ({ out, project, store, stateUrl, now, cancelOnInterrupt, terminal }) => {
      const queued = queueFlags(args, stateUrl, "materialize");
      const words = positionals(args);
      if (project.graph.errors.length > 0 && words.length === 0) {
        throw new DagxError("DEFINITION_LOAD", `Cannot materialize everything: ${project.graph.errors.length} load error(s) in asset files (see above): fix them, or select what to run, e.g. \`dagx materialize orders+\``);
      }
      const selected = resolveSelected(project, words);
      const external = project.graph.order.filter((k) => selected.has(k) && project.graph.assets.get(k)!.external);
      if (external.length > 0 && external.length === selected.size) throw new DagxError("USAGE", externalOnlyMessage(external));
      const concurrency = concurrencyOf(args.concurrency, project.config.concurrency);
      // validated before the run starts: every problem at once, exit 2
      const given = readRunConfigInput(project.graph, { args: repeatedFlag(cmd.rawArgs, "config"), file: args["config-file"] ?? null, cwd: terminal.cwd });
      const config = await resolveRunConfig(project.graph, selected, given.input, given.problems);
      const launch = uiLaunch(terminal.env);
      const signal = cancelOnInterrupt("\nCanceling: no new steps start; running steps are told to stop (Ctrl-C again to exit at once)");
      const progress = createProgress(out, project.root);
      let outcome: RunOutcome;
      // the queue's code loads only for --queue (a command's chunk is read at start: docs/binary.md)
      const queueing = queued ? await import("../../io/queue/index.ts") : null;
      const queue = queued && queueing ? queueing.openQueue(queued.url) : null;
      try {
        outcome = await runMaterialize(project, store, {
          ...(queue && queued && queueing ? { submit: (s) => queueing.submitQueuedRun(queue, store, project, s, { queue: queued.name, detach: queued.detach, signal, now }) } : {}),
          selectionText: words.join(" ") || "*",
          selected,
          stale: Boolean(args.stale),
          concurrency,
          dryRun: Boolean(args["dry-run"]),
          trigger: launch.trigger,
          ...(launch.runId ? { runId: launch.runId } : {}),
          signal,
          reporter: progress,
          partitionSelection: partitionSelectionOf(args.partition, args.partitions),
          singlePartition: args.partition !== undefined,
          tags,
          ignoreBlocking: Boolean(args["ignore-blocking"]),
          config,
          now,
        });
      } finally {
        progress.stop();
        await queue?.close();
      }
      if (queued?.detach && outcome.runId) {
        out.say(`Run ${outcome.runId} queued on "${queued.name}": follow it with \`dagx logs ${outcome.runId}\`, see it in \`dagx runs\``);
        if (out.json) out.data({ runId: outcome.runId, status: "queued", queue: queued.name });
        else out.print(outcome.runId);
        return 0;
      }
      progress.summary(outcome);
      if (out.json) out.data(runJson(outcome));
      if (outcome.status === "canceled") return 130;
      if (outcome.status === "failed") return 1;
      return 0;
    }, { readsState: true });
  },
});
