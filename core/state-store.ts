/**
 * The state store's contract, split by concern (Dagster: run storage, event log storage,
 * schedule storage). Each concern is a small interface with its own contract suite
 * (tests/io/state/*.contract.ts); `StateStore` is their intersection plus what spans them.
 * io/state implements every part twice, over DuckDB and in memory; a PostgreSQL store (DESIGN
 * §16) implements the same parts against the same suites.
 *
 * A function that needs one concern takes that interface (`readPartitionState` a
 * `MaterializationStore`, `dagx backfill list` a `BackfillStore`); one that needs it all takes
 * `StateStore`.
 *
 * Methods return `Promise`, not `MaybePromise` (STYLE 18): the contract says a call on a closed
 * store rejects (never throws), callers chain `.catch` on fire-and-forget writes (the heartbeat),
 * and every store but the in-memory twin does I/O. The twin's methods are `async` for that reason.
 */
import type {
  BackfillCounts,
  BackfillPartitionRecord,
  BackfillRecord,
  CheckResult,
  ColumnSchema,
  EventRecord,
  FailureRecord,
  GcCounts,
  InstigatorState,
  MaterializationRecord,
  OutputMtimeRecord,
  PartitionSummary,
  StalenessAnswer,
  StalenessQuery,
  RunRecord,
  RunRequestRecord,
  RunRequestStatus,
  RunStatus,
  TickRecord,
} from "./types.ts";
import type { AlertDeliveryRecord, IncidentCandidate, IncidentRecord } from "./alerts/index.ts";

/** Runs with their tags, and the events of a run (written by `StateStore.write`). Tables `runs`, `run_tags`, `events`. */
export interface RunStore {
  /** Insert a new run with its tags; a duplicate id rejects. */
  createRun(run: RunRecord): Promise<void>;
  /** Update status / end / heartbeat of a run; an unknown id rejects. */
  updateRun(runId: string, patch: Partial<Pick<RunRecord, "status" | "endedAt" | "heartbeatAt">>): Promise<void>;
  /** Runs newest first; `status` and `tags` (every key = value) filter before `limit`. */
  listRuns(options?: { limit?: number; status?: RunStatus; tags?: Readonly<Record<string, string>> }): Promise<RunRecord[]>;
  getRun(runId: string): Promise<RunRecord | null>;
  /** Events of one run in `seq` order. */
  getEvents(runId: string): Promise<EventRecord[]>;
  /** Mark runs whose process is gone as abandoned; returns their ids. */
  markAbandoned(isAlive: (run: RunRecord) => boolean, now: number): Promise<string[]>;
  /**
   * Ask a running run to cancel, from any process: sets `cancelRequestedAt = now` when the run is
   * `running` and not asked yet (a second request keeps the first time; a finished run is left as
   * it is). Returns the run as it is after the request, or null for an unknown id. The run's own
   * process polls the flag (io/run/materialize.ts) and cancels as Ctrl-C does.
   */
  requestRunCancel(runId: string, now: number): Promise<RunRecord | null>;
}

/**
 * What is known about assets' outputs: the latest materialization and failure per (asset,
 * partition), partition summaries, check results, confirmed output mtimes and dynamic partition
 * keys. Materializations and failures are written by `StateStore.write` (with the events they
 * come from); check results and mtimes here.
 */
/** Options of `MaterializationStore.partitionSummary`. */
export interface SummaryOptions {
  /**
   * Compute `fingerprint` (default true). It hashes every partition's key and data version, the
   * costliest part of a summary; a caller that reads no asset whole passes false and gets "" (a store
   * may compute it anyway).
   */
  fingerprint?: boolean;
  /** The config hash a plain run of the asset would record now (null or absent: compare none). */
  configHash?: string | null;
}

