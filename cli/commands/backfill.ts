import { defineCommand } from "citty";
import { formatDuration } from "../../core/duration.ts";
import { DagxError } from "../../core/errors.ts";
import type { BackfillCounts, BackfillPartitionRecord, BackfillRecord } from "../../core/types.ts";
import type { BackfillStore } from "../../core/state-store.ts";
import { backfillLiveStatus, runBackfill } from "../../io/run/index.ts";
import { globalArgs, positionals } from "../args.ts";
import { createBackfillProgress } from "../backfill-progress.ts";
import { withProject, withState } from "../context.ts";
import { ago, formatTable, type Output } from "../output.ts";
import { resolveSelected } from "../selection.ts";
import { stepJson } from "./materialize.ts";

export default defineCommand({
  meta: {
    name: "backfill",
    description:
      "Persistent, resumable partition backfills.\n\nExamples:\n  dagx backfill daily_revenue+ --partitions 2024-01..2024-03\n  dagx backfill --resume 0193ab12      run only what is not done\n  dagx backfill cancel 0193ab12        from another terminal\n  dagx backfill list\n  dagx backfill show 0193ab12 --json",
  },
  args: {
    ...globalArgs,
    selection: { type: "positional", required: false, description: "Selection, or one of: list, show ID, cancel ID" },
    partitions: { type: "string", description: "Partition range (see `dagx materialize --help`), applied to each asset by its own granularity", valueHint: "RANGE" },
    resume: { type: "string", description: "Resume the backfill with this id (or a unique part of it)", valueHint: "ID" },
    concurrency: { type: "string", alias: "j", description: "Steps at once (default: config or CPU count)", valueHint: "N" },
  },
  async run({ args }) {
    const words = positionals(args);
    const sub = words[0];
    // managing recorded backfills needs no definitions: no asset file is imported (they may be broken)
    if (sub === "list" || sub === "show" || sub === "cancel") return withState(args, ({ out, store, now }) => manage(out, store, sub, words[1], now()));
    return withProject(args, async ({ out, project, store, now }) => {
      const find = (id: string | undefined) => findBackfill(store, id);
      const resume = args.resume ? await find(args.resume) : null;
      if (resume && backfillLiveStatus(resume.backfill, now()) === "running") throw new DagxError("USAGE", `Backfill ${resume.backfill.backfillId} is still running (pid ${resume.backfill.pid}): cancel it first with \`dagx backfill cancel ${resume.backfill.backfillId}\``);
      if (!resume && !args.partitions) throw new DagxError("USAGE", "backfill needs --partitions RANGE (e.g. --partitions 2024-01..2024-03) or --resume ID");
      // several words are a union: recorded joined by "," (the lowest-precedence union) so --resume parses it back
      const selText = resume ? resume.backfill.selection : words.join(", ") || "*";
      const selected = resolveSelected(project, resume ? [selText] : words);
      const concurrency = args.concurrency ? Number(args.concurrency) : (project.config.concurrency ?? navigator.hardwareConcurrency ?? 4);
      if (!Number.isInteger(concurrency) || concurrency < 1) throw new DagxError("USAGE", `Invalid --concurrency "${args.concurrency}": expected a whole number ≥ 1`);
      const controller = new AbortController();
      let interrupts = 0;
      const onSig = () => {
        if (++interrupts === 1) {
          out.say(out.c.yellow("\nCanceling the backfill: no new steps start (Ctrl-C again to exit at once); resume later with --resume"));
          controller.abort();
        } else process.exit(130);
      };
      process.on("SIGINT", onSig);
      process.on("SIGTERM", onSig);
      const progress = createBackfillProgress(out);
      let result;
      try {
        result = await runBackfill(project, store, { selectionText: selText, selected, concurrency, signal: controller.signal, partitionSelection: resume ? resume.backfill.partitions : args.partitions!, resume, now }, progress);
      } finally {
        progress.stop();
        process.off("SIGINT", onSig);
        process.off("SIGTERM", onSig);
      }
      const o = result.outcome;
      const colour = result.status === "success" ? out.c.green : result.status === "canceled" ? out.c.yellow : out.c.red;
      // counts of the recorded partition statuses, as `backfill show` and `backfill list` give them
      out.print(`${colour(result.status === "success" ? "✔" : "✘")} Backfill ${result.backfillId} ${colour(result.status)} · ${formatCounts(result.counts)}${result.alreadyDone ? ` (${result.alreadyDone} already done before this run)` : ""}${o ? ` · ${formatDuration(o.durationMs)}` : ""}`);
      if (result.status !== "success") out.say(out.c.dim(`Resume: dagx backfill --resume ${result.backfillId}`));
      if (out.json) out.data({ backfillId: result.backfillId, runId: o?.runId ?? null, status: result.status, alreadyDone: result.alreadyDone, counts: result.counts, steps: (o?.steps ?? []).map(stepJson) });
      return result.status === "success" ? 0 : result.status === "canceled" ? 130 : 1;
    });
  },
});

