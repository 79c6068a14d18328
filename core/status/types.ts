/**
 * Contracts of the status engine: the snapshot io reads from state in one pass, and what the
 * engine decides from it. Times are epoch milliseconds; nothing here reads a clock or a store.
 */
import type { IndexSet, PartitionMapping, PartitionSpace } from "../partitions/index.ts";
import type { FailureRecord, MaterializationRecord } from "../types.ts";

export type AssetStatus = "missing" | "fresh" | "stale" | "failed";

/** Status of an unpartitioned asset. */
export interface StatusInfo {
  key: string;
  status: AssetStatus;
  causes: string[];
  materialization: MaterializationRecord | null;
  failure: FailureRecord | null;
}

/** What state knows about one partitioned asset: its space now and its partitions as IndexSets of it. */
export interface AssetPartitions {
  space: PartitionSpace;
  materialized: IndexSet;
  failed: IndexSet;
  /** Materialized partitions whose code version differs from the asset's current one. */
  codeChanged: IndexSet;
  /** Materialized partitions whose recorded config hash differs from what a plain run would use now (absent: the asset declares no config, or has no plain run). */
  configChanged?: IndexSet;
  last: MaterializationRecord | null;
  /**
   * Content fingerprint over all materialized partitions (see PartitionSummary); null when it was not
   * read (io reads it for the assets `wholeReaders` names: the only ones whose fingerprint status uses).
   */
  fingerprint: string | null;
}

/** Status of a partitioned asset: counts and sets of its partitions. */
export interface PartitionStatusInfo {
  key: string;
  space: PartitionSpace;
  total: number;
  materialized: IndexSet;
  failed: IndexSet;
  missing: IndexSet;
  stale: IndexSet;
  status: AssetStatus;
  causes: string[];
  last: MaterializationRecord | null;
}

/** The graph as the status engine sees it. */
export interface StatusGraph {
  /** Every key, upstream before downstream. */
  order: readonly string[];
  upstream: ReadonlyMap<string, readonly string[]>;
  /** The asset's current code version. */
  codeVersion(key: string): string;
  /**
   * The config hash a plain run of the asset would record now (its schema's defaults,
   * core/run-config.ts `plainConfigHash`); null or absent: nothing to compare (no schema, or a
   * required field without default).
   */
  configHash?(key: string): string | null;
  /** Mapping of the edge `down` → partitioned `up`. */
  mapping(down: string, up: string): PartitionMapping;
  /** True for an `externalAsset()` (observed, never materialized). */
  external?(key: string): boolean;
}

/** Everything status is computed from, read by io before the engine runs (no store read in between). */
export interface StatusSnapshot {
  graph: StatusGraph;
  /** Latest unpartitioned materialization per asset. */
  latest: ReadonlyMap<string, MaterializationRecord>;
  /** Latest unpartitioned failure per asset (it counts only when newer than the materialization). */
  failures: ReadonlyMap<string, FailureRecord>;
  /** Keys whose stored file changed after the recorded materialization (an interrupted run). */
  drifted: ReadonlySet<string>;
  /** Partitioned assets (every one of the graph). */
  parts: ReadonlyMap<string, AssetPartitions>;
  /**
   * Per-partition statuses wanted. Without, a partitioned asset counts as missing (nothing
   * materialized) or fresh for its downstream, and no PartitionStatusInfo is computed: what
   * `materialize` without `--stale` and the daemon need, without reading partition records.
   */
  perPartition: boolean;
  /**
   * Per partitioned asset and upstream: the materialized partitions whose recorded input version
   * differs from what they would read now (the store's answers to `stalenessQueries`; an edge not
   * asked: none).
   */
  changed: ReadonlyMap<string, ReadonlyMap<string, IndexSet>>;
  /** Latest materialization per partition key of the assets and partitions `partitionReads` named. */
  records: ReadonlyMap<string, ReadonlyMap<string, MaterializationRecord>>;
  /** The 64-bit text hash composite versions are made with (io's `hashText`). */
  hash(text: string): string;
}

/** What the engine decides for a snapshot. */
export interface StatusResult {
  /** Unpartitioned assets. */
  statuses: Map<string, StatusInfo>;
  /** Partitioned assets (all of them with `perPartition`, none without). */
  partitionStatuses: Map<string, PartitionStatusInfo>;
}
