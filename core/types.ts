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

/** All access to persistent state goes through this interface (io/ implements it). */
export interface StateStore {
  /** Insert a new run. */
  createRun(run: RunRecord): Promise<void>;
  /** Update status / end / heartbeat of a run. */
  updateRun(runId: string, patch: Partial<Pick<RunRecord, "status" | "endedAt" | "heartbeatAt">>): Promise<void>;
  /** Append events and materializations in one transaction (either all or none). */
  write(batch: { events?: EventRecord[]; materializations?: MaterializationRecord[] }): Promise<void>;
  /**
   * Latest materialization per (asset, partition) for the given keys (all when omitted);
   * `unpartitioned` keeps only partition "" rows (status of a 1M-partition asset must not load them all).
   */
  latestMaterializations(keys?: readonly string[], options?: { unpartitioned?: boolean }): Promise<MaterializationRecord[]>;
  /** Latest failed step per (asset, partition), for the given keys (all when omitted). */
  latestFailures(keys?: readonly string[], options?: { unpartitioned?: boolean }): Promise<FailureRecord[]>;
  /** Runs newest first; `status` and `tags` (every key = value) filter before `limit`. */
  listRuns(options?: { limit?: number; status?: RunStatus; tags?: Readonly<Record<string, string>> }): Promise<RunRecord[]>;
  getRun(runId: string): Promise<RunRecord | null>;
  getEvents(runId: string): Promise<EventRecord[]>;
  /** Mark runs whose process is gone as abandoned; returns their ids. */
  markAbandoned(isAlive: (run: RunRecord) => boolean, now: number): Promise<string[]>;
  /** Latest materialization of specific partitions of one asset. */
  latestPartitionMaterializations(assetKey: string, partitionKeys: readonly string[]): Promise<MaterializationRecord[]>;
  /**
   * The distinct stored schemas among the latest materializations of one asset (every partition;
   * null for a row that recorded none). Readers of many partitions decide from these whether the
   * files differ in columns and which columns the data has, without opening every file.
   */
  latestSchemas(assetKey: string): Promise<(ColumnSchema[] | null)[]>;
  /** Aggregated partition state of one asset (ordinal ranges computed in SQL). */
  partitionSummary(assetKey: string, codeVersion: string): Promise<PartitionSummary>;
  /** Keys of a dynamic partitions definition, in the order they were added. */
  listDynamicPartitions(name: string): Promise<string[]>;
  /** Add keys (existing ones are ignored); returns how many were new. */
  addDynamicPartitions(name: string, keys: readonly string[], now: number): Promise<number>;
  /** Remove keys; returns how many existed. */
  removeDynamicPartitions(name: string, keys: readonly string[]): Promise<number>;
  createBackfill(backfill: BackfillRecord, partitions: readonly BackfillPartitionRecord[]): Promise<void>;
  updateBackfill(backfillId: string, patch: Partial<Pick<BackfillRecord, "status" | "updatedAt" | "cancelRequested" | "pid" | "host">>): Promise<void>;
  /** Upsert partition statuses of a backfill (by backfill, asset, partition). */
  updateBackfillPartitions(partitions: readonly BackfillPartitionRecord[]): Promise<void>;
  getBackfill(backfillId: string): Promise<{ backfill: BackfillRecord; partitions: BackfillPartitionRecord[] } | null>;
  listBackfills(options?: { limit?: number }): Promise<BackfillRecord[]>;
  /** Partition counts per backfill id, from the recorded partition statuses (unknown ids: all zero). */
  countBackfillPartitions(backfillIds: readonly string[]): Promise<Map<string, BackfillCounts>>;
  /** Every known schedule/sensor/automation state. */
  listInstigators(): Promise<InstigatorState[]>;
  /** Insert instigators that are not known yet (createdAt = first seen); existing ones are left as they are. */
  ensureInstigators(states: readonly InstigatorState[]): Promise<void>;
  /** Change fields of an instigator (start/stop, cursor, …). */
  updateInstigator(name: string, patch: Partial<Pick<InstigatorState, "status" | "lastTickAt" | "cursor" | "data" | "updatedAt">>): Promise<void>;
  /**
   * One transaction: insert the tick, insert its run requests (a request whose runKey exists
   * already is dropped and reported as a duplicate), and apply the instigator patch (lastTickAt,
   * cursor, data) — so a cursor is never saved without the runs it asked for.
   */
  recordTick(
    tick: TickRecord,
    requests: readonly RunRequestRecord[],
    patch: Partial<Pick<InstigatorState, "lastTickAt" | "cursor" | "data" | "updatedAt">>,
  ): Promise<{ created: string[]; duplicates: string[] }>;
  listTicks(options?: { name?: string; limit?: number }): Promise<TickRecord[]>;
  listRunRequests(options?: { status?: RunRequestStatus; source?: string; limit?: number }): Promise<RunRequestRecord[]>;
  updateRunRequest(requestId: string, patch: Partial<Pick<RunRequestRecord, "status" | "runId" | "reason" | "updatedAt">>): Promise<void>;
  /**
   * Retention: delete finished runs (and their events) that ended before `before`, history rows
   * (materializations older than `before` that are not the latest of their partition), ticks,
   * finished run requests and finished backfills older than `before`. Latest materializations,
   * latest failures and running runs are never touched. With `dryRun`, count the same rows and
   * delete nothing (the counts are what the real call would remove).
   */
  gc(before: number, options?: { dryRun?: boolean }): Promise<GcCounts>;
  /** Append check results (history) and keep the newest per asset, partition and check (a tie on time: the later write wins). */
  recordCheckResults(results: readonly CheckResult[]): Promise<void>;
  /**
   * Newest result per (asset, partition, check) of the given assets (all when omitted), by asset, partition, check.
   * `blockingFailures` keeps only failed blocking results at "error" severity (what blocks a downstream across runs).
   */
  latestCheckResults(keys?: readonly string[], options?: { blockingFailures?: boolean }): Promise<CheckResult[]>;
  /** Confirmed output mtimes of these assets (all when omitted), by asset and partition; the caller matches them to the latest materialization. */
  confirmedMtimes(keys?: readonly string[]): Promise<OutputMtimeRecord[]>;
  /** Record confirmed output mtimes, one per asset and partition (a record for an older materialization never replaces a newer one's). */
  confirmMtimes(records: readonly OutputMtimeRecord[]): Promise<void>;
  /** Forget materializations, failures, latest check results and confirmed mtimes of these assets; returns how many materialization rows went. */
  wipe(keys: readonly string[], partitionKeys?: readonly string[]): Promise<number>;
  close(): Promise<void>;
}
