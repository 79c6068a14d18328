/**
 * What the parts of a step share (io/run/run-engine.ts composes them): the run's scope, built once
 * per run, and one attempt of one step.
 */
import type { DuckDBConnection } from "@duckdb/node-api";
import type { AnyAssetDef } from "../../core/asset.ts";
import type { LeaseFence } from "../../core/attempt-outputs.ts";
import type { LoadedAsset } from "../../core/definitions.ts";
import type { ProjectGraph } from "../../core/graph.ts";
import type { PlanStep } from "../../core/plan.ts";
import type { CheckResult, ColumnSchema, MaterializationRecord } from "../../core/types.ts";
import type { UserCodeSite } from "../../core/user-code.ts";
import type { IOManagers } from "../iomanagers/index.ts";
import type { AssetPartitions } from "../status/index.ts";
import type { Storage } from "../storage/index.ts";
import type { MultiStepEntry } from "./multi-step.ts";
import type { ComputeInstance } from "./compute-instance.ts";
import type { PartitionInputContext } from "./partition-inputs.ts";
import type { ResolvedConfig } from "./run-config.ts";
import type { ResourcePool } from "./resources.ts";

export interface RunEngineOptions {
  storage: Storage;
  graph: ProjectGraph;
  runId: string;
  /** The resources steps request, set up on first use (io/run/resources.ts); the caller tears them down. */
  resources: ResourcePool;
  /** The project's IO managers: every output goes through one, every input comes back through the one that stored it. */
  ioManagers: IOManagers;
  /** Latest materialization per key; updated as steps of this run succeed. */
  latest: Map<string, MaterializationRecord>;
  /** Partition spaces and state of partitioned assets. */
  partitions: ReadonlyMap<string, AssetPartitions>;
  /** Latest records of specific partitions, read from state. */
  loadPartitions(assetKey: string, partitionKeys: readonly string[]): Promise<MaterializationRecord[]>;
  /** All-partitions version of an asset, this run's writes included. */
  wholeVersion(assetKey: string): Promise<string>;
  /** Distinct stored schemas of an asset's latest materializations. */
  latestSchemas(assetKey: string): Promise<(ColumnSchema[] | null)[]>;
  /** This run's validated config of each asset that declares a schema (io/run/run-config.ts), with its hash. */
  config?: ReadonlyMap<string, ResolvedConfig>;
  onMaterialization(m: MaterializationRecord): void;
  /** Results of the asset's checks, evaluated right after its outputs are in place. */
  onCheckResults(results: CheckResult[]): void;
  onLog(key: string, level: string, message: string): void;
  now(): number;
  /** Ids of the plan's steps: which outs of a multi-asset that can subset are wanted. @default every out */
  plannedSteps?: ReadonlySet<string>;
  /** The run's DuckDB, possibly warmed up already; the engine closes it. @default created at first use */
  compute?: ComputeInstance;
  /**
   * Called right before a step hands an output to its IO manager; a rejection fails the attempt
   * with nothing stored. A queue worker renews and checks its lease here (io/queue), so a worker
   * that lost the step to another one never replaces the output that one committed.
   */
  beforeStore?(assetKey: string): Promise<void>;
  /**
   * Outputs go to locations of their own, named with this tag (core/attempt-outputs.ts): a queue
   * worker's attempt, which only its lease-fenced commit makes current. @default one location per output
   */
  attempt?: string;
  /** The queue lease of a worker's attempt (postgresTable fences its swap with it: core/attempt-outputs.ts). */
  lease?: LeaseFence;
  /**
   * Read partitioned Parquet upstreams at the locations their records name, never at locations
   * computed from their keys: set where workers may have written them (a Postgres state).
   * @default false
   */
  recordedLocations?: boolean;
}

/** The run: its options and what its steps share. */
export interface RunScope extends RunEngineOptions {
  /** Records of partitions materialized in this run, per asset. */
  inRun: Map<string, Map<string, MaterializationRecord>>;
  /** What partitioned inputs are read from (cached partition records, this run's included). */
  partitionInputs: PartitionInputContext;
  /** Asset definition → its key (an asset interpolated in ctx.sql). */
  keyOfDef: ReadonlyMap<AnyAssetDef, string>;
  /** Multi-asset steps under way, by step, partition range and attempt (io/run/multi-step.ts). */
  multiSteps: Map<string, MultiStepEntry>;
}

/** One attempt of one step. */
export interface StepAttempt {
  step: PlanStep;
  asset: LoadedAsset;
  signal: AbortSignal;
  /** 1 on the first attempt, 2 on the first retry, … (read by Pipes steps as `retry_number`). @default 1 */
  attempt?: number;
  /** The step's DuckDB connection, opened on first use, closed when the attempt ends. */
  conn(): Promise<DuckDBConnection>;
  /** Run `fn` when the attempt ends, before its connection closes. */
  atEnd(fn: () => Promise<void> | void): void;
}

/** The user-code site of an attempt: its asset, partition and run, for UserCodeErrors. */
export function siteOf(run: RunScope, a: StepAttempt): UserCodeSite {
  return { root: run.storage.root, assetKey: a.asset.key, partitionKey: a.step.partitionKey || null, runId: run.runId, definedAt: a.asset.location };
}