async function findBackfill(store: BackfillStore, id: string | undefined): Promise<{ backfill: BackfillRecord; partitions: BackfillPartitionRecord[] }> {
  if (!id) throw new DagxError("USAGE", "Give a backfill id: see `dagx backfill list`");
  const all = await store.listBackfills({ limit: 10_000 });
  const hits = all.filter((b) => b.backfillId === id || b.backfillId.startsWith(id) || b.backfillId.endsWith(id));
  if (hits.length !== 1) throw new DagxError("NOT_FOUND", `${hits.length ? `Backfill id "${id}" is ambiguous` : `No backfill "${id}"`}: see \`dagx backfill list\``);
  return (await store.getBackfill(hits[0]!.backfillId))!;
}

/** `backfill list | show ID | cancel ID`. */
async function manage(out: Output, store: BackfillStore, sub: "list" | "show" | "cancel", id: string | undefined, now: number): Promise<number> {
  if (sub === "list") {
    const list = await store.listBackfills({ limit: 50 });
    const counts = await store.countBackfillPartitions(list.map((b) => b.backfillId));
    if (out.json) out.data(list.map((b) => ({ backfillId: b.backfillId, status: backfillLiveStatus(b, now), selection: b.selection, partitions: b.partitions, createdAt: new Date(b.createdAt).toISOString(), updatedAt: new Date(b.updatedAt).toISOString(), counts: counts.get(b.backfillId) })));
    else if (!list.length) out.say("No backfills yet: `dagx backfill SEL --partitions RANGE`");
    else out.print(formatTable(["BACKFILL", "STATUS", "CREATED", "SELECTION", "PARTITIONS", "DONE"], list.map((b) => [b.backfillId, backfillLiveStatus(b, now), ago(b.createdAt), b.selection, b.partitions, doneOf(counts.get(b.backfillId)!)]), out.c));
    return 0;
  }
  if (sub === "show") {
    const { backfill: b, partitions } = await findBackfill(store, id);
    const summary = (await store.countBackfillPartitions([b.backfillId])).get(b.backfillId)!;
    if (out.json) out.data({ backfillId: b.backfillId, status: backfillLiveStatus(b, now), selection: b.selection, partitions: b.partitions, createdAt: new Date(b.createdAt).toISOString(), updatedAt: new Date(b.updatedAt).toISOString(), counts: summary, steps: partitions.map((p) => ({ key: p.assetKey, partition: p.partitionKey || null, status: p.status, runId: p.runId, error: p.error })) });
    else {
      out.print(`${out.c.bold(`Backfill ${b.backfillId}`)} ${backfillLiveStatus(b, now)} · ${b.selection} · ${b.partitions}`);
      out.print(formatCounts(summary));
      for (const p of partitions.filter((x) => x.status === "failed").slice(0, 20)) out.print(`${out.c.red("✗")} ${p.assetKey} [${p.partitionKey}] ${p.error ?? ""}`);
    }
    return 0;
  }
  // cancel
  const { backfill: b, partitions } = await findBackfill(store, id);
  const live = backfillLiveStatus(b, now);
  if (live !== "running") {
    if (live === "abandoned") {
      // its process died: what it left pending is canceled now, in the one vocabulary of backfills
      await store.updateBackfillPartitions(partitions.filter((p) => p.status === "pending").map((p) => ({ ...p, status: "canceled" as const, updatedAt: now })));
      await store.updateBackfill(b.backfillId, { status: "canceled", updatedAt: now });
    }
    out.print(`Backfill ${b.backfillId} is not running (${live})${live === "abandoned" ? ": marked canceled" : ""}`);
  } else {
    await store.updateBackfill(b.backfillId, { cancelRequested: true, updatedAt: now });
    out.print(`Cancel requested: backfill ${b.backfillId} stops starting steps within a second; running steps are told to stop`);
  }
  if (out.json) out.data({ backfillId: b.backfillId, cancelRequested: live === "running" });
  return 0;
}

/** The one line of backfill counts (run summary and `backfill show`). */
function formatCounts(c: BackfillCounts): string {
  return `${c.success}/${c.total} done, ${c.failed} failed, ${c.pending} pending, ${c.skipped} skipped, ${c.canceled} canceled`;
}

/** The DONE column of `backfill list`. */
function doneOf(c: BackfillCounts): string {
  const rest = [c.failed && `${c.failed} failed`, c.canceled && `${c.canceled} canceled`, c.pending && `${c.pending} pending`].filter(Boolean).join(", ");
  return `${c.success}/${c.total}${rest ? ` (${rest})` : ""}`;
}