export interface MaterializationStore {
  /**
   * Latest materialization per (asset, partition) for the given keys (all when omitted);
   * `unpartitioned` keeps only partition "" rows (status of a 1M-partition asset must not load them all).
   */
  latestMaterializations(keys?: readonly string[], options?: { unpartitioned?: boolean }): Promise<MaterializationRecord[]>;
  /** Latest failed step per (asset, partition), for the given keys (all when omitted). */
  latestFailures(keys?: readonly string[], options?: { unpartitioned?: boolean }): Promise<FailureRecord[]>;
  /** Latest materialization of specific partitions of one asset. */
  latestPartitionMaterializations(assetKey: string, partitionKeys: readonly string[]): Promise<MaterializationRecord[]>;
  /**
   * The distinct stored schemas among the latest materializations of one asset (every partition;
   * null for a row that recorded none). Readers of many partitions decide from these whether the
   * files differ in columns and which columns the data has, without opening every file.
   */
  latestSchemas(assetKey: string): Promise<(ColumnSchema[] | null)[]>;
  /**
   * Aggregated partition state of one asset (ordinal ranges computed in SQL). With `configHash` in
   * the options (the config a plain run would use now), also the materialized partitions that
   * recorded another one (`configChanged`; rows without a config hash never count).
   */
  partitionSummary(assetKey: string, codeVersion: string, options?: SummaryOptions): Promise<PartitionSummary>;
  /**
   * The partitions of one downstream asset whose recorded input version of one upstream differs from
   * what they would read now (the comparison set-wise, in SQL for DuckDB: nothing per partition comes back).
   */
  changedPartitions(query: StalenessQuery): Promise<StalenessAnswer>;
  /** Keys of a dynamic partitions definition, in the order they were added. */
  listDynamicPartitions(name: string): Promise<string[]>;
  /** Add keys (existing ones are ignored); returns how many were new. */
  addDynamicPartitions(name: string, keys: readonly string[], now: number): Promise<number>;
  /** Remove keys; returns how many existed. */
  removeDynamicPartitions(name: string, keys: readonly string[]): Promise<number>;
  /** Append check results (history) and keep the newest per asset, partition and check (a tie on time: the later write wins). */
  recordCheckResults(results: readonly CheckResult[]): Promise<void>;
  /**
   * Newest result per (asset, partition, check) of the given assets (all when omitted), by asset, partition, check.
   * `blockingFailures` keeps only failed blocking results at "error" severity (what blocks a downstream across runs).
   */
  latestCheckResults(keys?: readonly string[], options?: { blockingFailures?: boolean }): Promise<CheckResult[]>;
  /** Materializations of one asset (every partition's), newest first, at most `limit` (the UI's history). */
  materializationHistory(assetKey: string, limit: number): Promise<MaterializationRecord[]>;
  /** Check results of one asset (history, every partition and check), newest first, at most `limit`. */
  checkHistory(assetKey: string, limit: number): Promise<CheckResult[]>;
  /** Confirmed output mtimes of these assets (all when omitted), by asset and partition; the caller matches them to the latest materialization. */
  confirmedMtimes(keys?: readonly string[]): Promise<OutputMtimeRecord[]>;
  /** Record confirmed output mtimes, one per asset and partition (a record for an older materialization never replaces a newer one's). */
  confirmMtimes(records: readonly OutputMtimeRecord[]): Promise<void>;
  /**
   * History rows whose location starts with `pathPrefix` and that no latest materialization uses
   * (the superseded outputs of an object store: `dagx gc` deletes their objects before retention
   * forgets the rows), oldest first.
   */
  supersededOutputs(pathPrefix: string): Promise<MaterializationRecord[]>;
  /** Forget materializations, failures, latest check results and confirmed mtimes of these assets; returns how many materialization rows went. */
  wipe(keys: readonly string[], partitionKeys?: readonly string[]): Promise<number>;
}

/** Backfills and the status of each of their (asset, partition) slots. Tables `backfills`, `backfill_partitions`. */
export interface BackfillStore {
  /** Insert a backfill and its partitions; a duplicate id rejects. */
  createBackfill(backfill: BackfillRecord, partitions: readonly BackfillPartitionRecord[]): Promise<void>;
  updateBackfill(backfillId: string, patch: Partial<Pick<BackfillRecord, "status" | "updatedAt" | "cancelRequested" | "pid" | "host">>): Promise<void>;
  /** Upsert partition statuses of a backfill (by backfill, asset, partition). */
  updateBackfillPartitions(partitions: readonly BackfillPartitionRecord[]): Promise<void>;
  getBackfill(backfillId: string): Promise<{ backfill: BackfillRecord; partitions: BackfillPartitionRecord[] } | null>;
  /** Backfills newest first. */
  listBackfills(options?: { limit?: number }): Promise<BackfillRecord[]>;
  /** Partition counts per backfill id, from the recorded partition statuses (unknown ids: all zero). */
  countBackfillPartitions(backfillIds: readonly string[]): Promise<Map<string, BackfillCounts>>;
}

/** The leadership a daemon's tick is committed under (see `InstigatorStore.recordTick`). */
export interface TickFence {
  /** The term this daemon was elected with; each election increments it. */
  readonly term: number;
}

/** Schedules, sensors and automation ("instigators"), their ticks, cursors, and the run requests the daemon launches. */
export interface InstigatorStore {
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
   *
   * `fence`: the elected daemon's term (Postgres state, io/state/postgres-leader.ts). The
   * transaction first checks that the deployment's leader row still holds this term and
   * otherwise rejects with `NotLeaderError`, writing nothing: a deposed daemon can never commit
   * a tick. Stores without an election (the DuckDB file, one daemon per project by file lock;
   * the in-memory store) ignore it.
   */
  recordTick(
    tick: TickRecord,
    requests: readonly RunRequestRecord[],
    patch: Partial<Pick<InstigatorState, "lastTickAt" | "cursor" | "data" | "updatedAt">>,
    fence?: TickFence,
  ): Promise<{ created: string[]; duplicates: string[] }>;
  listTicks(options?: { name?: string; limit?: number }): Promise<TickRecord[]>;
  /** Run requests in queue order (created, then inserted). */
  listRunRequests(options?: { status?: RunRequestStatus; source?: string; limit?: number }): Promise<RunRequestRecord[]>;
  updateRunRequest(requestId: string, patch: Partial<Pick<RunRequestRecord, "status" | "runId" | "reason" | "updatedAt">>): Promise<void>;
}

