/**
 * Reads the status snapshot (core/status) from state and the stored files, in one pass: the
 * latest rows, failures, partition summaries and confirmed mtimes together; then, decided from
 * those, the store's answers to the per-partition comparisons (`stalenessQueries`, one SQL query
 * per edge) and the few partition records `partitionReads` names, all in one batch (the same
 * session, which keeps serving this process's jobs). Nothing is read once the engine runs.
 */
import { hostname } from "node:os";
import { mappingOf, type ProjectGraph } from "../../core/graph.ts";
import { type AssetPartitions, changedSets, partitionReads, stalenessQueries, type StatusGraph, type StatusSnapshot, wholeAssetVersion as versionOfWhole, wholeReads } from "../../core/status/index.ts";
import type { FailureRecord, MaterializationRecord, RunRecord } from "../../core/types.ts";
import type { MaterializationStore, RunStore } from "../../core/state-store.ts";
import { hashText, type Storage } from "../storage/index.ts";
import { checkOutputs } from "./output-drift.ts";
import { isConfigSchema, plainConfigHash } from "../../core/run-config.ts";
import { readPartitionState } from "./partition-state.ts";

export interface SnapshotOptions {
  /** The instant the snapshot is taken at: partition spaces, abandoned runs. */
  now: number;
  /** Compute per-partition statuses (reads partition records); see StatusSnapshot.perPartition. */
  perPartition: boolean;
}

const HEARTBEAT_LIMIT_MS = 60_000;

/** Is the process behind a `running` run still there? Same host: ask the OS; else trust a fresh heartbeat. */
export function isRunAlive(run: RunRecord, now: number): boolean {
  // a run handed to the work queue (io/queue) has no process of its own: it waits for workers
  if (run.host === "(queue)" && run.pid === 0) return true;
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

/** The graph as the status engine sees it. */
export function statusGraph(graph: ProjectGraph, configHashes: ReadonlyMap<string, string> = new Map()): StatusGraph {
  return {
    order: graph.order,
    upstream: graph.upstream,
    codeVersion: (k) => graph.assets.get(k)!.codeVersion,
    external: (k) => graph.assets.get(k)?.external === true,
    configHash: (k) => configHashes.get(k) ?? null,
    mapping: (down, up) => mappingOf(graph.assets.get(down)!, graph.assets.get(up)!),
  };
}

/** A snapshot as read here: its maps are the reader's own. */
export type ReadSnapshot = StatusSnapshot & { latest: Map<string, MaterializationRecord>; failures: Map<string, FailureRecord> };

/** Mark dead runs abandoned, then read everything status needs. */
export async function readStatusSnapshot(graph: ProjectGraph, storage: Storage, store: RunStore & MaterializationStore, o: SnapshotOptions): Promise<ReadSnapshot> {
  const keys = [...graph.assets.keys()];
  // the schemas' defaults: no state read, so ready before the reads they are compared in
  const configHashes = await plainConfigHashes(graph);
  const sg = statusGraph(graph, configHashes);
  const whole = wholeReads(sg, (k) => graph.assets.get(k)!.partitionsDef != null);
  // issued together: the store serves queued jobs in one attach/detach session
  const [, mats, fails, parts, mtimes] = await Promise.all([
    store.markAbandoned((r) => isRunAlive(r, o.now), o.now),
    store.latestMaterializations(keys, { unpartitioned: true }),
    store.latestFailures(keys, { unpartitioned: true }),
    readPartitionState(graph, store, o.now, undefined, (k) => whole.has(k), configHashes),
    store.confirmedMtimes(keys),
  ]);
  const latest = new Map<string, MaterializationRecord>(mats.map((m) => [m.assetKey, m]));
  const failures = new Map<string, FailureRecord>(fails.map((f) => [f.assetKey, f]));
  // files newer than their rows are hashed once; a match is recorded so no later status hashes it
  const outputs = checkOutputs(storage, latest.values(), mtimes);
  const drifted = new Set(outputs.drifted.map((m) => m.assetKey));
  const base = { graph: sg, latest, failures, drifted, parts, perPartition: o.perPartition, hash: hashText };
  // the per-partition comparisons are the store's (one query per edge), issued with the records
  const queries = stalenessQueries(base);
  const [records, answers] = await Promise.all([
    readRecords(store, base),
    Promise.all(queries.map((q) => store.changedPartitions(q))),
    outputs.confirmed.length > 0 ? store.confirmMtimes(outputs.confirmed) : null,
  ]);
  return { ...base, records, changed: changedSets(queries, answers, parts) };
}

/** The partition records `partitionReads` names: one read for the whole assets, one per asset read by key. */
async function readRecords(store: MaterializationStore, s: Pick<StatusSnapshot, "graph" | "parts" | "perPartition">): Promise<Map<string, Map<string, MaterializationRecord>>> {
  const reads = partitionReads(s);
  const [whole, ...some] = await Promise.all([
    reads.whole.length ? store.latestMaterializations(reads.whole) : [],
    ...[...reads.some].map(([key, pks]) => store.latestPartitionMaterializations(key, pks)),
  ]);
  const out = new Map<string, Map<string, MaterializationRecord>>();
  for (const m of [whole, ...some].flat()) {
    if (m.partitionKey === "") continue;
    let byKey = out.get(m.assetKey);
    if (!byKey) out.set(m.assetKey, (byKey = new Map()));
    byKey.set(m.partitionKey, m);
  }
  return out;
}

/** The config hash a plain run of each config-declaring asset would record now (core/run-config.ts). */
export async function plainConfigHashes(graph: ProjectGraph): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  await Promise.all(
    [...graph.assets.values()].map(async (a) => {
      const schema = a.def.options.config;
      if (!isConfigSchema(schema)) return;
      const h = await plainConfigHash(schema, hashText);
      if (h !== null) out.set(a.key, h);
    }),
  );
  return out;
}

/** The version an all-partitions reader records of partitioned `u` (core/status/versions.ts with io's hash). */
export function wholeAssetVersion(u: Pick<AssetPartitions, "fingerprint">): string {
  return versionOfWhole(u.fingerprint, hashText);
}
