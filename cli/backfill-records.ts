/** Recorded backfills: `backfill list | show ID | cancel ID` (state only, no definitions), and how their counts read. */
import { DagxError } from "../core/errors.ts";
import type { BackfillCounts, BackfillPartitionRecord, BackfillRecord } from "../core/types.ts";
import type { BackfillStore } from "../core/state-store.ts";
import { backfillLiveStatus, cancelBackfill, QUEUED_RUN_HOST } from "../io/run/index.ts";
import { backfillItemJson, backfillShowJson } from "../io/reports/index.ts";
import { ago, formatTable, type Output } from "./output.ts";

/** The backfill a full id or a unique part of it names. */
export async function findBackfill(store: BackfillStore, id: string | undefined): Promise<{ backfill: BackfillRecord; partitions: BackfillPartitionRecord[] }> {
  if (!id) throw new DagxError("USAGE", "Give a backfill id: see `dagx backfill list`");
  const all = await store.listBackfills({ limit: 10_000 });
  const hits = all.filter((b) => b.backfillId === id || b.backfillId.startsWith(id) || b.backfillId.endsWith(id));
  if (hits.length !== 1) throw new DagxError("NOT_FOUND", `${hits.length ? `Backfill id "${id}" is ambiguous` : `No backfill "${id}"`}: see \`dagx backfill list\``);
  return (await store.getBackfill(hits[0]!.backfillId))!;
}

/** `backfill list | show ID | cancel ID`. */
export async function manageBackfill(out: Output, store: BackfillStore, sub: "list" | "show" | "cancel", id: string | undefined, now: number, cancelQueuedRun?: (runId: string) => Promise<void>): Promise<number> {
  if (sub === "list") {
    const list = await store.listBackfills({ limit: 50 });
    const counts = await store.countBackfillPartitions(list.map((b) => b.backfillId));
    if (out.json) out.data(list.map((b) => backfillItemJson(b, counts.get(b.backfillId), now)));
    else if (!list.length) out.say("No backfills yet: `dagx backfill SEL --partitions RANGE`");
    else out.print(formatTable(["BACKFILL", "STATUS", "CREATED", "SELECTION", "PARTITIONS", "DONE"], list.map((b) => [b.backfillId, backfillLiveStatus(b, now), ago(b.createdAt), b.selection, b.partitions, doneOf(counts.get(b.backfillId)!)]), out.c));
    return 0;
  }
  if (sub === "show") {
    const { backfill: b, partitions } = await findBackfill(store, id);
    const summary = (await store.countBackfillPartitions([b.backfillId])).get(b.backfillId)!;
    if (out.json) out.data(backfillShowJson(b, partitions, summary, now));
    else {
      out.print(`${out.c.bold(`Backfill ${b.backfillId}`)} ${backfillLiveStatus(b, now)} · ${b.selection} · ${b.partitions}`);
      out.print(formatCounts(summary));
      for (const p of partitions.filter((x) => x.status === "failed").slice(0, 20)) out.print(`${out.c.red("✗")} ${p.assetKey} [${p.partitionKey}] ${p.error ?? ""}`);
    }
    return 0;
  }
  // cancel
  const found = await findBackfill(store, id);
  const b = found.backfill;
  const r = await cancelBackfill(store, found, now);
  // handed to workers (`--queue`, maybe detached): its run's steps not started are canceled now, from any machine
  if (r.cancelRequested && b.host === QUEUED_RUN_HOST && cancelQueuedRun) {
    for (const runId of new Set(found.partitions.filter((p) => p.status === "pending" && p.runId).map((p) => p.runId!))) await cancelQueuedRun(runId);
  }
  if (!r.cancelRequested) out.print(`Backfill ${b.backfillId} is not running (${r.live})${r.markedCanceled ? ": marked canceled" : ""}`);
  else out.print(`Cancel requested: backfill ${b.backfillId} stops starting steps within a second; running steps are told to stop`);
  if (out.json) out.data({ backfillId: b.backfillId, cancelRequested: r.cancelRequested });
  return 0;
}

/** The one line of backfill counts (run summary and `backfill show`). */
export function formatCounts(c: BackfillCounts): string {
  return `${c.success}/${c.total} done, ${c.failed} failed, ${c.pending} pending, ${c.skipped} skipped, ${c.canceled} canceled`;
}

/** The DONE column of `backfill list`. */
function doneOf(c: BackfillCounts): string {
  const rest = [c.failed && `${c.failed} failed`, c.canceled && `${c.canceled} canceled`, c.pending && `${c.pending} pending`].filter(Boolean).join(", ");
  return `${c.success}/${c.total}${rest ? ` (${rest})` : ""}`;
}
