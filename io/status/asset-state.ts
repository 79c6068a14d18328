/** Reads what state knows about the graph's assets and computes their status. */
import { hostname } from "node:os";
import { mappingOf, type ProjectGraph } from "../../core/graph.ts";
import { computeStatuses, type StatusInfo } from "../../core/staleness.ts";
import type { FailureRecord, MaterializationRecord, RunRecord } from "../../core/types.ts";
import type { MaterializationStore, RunStore } from "../../core/state-store.ts";
import { checkOutputs } from "./output-drift.ts";
import type { Storage } from "../storage/index.ts";
import { computePartitionStatuses, type PartitionStatusInfo, wholeAssetVersion } from "./partition-status.ts";
import { readPartitionState, type AssetPartitions } from "./partition-state.ts";

export interface AssetState {
  latest: Map<string, MaterializationRecord>;
  failures: Map<string, FailureRecord>;
  drifted: Set<string>;
  statuses: Map<string, StatusInfo>;
  /** Partitioned assets: spaces and state sets. */
  parts: Map<string, AssetPartitions>;
  /** Partitioned assets: per-partition status (only for the keys asked for). */
  partitionStatuses: Map<string, PartitionStatusInfo>;
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

/**
 * Everything status and planning need. `partitionKeys` limits the (more expensive) per-partition
 * status to those partitioned assets; all partitioned assets get their state sets regardless.
 */
export async function readAssetState(graph: ProjectGraph, storage: Storage, store: RunStore & MaterializationStore, partitionKeys?: Iterable<string>): Promise<AssetState> {
  const keys = [...graph.assets.keys()];
  // issued together: the store serves queued jobs in one attach/detach session
  const [, mats, fails, parts, mtimes] = await Promise.all([
    store.markAbandoned((r) => isRunAlive(r, Date.now()), Date.now()),
    store.latestMaterializations(keys, { unpartitioned: true }),
    store.latestFailures(keys, { unpartitioned: true }),
    readPartitionState(graph, store, Date.now()),
    store.confirmedMtimes(keys),
  ]);
  const latest = new Map<string, MaterializationRecord>(mats.map((m) => [m.assetKey, m]));
  const failures = new Map<string, FailureRecord>(fails.map((f) => [f.assetKey, f]));
  // files newer than their rows are hashed once; a match is recorded so no later status hashes it
  const outputs = checkOutputs(storage, latest.values(), mtimes);
  const drifted = new Set(outputs.drifted.map((m) => m.assetKey));
  if (outputs.confirmed.length > 0) await store.confirmMtimes(outputs.confirmed);
  // Unpartitioned and partitioned statuses feed each other (u → P → v chains): iterate to a fixed
  // point (a project without partitioned assets needs one pass).
  const wanted = [...(partitionKeys ?? parts.keys())];
  // an unpartitioned reader through lastPartition() read the last partition only: compare with its version
  const lastVersions = new Map<string, string | null>();
  for (const a of graph.assets.values()) {
    if (a.partitionsDef) continue;
    for (const up of a.deps) {
      const u = parts.get(up);
      if (!u || mappingOf(a, graph.assets.get(up)!).kind !== "last") continue;
      const last = u.space.size === 0 ? [] : await store.latestPartitionMaterializations(up, [u.space.keyAt(u.space.size - 1)]);
      lastVersions.set(`${a.key}\0${up}`, last[0]?.dataVersion ?? null);
    }
  }
  let statuses = new Map<string, StatusInfo>();
  let partitionStatuses = new Map<string, PartitionStatusInfo>();
  for (let pass = 0; pass < 4; pass++) {
    const before = JSON.stringify([...statuses.values()].map((x) => x.status));
    partitionStatuses = await computePartitionStatuses(graph, store, parts, latest, new Set([...wanted, ...(pass > 0 ? parts.keys() : [])]), (k) => statuses.get(k)?.status);
    const partitioned = new Map([...parts].map(([k, p]) => [k, { status: partitionStatuses.get(k)?.status ?? (p.materialized.isEmpty ? "missing" : "fresh"), version: p.materialized.isEmpty ? null : wholeAssetVersion(p) }] as const));
    statuses = computeStatuses({ partitioned, partitionedInputVersion: (down, up) => lastVersions.get(`${down}\0${up}`), order: graph.order, upstream: graph.upstream, codeVersion: (k) => graph.assets.get(k)!.codeVersion, latest, failures, drifted });
    // callers that asked for no partition statuses (materialize without --stale, the daemon) need
    // none of the extra passes: they would re-read every partitioned asset's records
    if (parts.size === 0 || wanted.length === 0 || (pass > 0 && JSON.stringify([...statuses.values()].map((x) => x.status)) === before)) break;
  }
  return { latest, failures, drifted, statuses, parts, partitionStatuses };
}
