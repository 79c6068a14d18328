/**
 * `dagx gc`: retention of state (old runs and events, history, ticks, finished requests and
 * backfills) and removal of orphan output files — files no latest materialization points at
 * (superseded attempt files of workers, and those of attempts that lost their lease, among them),
 * older than a grace period so that a run committing its rows right now is never robbed.
 */
import { readdirSync, rmdirSync, rmSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { parseAttemptFileName } from "../../core/attempt-outputs.ts";
import type { GcCounts } from "../../core/types.ts";
import type { StateStore } from "../../core/state-store.ts";
import type { Storage } from "./storage.ts";

export interface GcResult extends GcCounts {
  orphanFiles: number;
  orphanBytes: number;
  tempFiles: number;
}

/** Files younger than this are never treated as orphans (a run may be about to commit them). */
export const ORPHAN_GRACE_MS = 60 * 60 * 1000;

export async function runGc(storage: Storage, store: StateStore, o: { keepMs: number; now: number; dryRun: boolean }): Promise<GcResult> {
  const before = o.now - o.keepMs;
  // the dry run runs the real deletion and rolls it back, so its counts are the real ones
  const counts: GcCounts = await store.gc(before, { dryRun: o.dryRun });
  const referenced = new Set((await store.latestMaterializations()).map((m) => m.path).filter(Boolean));
  let orphanFiles = 0;
  let orphanBytes = 0;
  let tempFiles = 0;
  const walk = (dir: string): boolean => {
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return false;
    }
    let empty = true;
    for (const e of entries) {
      const p = join(dir, e.name);
      if (e.isDirectory()) {
        if (walk(p) && !o.dryRun) rmdirSync(p);
        else empty = false;
        continue;
      }
      const st = statSync(p);
      const old = o.now - st.mtimeMs > ORPHAN_GRACE_MS;
      const isTemp = e.name.startsWith(".tmp-");
      // a local run's output, or a worker attempt's (core/attempt-outputs.ts): a losing attempt's is never referenced
      const isOutput = e.name === "data.parquet" || e.name === "value.json" || parseAttemptFileName(e.name) !== null;
      const rel = relative(storage.dataRoot, p).split("\\").join("/");
      if (old && (isTemp || (isOutput && !referenced.has(rel)))) {
        if (isTemp) tempFiles++;
        else {
          orphanFiles++;
          orphanBytes += st.size;
        }
        if (!o.dryRun) rmSync(p, { force: true });
        else empty = false;
      } else empty = false;
    }
    return empty;
  };
  walk(storage.dataRoot);
  return { ...counts, orphanFiles, orphanBytes, tempFiles };
}
