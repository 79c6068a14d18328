/**
 * Contracts shared by core/ and io/. Times are epoch milliseconds (core never reads a clock).
 */
export type MaybePromise<T> = T | Promise<T>;

/** "" stands for "not partitioned" in every partition-key column. */
export type PartitionKey = string;

/** What a node of the asset graph exposes to selection, planning and listing. */
export interface AssetNode {
  /** `a/b` form. */
  key: string;
  group: string;
  description: string | null;
  owners: string[];
  tags: Record<string, string>;
  kinds: string[];
  /** Upstream keys (ins + deps), `a/b` form. */
  deps: string[];
  partitioned: boolean;
  /** "file:line" of the definition, when known. */
  location: string | null;
  /** An `externalAsset()`: dagx never materializes it (plans leave it out; `dagx observe` records its version). */
  external?: boolean;
}

/** The asset graph as selection and planning see it. */
export interface GraphView {
  assets: ReadonlyMap<string, AssetNode>;
  /** key → direct downstream keys. */
  downstream: ReadonlyMap<string, readonly string[]>;
  /** key → direct upstream keys. */
  upstream: ReadonlyMap<string, readonly string[]>;
}

export type RunStatus = "running" | "success" | "failed" | "canceled" | "abandoned";

export interface RunRecord {
  runId: string;
  status: RunStatus;
  selection: string;
  trigger: string;
  pid: number;
  host: string;
  startedAt: number;
  endedAt: number | null;
  heartbeatAt: number;
  /** Run tags (`materialize --tag k=v`, a sensor request's `tags`, `dagx/schedule` …); absent when none. */
  tags?: Record<string, string>;
  /** Keys of the assets the run materializes (its plan's steps): automation treats them as in progress while it runs. */
  assets?: string[];
  /** The run's resolved config by asset key (defaults applied, secrets redacted), for the assets that declare a schema; absent when none. */
  config?: Record<string, unknown>;
  /**
   * When a cancel was first asked for from outside the run's process (`dagx cancel`, the UI:
   * `RunStore.requestRunCancel`); the running process polls it and cancels as Ctrl-C does. Absent
   * when never asked. Stays on the record after the run ended (a request that came too late shows).
   */
  cancelRequestedAt?: number;
}

export type EventType =
  | "run_started"
  | "run_finished"
  | "step_started"
  | "step_success"
  | "step_failed"
  | "step_skipped"
  | "step_canceled"
  | "step_retry"
  | "materialization"
  | "schema_change"
  | "check_evaluation"
  | "log";

export interface EventRecord {
  runId: string;
  /** Monotonic per run, starting at 1. */
  seq: number;
  at: number;
  type: EventType;
  assetKey: string | null;
  partitionKey: PartitionKey | null;
  payload: Record<string, unknown>;
}

/** The IO manager that stored an output: a built-in ("parquet", "json"), a project's own by name, or "none" (nothing stored). */
export type OutputFormat = "parquet" | "json" | "none" | (string & {});

export interface ColumnSchema {
  name: string;
  type: string;
}

export interface MaterializationRecord {
  assetKey: string;
  partitionKey: PartitionKey;
  runId: string;
  at: number;
  /** Content hash of the stored output. */
  dataVersion: string;
  codeVersion: string;
  /** Upstream key → the data version this materialization read. */
  inputVersions: Record<string, string>;
  /** Storage path relative to the data root (`.dagx/data`), "" for side-effect assets. */
  path: string;
  format: OutputFormat;
  rows: number | null;
  bytes: number | null;
  schema: ColumnSchema[] | null;
  metadata: Record<string, unknown> | null;
  /**
   * Absolute ordinal of a time partition (hour/day/week/month number since the epoch, see
   * PartitionSpace), null when unpartitioned or not time-based. Lets state answer range questions
   * over millions of partitions in SQL.
   */
  ordinal?: number | null;
  /**
   * Hash of the run's resolved config of the asset (core/run-config.ts `configHashOf`), when it
   * declares a config schema; absent otherwise (and on rows recorded before state schema 8).
   */
  configHash?: string | null;
}

/** Latest failed step of an asset (only meaningful when newer than its latest materialization). */
export interface FailureRecord {
  assetKey: string;
  partitionKey: PartitionKey;
  runId: string;
  at: number;
  error: string;
  /** See MaterializationRecord.ordinal (taken from the step_failed event payload `ordinal`). */
  ordinal?: number | null;
}