/**
 * Incidents (a failing state from its start to its recovery) and the alert deliveries about them.
 * Tables `alert_incidents`, `alert_deliveries`. The store decides what is a transition: at most one
 * incident per key is open, across every process, so no two processes alert on one incident.
 */
export interface AlertStore {
  /**
   * One transaction: open an incident for each candidate whose key has none open (given `incidentId`s;
   * a repeated key: the first), and resolve the open incidents of the `resolve` keys (a key both
   * opened and resolved here stays open). Returns the incidents opened and those resolved, as stored.
   */
  observeIncidents(change: { open: readonly (IncidentCandidate & { incidentId: string })[]; resolve: readonly string[]; at: number; resolvedBy: string | null }): Promise<{ opened: IncidentRecord[]; resolved: IncidentRecord[] }>;
  /** Append delivery outcomes. */
  recordAlertDeliveries(deliveries: readonly AlertDeliveryRecord[]): Promise<void>;
  /** Incidents newest first (by openedAt); `open` keeps the unresolved ones. */
  listIncidents(options?: { limit?: number; open?: boolean }): Promise<IncidentRecord[]>;
  /** Deliveries of these incidents (all when omitted), oldest first. */
  listAlertDeliveries(options?: { incidentIds?: readonly string[] }): Promise<AlertDeliveryRecord[]>;
}

/**
 * What spans the concerns, so it belongs to none: each of these is one transaction over the
 * tables of several parts (or the store as a whole), which a backend can only give where the
 * parts share a connection.
 */
export interface CrossCuttingStore {
  /** Where the state lives: the DuckDB file, a PostgreSQL database, or this process's memory (tests). */
  readonly backend: "duckdb" | "postgres" | "memory";
  /**
   * Cheap fingerprints of what the UI shows, one per topic (a topic changed when its mark did), or
   * null when there is no state yet. Reading them writes nothing.
   */
  changeMarks(): Promise<ChangeMarks | null>;
  /**
   * Be told when another process may have changed the state, where the backend pushes it (Postgres
   * LISTEN): `listener` gets no detail, only a nudge to read `changeMarks`. Resolves to the
   * unsubscribe function; null when the backend has no push (the DuckDB file: watch its stat).
   */
  onChange(listener: () => void): Promise<(() => Promise<void>) | null>;
  /**
   * Append events and materializations in one transaction (either all or none), keeping the latest
   * materialization and the latest failure (from `step_failed` events) per (asset, partition). It
   * spans runs (events) and materializations (history, latest rows, failures derived from the events)
   * because the state writer commits one flush of a run as one unit: a crash leaves all of it or none.
   */
  write(batch: { events?: EventRecord[]; materializations?: MaterializationRecord[] }): Promise<void>;
  /**
   * Retention: delete finished runs (and their events) that ended before `before`, history rows
   * (materializations older than `before` that are not the latest of their partition), ticks,
   * finished run requests and finished backfills older than `before`. Latest materializations,
   * latest failures and running runs are never touched. With `dryRun`, count the same rows and
   * delete nothing (the counts are what the real call would remove).
   */
  gc(before: number, options?: { dryRun?: boolean }): Promise<GcCounts>;
  /**
   * Move the state to code-version `scheme` (one transaction, once per state): unless it is there
   * already, each latest materialization whose code version is one of an asset's `legacy` versions
   * takes its `codeVersion` (recorded in `code_version_adoptions`; history rows keep theirs), every
   * other one stays as it is (a real code change), and the scheme is recorded. `candidates` is called
   * only when there is work. Returns how many latest rows were adopted, or null when the state was
   * at `scheme` already.
   */
  adoptCodeVersions(scheme: number, candidates: () => readonly CodeVersionAdoption[], now: number): Promise<number | null>;
  /** Wait for started calls; later calls of every part reject with StateStoreError. */
  close(): Promise<void>;
}

/**
 * Fingerprints of the state per UI topic (io/ui/change-feed.ts compares two of them). `events` is the
 * newest event seq of each running run (run pages tail those).
 */
export interface ChangeMarks {
  runs: string;
  assets: string;
  backfills: string;
  instigators: string;
  alerts: string;
  events: Map<string, number>;
}

/** All access to persistent state goes through this interface (io/state implements it). */
export type StateStore = RunStore & MaterializationStore & BackfillStore & InstigatorStore & AlertStore & CrossCuttingStore;

/**
 * How this build computes automatic code versions (io/project/code-version.ts); the state records
 * the scheme its versions are of (a new state file: this one). 1: `fn.toString()` (state schema ≤ 6);
 * 2: source text in normal form.
 */
export const CODE_VERSION_SCHEME = 2;

/**
 * One asset's code version now, and what an older code-version scheme computed for the same code
 * (io/project/code-version.ts): latest materializations recorded with one of `legacy` are of this code.
 */
export interface CodeVersionAdoption {
  assetKey: string;
  codeVersion: string;
  legacy: readonly string[];
}
