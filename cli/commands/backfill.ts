import { defineCommand } from "citty";
import { formatDuration } from "../../core/duration.ts";
import { DagxError } from "../../core/errors.ts";
import { backfillLiveStatus, cancelRun, readRunConfigInput, resolveRunConfig, runBackfill } from "../../io/run/index.ts";
import { concurrencyArg, concurrencyOf, configArgs, globalArgs, partitionArgs, positionals, queueArgs, queueFlags, repeatedFlag } from "../args.ts";
import { cancelQueuedRunAt, openQueue, submitQueuedRun } from "../../io/queue/index.ts";
import { createBackfillProgress } from "../backfill-progress.ts";
import { findBackfill, formatCounts, manageBackfill } from "../backfill-records.ts";
import { withProject, withState } from "../context.ts";
import { resolveSelected } from "../selection.ts";
import { stepJson } from "../../io/reports/index.ts";
import { uiLaunch } from "../launch-env.ts";

export default defineCommand({
  meta: {
    name: "backfill",
    description:
      "Persistent, resumable partition backfills.\n\nExamples:\n  dagx backfill daily_revenue+ --partitions 2024-01..2024-03\n  dagx backfill --resume 0193ab12      run only what is not done\n  dagx backfill cancel 0193ab12        from another terminal\n  dagx backfill list\n  dagx backfill show 0193ab12 --json",
  },
  args: {
    ...globalArgs,
    selection: { type: "positional", required: false, description: "Selection, or one of: list, show ID, cancel ID" },
    partitions: { ...partitionArgs.partitions, description: "Partition range (see `dagx materialize --help`), applied to each asset by its own granularity" },
    resume: { type: "string", description: "Resume the backfill with this id (or a unique part of it)", valueHint: "ID" },
    concurrency: concurrencyArg,
    ...configArgs,
    ...queueArgs,
  },
  async run(cmd) {
    const { args } = cmd;
    const words = positionals(args);
    const sub = words[0];
    // managing recorded backfills needs no definitions: no asset file is imported (they may be broken)
    if (sub === "list" || sub === "show" || sub === "cancel") {
      return withState(cmd, ({ out, store, stateUrl, now }) =>
        manageBackfill(out, store, sub, words[1], now(), stateUrl ? async (runId) => {
          await cancelRun(store, runId, now());
          await cancelQueuedRunAt(stateUrl, runId, now());
        } : undefined));
    }
    return withProject(cmd, async ({ out, project, store, stateUrl, now, cancelOnInterrupt, terminal }) => {
      const queued = queueFlags(args, stateUrl, "backfill");
      const resume = args.resume ? await findBackfill(store, args.resume) : null;
      if (resume && backfillLiveStatus(resume.backfill, now()) === "running") throw new DagxError("USAGE", `Backfill ${resume.backfill.backfillId} is still running (pid ${resume.backfill.pid}): cancel it first with \`dagx backfill cancel ${resume.backfill.backfillId}\``);
      if (!resume && !args.partitions) throw new DagxError("USAGE", "backfill needs --partitions RANGE (e.g. --partitions 2024-01..2024-03) or --resume ID");
      // several words are a union: recorded joined by "," (the lowest-precedence union) so --resume parses it back
      const selText = resume ? resume.backfill.selection : words.join(", ") || "*";
      const selected = resolveSelected(project, resume ? [selText] : words);
      const concurrency = concurrencyOf(args.concurrency, project.config.concurrency);
      // a resumed backfill runs with the config it started with (kept in its options)
      const flags = { args: repeatedFlag(cmd.rawArgs, "config"), file: args["config-file"] ?? null, cwd: terminal.cwd };
      if (resume && (flags.args.length > 0 || flags.file)) throw new DagxError("USAGE", `A resumed backfill runs with the config it started with: drop --config and --config-file, or start a new backfill`);
      const given = resume ? { input: (resume.backfill.options.config as Record<string, unknown> | undefined) ?? {}, problems: [] } : readRunConfigInput(project.graph, flags);
      const config = await resolveRunConfig(project.graph, selected, given.input, given.problems);
      const signal = cancelOnInterrupt("\nCanceling the backfill: no new steps start (Ctrl-C again to exit at once); resume later with --resume");
      const progress = createBackfillProgress(out);
      let result;
      const queue = queued ? openQueue(queued.url) : null;
      try {
        const launch = uiLaunch(terminal.env);
        // the id is chosen here: the queued run carries it, and the workers' commits record the backfill's partitions
        const backfillId = resume ? resume.backfill.backfillId : (launch.backfillId ?? Bun.randomUUIDv7());
        const submit = queue && queued ? { submit: (s: Parameters<typeof submitQueuedRun>[3]) => submitQueuedRun(queue, store, project, s, { queue: queued.name, detach: queued.detach, signal, now, backfillId }) } : {};
        result = await runBackfill(project, store, { ...(!resume ? { backfillId } : {}), selectionText: selText, selected, concurrency, signal, partitionSelection: resume ? resume.backfill.partitions : args.partitions!, resume, config, configInput: given.input, now, ...submit }, progress);
      } finally {
        progress.stop();
        await queue?.close();
      }
      const o = result.outcome;
      if (result.status === "running" && o?.runId) {
        out.say(`Backfill ${result.backfillId} queued on "${queued?.name}" (run ${o.runId}): workers record each partition; follow it with \`dagx backfill show ${result.backfillId}\``);
        if (out.json) out.data({ backfillId: result.backfillId, runId: o.runId, status: "queued", alreadyDone: result.alreadyDone, counts: result.counts, steps: [] });
        return 0;
      }
      const colour = result.status === "success" ? out.c.green : result.status === "canceled" ? out.c.yellow : out.c.red;
      // counts of the recorded partition statuses, as `backfill show` and `backfill list` give them
      out.print(`${colour(result.status === "success" ? "✔" : "✘")} Backfill ${result.backfillId} ${colour(result.status)} · ${formatCounts(result.counts)}${result.alreadyDone ? ` (${result.alreadyDone} already done before this run)` : ""}${o ? ` · ${formatDuration(o.durationMs)}` : ""}`);
      if (result.status !== "success") out.say(out.c.dim(`Resume: dagx backfill --resume ${result.backfillId}`));
      if (out.json) out.data({ backfillId: result.backfillId, runId: o?.runId ?? null, status: result.status, alreadyDone: result.alreadyDone, counts: result.counts, steps: (o?.steps ?? []).map(stepJson) });
      return result.status === "success" ? 0 : result.status === "canceled" ? 130 : 1;
    }, { readsState: true });
  },
});
