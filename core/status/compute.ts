/**
 * The status engine: every asset's and partition's status and causes from one snapshot. Statuses
 * feed each other across partitioned and unpartitioned edges (u → P → v …); each asset's depends
 * only on its upstreams', so one walk in topological order reaches the fixed point: when an asset
 * is decided, all its upstreams are final, and nothing is decided twice. No store read, no pass
 * count, no comparison between passes.
 */
import { assetStatus, type UpstreamView } from "./asset-status.ts";
import { type DecidedUpstream, partitionStatus } from "./partition-status.ts";
import type { PartitionStatusInfo, StatusInfo, StatusResult, StatusSnapshot } from "./types.ts";
import { wholeAssetVersion } from "./versions.ts";

/** The input version of an external upstream that was never observed (io/run/step-inputs.ts records the same). */
export const UNOBSERVED = "unobserved";

export function computeStatus(s: StatusSnapshot): StatusResult {
  const statuses = new Map<string, StatusInfo>();
  const partitionStatuses = new Map<string, PartitionStatusInfo>();
  const decided: DecidedUpstream = { plain: (k) => statuses.get(k)?.status, partitioned: (k) => partitionStatuses.get(k) };
  for (const key of s.graph.order) {
    if (!s.parts.has(key)) statuses.set(key, assetStatus(key, s, (up) => upstreamView(s, key, up, statuses, partitionStatuses)));
    else if (s.perPartition) partitionStatuses.set(key, partitionStatus(key, s, decided));
  }
  return { statuses, partitionStatuses };
}

/** What unpartitioned `down` reads of `up` now, and `up`'s status. */
function upstreamView(s: StatusSnapshot, down: string, up: string, statuses: ReadonlyMap<string, StatusInfo>, partitioned: ReadonlyMap<string, PartitionStatusInfo>): UpstreamView {
  const p = s.parts.get(up);
  // an external upstream never observed reads as "unobserved" (what a run records for it), not as missing
  if (!p) return { version: s.latest.get(up)?.dataVersion ?? (s.graph.external?.(up) ? UNOBSERVED : null), status: statuses.get(up)?.status };
  const status = partitioned.get(up)?.status ?? (p.materialized.isEmpty ? "missing" : "fresh");
  if (s.graph.mapping(down, up).kind === "last") {
    // a lastPartition() reader read the last partition only: compare with its version
    const lastKey = p.space.size > 0 ? p.space.keyAt(p.space.size - 1) : null;
    return { version: lastKey === null ? null : (s.records.get(up)?.get(lastKey)?.dataVersion ?? null), status };
  }
  return { version: p.materialized.isEmpty ? null : wholeAssetVersion(p.fingerprint, s.hash), status };
}
