import { defineCommand } from "citty";
import { DagxError } from "../../core/errors.ts";
import type { StepResult } from "../../core/execute.ts";
import { formatDuration } from "../../core/duration.ts";
import { runMaterialize, type RunOutcome } from "../../io/run/index.ts";
import { parseTagArgs } from "../../core/tags.ts";
import { globalArgs, positionals, repeatedFlag, tagArg } from "../args.ts";
import { withProject } from "../context.ts";
import { checkJson } from "../check-format.ts";
import { createProgress } from "../progress.ts";
import { resolveSelected } from "../selection.ts";

export default defineCommand({
  meta: {
    name: "materialize",
    description:
      "Materialize the selected assets (all when no selection), upstream first.\n\nExamples:\n  dagx materialize orders+            orders and everything downstream\n  dagx materialize --stale            only what is missing, stale or failed\n  dagx materialize 'group:raw' --dry-run\n  dagx materialize daily_revenue --partitions 2024-01..2024-03\n  dagx materialize orders+ --tag ticket=OPS-12 --tag team=data",
  },
  args: {
    ...globalArgs,
    selection: { type: "positional", required: false, description: "Selection (see `dagx list --help`); several are a union" },
    stale: { type: "boolean", description: "Only assets that are missing, stale or failed" },
    concurrency: { type: "string", alias: "j", description: "Steps at once (default: config or CPU count)", valueHint: "N" },
    "dry-run": { type: "boolean", description: "Print the plan and exit" },
    partition: { type: "string", description: "One partition key of the partitioned assets", valueHint: "KEY" },
    partitions: { type: "string", description: "Partition range: A..B, prefixes (2024-01..2024-03), lists, latest, missing, failed, date=…,region=…", valueHint: "RANGE" },
    tag: tagArg,
    "ignore-blocking": { type: "boolean", description: "Run downstream assets even where a blocking check failed (in this run or an earlier one)" },
  },
  async run({ args, rawArgs }) {
    const tags = parseTagArgs(repeatedFlag(rawArgs, "tag"), "--tag");
    return withProject(args, async ({ out, project, store, now }) => {
      const words = positionals(args);
      if (project.graph.errors.length > 0 && words.length === 0) {
        throw new DagxError("DEFINITION_LOAD", `Cannot materialize everything: ${project.graph.errors.length} load error(s) in asset files (see above): fix them, or select what to run, e.g. \`dagx materialize orders+\``);
      }
      const selected = resolveSelected(project, words);
      const concurrency = args.concurrency !== undefined ? parseConcurrency(args.concurrency) : (project.config.concurrency ?? navigator.hardwareConcurrency ?? 4);
      const controller = new AbortController();
      let interrupts = 0;
      const onSigint = () => {
        interrupts++;
        if (interrupts === 1) {
          out.say(out.c.yellow("\nCanceling: no new steps start; running steps are told to stop (Ctrl-C again to exit at once)"));
          controller.abort();
        } else process.exit(130);
      };
      process.on("SIGINT", onSigint);
      process.on("SIGTERM", onSigint);
      const progress = createProgress(out, project.root);
      let outcome: RunOutcome;
      try {
        outcome = await runMaterialize(project, store, {
          selectionText: words.join(" ") || "*",
          selected,
          stale: Boolean(args.stale),
          concurrency,
          dryRun: Boolean(args["dry-run"]),
          trigger: "cli",
          signal: controller.signal,
          reporter: progress,
          partitionSelection: partitionArg(args.partition, args.partitions),
          singlePartition: args.partition !== undefined,
          tags,
          ignoreBlocking: Boolean(args["ignore-blocking"]),
          now,
        });
      } finally {
        progress.stop();
        process.off("SIGINT", onSigint);
        process.off("SIGTERM", onSigint);
      }
      progress.summary(outcome);
      if (out.json) out.data(toJson(outcome));
      if (outcome.status === "canceled") return 130;
      if (outcome.status === "failed") return 1;
      return 0;
    });
  },
});

/** `--partition KEY` is an exact key (quoted for the range grammar); `--partitions` a range. */
export function partitionArg(one: string | undefined, range: string | undefined): string | null {
  if (one !== undefined && range !== undefined) throw new DagxError("USAGE", "Give either --partition KEY or --partitions RANGE, not both");
  if (one !== undefined) return `"${one.replaceAll('"', '""')}"`;
  return range ?? null;
}

function parseConcurrency(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new DagxError("USAGE", `Invalid --concurrency "${v}": expected a whole number ≥ 1`);
  return n;
}

export function stepJson(s: StepResult) {
  return {
    key: s.key,
    partition: s.partition || null,
    status: s.status,
    rows: s.rows,
    durationMs: Math.round(s.durationMs),
    ...(s.status === "failed" ? { error: s.error } : {}),
    ...(s.status === "skipped" ? { reason: s.reason } : {}),
    ...(s.status === "success" && s.checks ? { checks: s.checks.map(checkJson) } : {}),
    ...(s.status === "success" && s.blocked ? { blocked: s.blocked } : {}),
  };
}

function toJson(o: RunOutcome) {
  if (o.status === "planned" || o.status === "nothing") {
    return { runId: null, status: o.status, steps: o.plan.steps.map((s) => ({ key: s.key, partition: s.partitionKey || null, status: "planned", reason: s.reason, ...(s.blocked ? { blocked: `blocked: ${s.blocked}` } : {}) })), fresh: o.plan.fresh, waiting: o.plan.waiting ?? [] };
  }
  return { runId: o.runId, status: o.status, durationMs: Math.round(o.durationMs), steps: o.steps.map(stepJson), waiting: o.plan.waiting ?? [] };
}

export { formatDuration };
