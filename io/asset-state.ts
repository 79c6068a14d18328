/** Reads what state knows about the graph's assets and computes their status. */
import { hostname } from "node:os";
import type { ProjectGraph } from "../core/graph.ts";
import { computeStatuses, type StatusInfo } from "../core/staleness.ts";
import type { FailureRecord, MaterializationRecord, RunRecord, StateStore } from "../core/types.ts";
import { outputDrifted, type Storage } from "./storage.ts";

export interface AssetState {
  latest: Map<string, MaterializationRecord>;
  failures: Map<string, FailureRecord>;
  drifted: Set<string>;
  statuses: Map<string, StatusInfo>;
}

const HEARTBEAT_LIMIT_MS = 60_000;

/** Is the process behind a `running` run still there? Same host: ask the OS; else trust a fresh heartbeat. */
export function isRunAlive(run: RunRecord, now: number): boolean {
  if (run.host === hostname()) {
    try {
      process.kill(run.pid, 0);
      return true;
    } catch (e) {
      return (e as NodeJS.ErrnoException).code === "EPERM";
    }
  }
  return now - run.heartbeatAt < HEARTBEAT_LIMIT_MS;
}

export async function readAssetState(graph: ProjectGraph, storage: Storage, store: StateStore): Promise<AssetState> {
  await store.markAbandoned((r) => isRunAlive(r, Date.now()), Date.now());
  const keys = [...graph.assets.keys()];
  const latest = new Map<string, MaterializationRecord>();
  for (const m of await store.latestMaterializations(keys)) if (m.partitionKey === "") latest.set(m.assetKey, m);
  const failures = new Map<string, FailureRecord>();
  for (const f of await store.latestFailures(keys)) if (f.partitionKey === "") failures.set(f.assetKey, f);
  const drifted = new Set<string>();
  for (const m of latest.values()) if (outputDrifted(storage, m)) drifted.add(m.assetKey);
  const statuses = computeStatuses({
    order: graph.order,
    upstream: graph.upstream,
    codeVersion: (k) => graph.assets.get(k)!.codeVersion,
    latest,
    failures,
    drifted,
  });
  return { latest, failures, drifted, statuses };
}
