/**
 * What `dagx dev` says after a reload's run: which of the assets the save touched are still not
 * up to date, read from the same state and status code as `dagx status`. `dev` re-materializes
 * unpartitioned assets only, so a partitioned asset whose partitions went stale (its code
 * changed, an upstream changed) gets its count and the command that brings it up to date.
 */
import { formatRanges, type IndexSet, type PartitionSpace } from "../../core/partitions/index.ts";
import type { MaterializationStore, RunStore } from "../../core/state-store.ts";
import { readAssetState } from "../status/index.ts";
import type { Project } from "../project/index.ts";

/** A partitioned asset with partitions to bring up to date. */
export interface PartitionsBehind {
  key: string;
  total: number;
  stale: number;
  missing: number;
  failed: number;
  /** The command that materializes exactly those partitions. */
  command: string;
}

export interface DevStatus {
  /** Touched assets that are not fresh after the run, in graph order. */
  notFresh: string[];
  partitions: PartitionsBehind[];
}

/** Status of `keys` (the assets a reload touched) after the run, from `readAssetState` like `dagx status`. */
export async function readDevStatus(project: Project, store: RunStore & MaterializationStore, keys: readonly string[], now: number): Promise<DevStatus> {
  const wanted = new Set(keys);
  const partitioned = keys.filter((k) => project.graph.assets.get(k)?.partitioned);
  const st = await readAssetState(project.graph, project.storage, store, { now, perPartition: partitioned.length > 0 });
  const notFresh = project.graph.order.filter((k) => wanted.has(k) && st.statuses.get(k)?.status !== "fresh");
  const partitions: PartitionsBehind[] = [];
  for (const key of partitioned) {
    const p = st.partitionStatuses.get(key);
    if (!p) continue;
    const behind = p.stale.union(p.missing).union(p.failed);
    if (behind.isEmpty) continue;
    partitions.push({ key, total: p.total, stale: p.stale.size, missing: p.missing.size, failed: p.failed.size, command: commandFor(key, behind, p.space) });
  }
  return { notFresh, partitions };
}

/** `dagx backfill KEY --partitions RANGES` when the ranges are few and plain, else `dagx materialize KEY --stale` (the same partitions). */
function commandFor(key: string, behind: IndexSet, space: PartitionSpace): string {
  const ranges = space.kind === "multi" ? "…" : formatRanges(behind, space, { maxRanges: 3 }).replaceAll(", ", ",");
  return ranges.includes("…") || !/^[A-Za-z0-9_.,:+-]+$/.test(ranges) ? `dagx materialize ${key} --stale` : `dagx backfill ${key} --partitions ${ranges}`;
}

/** The line dev prints for one partitioned asset: `daily_revenue: 91 of 91 partitions stale — run: dagx backfill …`. */
export function formatPartitionsBehind(b: PartitionsBehind): string {
  const counts = ([[b.stale, "stale"], [b.missing, "missing"], [b.failed, "failed"]] as const).filter(([n]) => n > 0);
  const text = counts.map(([n, word], i) => (i === 0 ? `${n} of ${b.total} partitions ${word}` : `${n} ${word}`)).join(", ");
  return `${b.key}: ${text} — run: ${b.command}`;
}