/** The result of one check on one partition ("" when unpartitioned) of one materialization. */
export interface CheckResult {
  runId: string;
  assetKey: string;
  partitionKey: PartitionKey;
  /** Unique per asset: `unique(id)`, or the export name of a `check()`. */
  checkName: string;
  at: number;
  /** False also when the check could not be evaluated (see `error`). */
  passed: boolean;
  severity: "error" | "warn";
  /** Declared blocking: a failure at "error" severity skipped the asset's downstream in its run. */
  blocking: boolean;
  description: string | null;
  /** Counts of built-ins (`rows`, `failing` …) or what a check function returned. */
  metadata: Record<string, unknown>;
  /** Up to 5 failing rows of a built-in (for `unique`, duplicated values with their count), else null. */
  sample: Record<string, unknown>[] | null;
  /** Why the check could not be evaluated: it threw (with the user's file:line), timed out, named a missing column. */
  error: string | null;
}

/** Inclusive ordinal range [first, last]. */
export type OrdinalRange = [number, number];

/**
 * What state knows about one partitioned asset, aggregated in SQL so that memory does not grow
 * per partition: ordinal ranges for time partitions, key lists for the others.
 */
export interface PartitionSummary {
  /** Partitions with a materialization. */
  materialized: OrdinalRange[];
  materializedKeys: string[];
  /** Partitions whose latest failure is newer than their latest materialization (or that never succeeded). */
  failed: OrdinalRange[];
  failedKeys: string[];
  /** Materialized partitions whose code version differs from the one given. */
  codeChanged: OrdinalRange[];
  codeChangedKeys: string[];
  /** Materialized partitions whose recorded config hash differs from the one given (present only when one was given). */
  configChanged?: OrdinalRange[];
  configChangedKeys?: string[];
  materializedCount: number;
  /**
   * Order-independent fingerprint of (partition key, data version) over every materialized
   * partition: changes exactly when some partition's content does. An unpartitioned reader of all
   * partitions records it as its input version (so early cutoff works across that edge too).
   */
  fingerprint: string;
  /** The newest materialization of any partition. */
  last: MaterializationRecord | null;
}

/**
 * How the partitions of a downstream asset read one upstream, for `MaterializationStore.changedPartitions`:
 * what each materialized downstream partition's recorded input version of the upstream is compared with.
 * Ordinals are absolute (see MaterializationRecord.ordinal); ranges are inclusive.
 */
export type UpstreamRead =
  /** Every partition compares with one version: an unpartitioned upstream's data version, or an all-partitions read. */
  | { kind: "constant"; version: string }
  /** Time partitions of one cadence: downstream ordinal o reads the upstream ordinals o + lo … o + hi. */
  | { kind: "shift"; lo: number; hi: number }
  /**
   * Windows of fixed length on both sides (hours in any zone; days and weeks in UTC): downstream
   * ordinal o starts at o·dPeriod + dPhase ms, upstream ordinal j at j·uPeriod + uPhase, and o reads
   * the upstream windows overlapping its windows o + lo … o + hi — ordinals ⌊(s − uPhase) / uPeriod⌋ …
   * ⌈(e − uPhase) / uPeriod⌉ − 1 with s = (o + lo)·dPeriod + dPhase, e = (o + hi + 1)·dPeriod + dPhase.
   * Plain arithmetic per partition: nothing per run of reads is built or sent.
   */
  | { kind: "regular"; lo: number; hi: number; dPeriod: number; dPhase: number; uPeriod: number; uPhase: number }
  /** Each downstream ordinal of [dLo, dHi] reads the upstream ordinals uLo … uHi (one row per run of equal reads). */
  | { kind: "windows"; rows: readonly (readonly [dLo: number, dHi: number, uLo: number, uHi: number])[] }
  /** Key by key: downstream key reads upstream key, at that index of the upstream space (the read's order). */
  | { kind: "keys"; pairs: readonly (readonly [down: string, up: string, upIndex: number])[] };

/**
 * The per-partition staleness question of one edge (core/status/staleness.ts builds it): which
 * materialized partitions of `down` recorded another version of `up` than the one they would read now.
 * The version of a read is partitionsReadVersion's (one partition: its data version; none: `emptyVersion`;
 * several: the hash of their `key=dataVersion` lines in read order).
 */
