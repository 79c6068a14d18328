/** What status, planning and the daemon know about a project's assets: the snapshot and the engine's decisions on it. */
import type { ProjectGraph } from "../../core/graph.ts";
import { type AssetPartitions, computeStatus, type PartitionStatusInfo, type StatusInfo } from "../../core/status/index.ts";
import type { FailureRecord, MaterializationRecord } from "../../core/types.ts";
import type { MaterializationStore, RunStore } from "../../core/state-store.ts";
import type { Storage } from "../storage/index.ts";
import { readStatusSnapshot, type SnapshotOptions } from "./snapshot.ts";

export interface AssetState {
  latest: Map<string, MaterializationRecord>;
  failures: Map<string, FailureRecord>;
  drifted: ReadonlySet<string>;
  /** Unpartitioned assets. */
  statuses: Map<string, StatusInfo>;
  /** Partitioned assets: spaces and state sets. */
  parts: ReadonlyMap<string, AssetPartitions>;
  /** Partitioned assets: per-partition status (every one with `perPartition`, none without). */
  partitionStatuses: Map<string, PartitionStatusInfo>;
}

/** Read the snapshot (one pass over state), then decide every status from it (core/status). */
export async function readAssetState(graph: ProjectGraph, storage: Storage, store: RunStore & MaterializationStore, o: SnapshotOptions): Promise<AssetState> {
  const snapshot = await readStatusSnapshot(graph, storage, store, o);
  const { statuses, partitionStatuses } = computeStatus(snapshot);
  const { latest, failures, drifted, parts } = snapshot;
  return { latest, failures, drifted, statuses, parts, partitionStatuses };
}