export interface StalenessQuery {
  down: string;
  up: string;
  /** The downstream partitions that count: ordinals in this range (a time space), or null: rows without ordinal (keys the caller filters). */
  downOrdinals: OrdinalRange | null;
  /** The upstream partitions that count (its space), for shift and windows reads. */
  upOrdinals: OrdinalRange | null;
  read: UpstreamRead;
  /** The version of a read of no materialized upstream partition. */
  emptyVersion: string;
}

/** The downstream partitions whose recorded version differs: ordinal ranges (time partitions) and keys (the others). */
export interface StalenessAnswer {
  changed: OrdinalRange[];
  changedKeys: string[];
}

export type BackfillStatus = "running" | "success" | "failed" | "canceled" | "abandoned";
export type BackfillPartitionStatus = "pending" | "success" | "failed" | "skipped" | "canceled";

export interface BackfillRecord {
  backfillId: string;
  status: BackfillStatus;
  /** The asset selection, as typed. */
  selection: string;
  /** The partition range, as typed. */
  partitions: string;
  pid: number;
  host: string;
  createdAt: number;
  updatedAt: number;
  /** Set by `dagx backfill cancel` from another process; the running backfill stops starting steps. */
  cancelRequested: boolean;
  /** Free-form options (concurrency, …) as JSON. */
  options: Record<string, unknown>;
}

/**
 * How many partitions of a backfill are in each state. `pending`: not finished yet by a running
 * backfill (or its process died: the backfill is abandoned); `canceled`: the backfill was canceled
 * before the partition finished. `--resume` runs every partition that is not `success`.
 */
export interface BackfillCounts {
  total: number;
  success: number;
  failed: number;
  pending: number;
  skipped: number;
  canceled: number;
}

export interface BackfillPartitionRecord {
  backfillId: string;
  assetKey: string;
  partitionKey: PartitionKey;
  status: BackfillPartitionStatus;
  runId: string | null;
  error: string | null;
  updatedAt: number;
}

/** What `StateStore.gc` removed. */
export interface GcCounts {
  runs: number;
  events: number;
  materializations: number;
  ticks: number;
  runRequests: number;
  backfills: number;
}

/** A schedule, sensor or the automation evaluator ("instigators", as Dagster calls them). */
export type InstigatorKind = "schedule" | "sensor" | "automation";

export interface InstigatorState {
  name: string;
  kind: InstigatorKind;
  /** Started instigators are evaluated by `dagx daemon` / `dagx dev`; default started. */
  status: "running" | "stopped";
  /** First time this instigator was seen: no schedule tick before it ever runs. */
  createdAt: number;
  lastTickAt: number | null;
  /** Sensor cursor. */
  cursor: string | null;
  /** Free-form evaluator state (e.g. pending onCron ticks), JSON. */
  data: Record<string, unknown>;
  updatedAt: number;
}

export type TickStatus = "requested" | "skipped" | "failed" | "success";

export interface TickRecord {
  name: string;
  kind: InstigatorKind;
  /** The tick's time (schedules: the cron time; sensors/automation: the evaluation time). */
  tickAt: number;
  evaluatedAt: number;
  status: TickStatus;
  /** Why skipped / what failed. */
  reason: string | null;
  /** Ids of the run requests this tick made. */
  requestIds: string[];
}

export type RunRequestStatus = "requested" | "started" | "skipped";

/** A run a schedule, sensor or automation asked for; the daemon launches requested ones. */
export interface RunRequestRecord {
  requestId: string;
  source: string;
  kind: InstigatorKind;
  /** Dedupe key: a run key never runs twice. */
  runKey: string | null;
  selection: string[];
  partitions: string | null;
  status: RunRequestStatus;
  /** The id of the run to start, chosen with the request (so a restarted daemon recognises a run it already created). */
  runId: string | null;
  reason: string | null;
  createdAt: number;
  updatedAt: number;
  /** Tags recorded on the run; absent when none. */
  tags?: Record<string, string>;
  /** The instant partition definitions are evaluated at (`"latest"` = the newest window at the tick); absent: at launch. */
  asOf?: number;
  /** Run config by asset key (a sensor request's `config`), validated at launch; absent when none. */
  config?: Record<string, unknown>;
}

/**
 * An output file's mtime that its content hash confirmed (the file was copied or touched, its
 * bytes are the recorded ones). Valid while its materialization (run id and time) is the latest.
 */
export interface OutputMtimeRecord {
  assetKey: string;
  partitionKey: string;
  runId: string;
  /** The materialization's time (`MaterializationRecord.at`). */
  at: number;
  /** The file's mtime in epoch ms, as `stat` reports it (fractional). */
  mtimeMs: number;
}
