/**
 * The web UI's JSON API (`dagx ui`, DESIGN §13): the contract between the server (io/ui/) and the
 * front end (web/). Types only. Every document the CLI also prints keeps the CLI's `--json` shape
 * (README "JSON shapes"): the UI reads what the CLI prints, built by the same functions.
 *
 * Transport rules (io/ui/ enforces them, web/api.ts follows them):
 * - Every path under `/api/` needs the per-launch token: the `dagx_token` cookie (set by opening
 *   the printed `/?token=…` URL; SameSite=Strict) and, on every `fetch`, the same value in the
 *   `X-Dagx-Token` header (the app reads it from the cookie). Non-GET requests need the header and a
 *   same-origin `Origin`. The event stream (`EventSource`, no custom headers) needs the cookie and a
 *   same-origin `Origin`.
 *   Exactly (io/ui/security.ts): `/api/events` takes the token from the header or the cookie; every
 *   other `/api/` path from the header only (401 without). A same-origin request is one whose `Origin`
 *   is `http://` + its `Host`, or — a GET without `Origin`, as browsers send same-origin GETs and
 *   EventSource — one with `Sec-Fetch-Site: same-origin`. A cross-site `Origin` or `Sec-Fetch-Site`
 *   is refused (403) on every `/api/` path. `Host` must be localhost, 127.0.0.1 or [::1] with the
 *   server's port (403 otherwise: DNS rebinding). The page itself (any non-`/api/` path) needs the
 *   cookie: without it a plain 401 page says to open the printed URL; the bundle's files do not.
 * - Errors: any non-2xx answer has the body `{ "error": { "code": "…", "message": "…" } }` (as the
 *   CLI's `--json` errors); a selection error adds `pointer` (the selection with a caret line under
 *   the offending token, to show in a monospace block).
 * - Times are ISO strings (as the CLI's JSON), durations milliseconds.
 * - Any other path answers the app's HTML (client routes: `/`, `/graph`, `/assets`, `/assets/<key>`,
 *   `/runs`, `/runs/<id>`, `/backfills`, `/backfills/<id>`, `/schedules`, `/sensors`).
 */

/** Header that carries the token on `fetch` requests. */
export const UI_TOKEN_HEADER = "X-Dagx-Token";
/** Cookie set from the printed URL's `?token=`. */
export const UI_TOKEN_COOKIE = "dagx_token";

/** `{ error }` body of every non-2xx answer. */
export interface ApiError {
  error: { code: string; message: string; pointer?: string };
}

/** GET /api/meta */
export interface ApiMeta {
  /** Project root folder name and absolute path. */
  project: { name: string; root: string };
  dagx: { version: string; duckdb: string; compiled: boolean };
  /** Load errors of asset files (the project still serves what loaded). */
  loadErrors: { file: string; line: number | null; message: string }[];
  now: string;
}

export type AssetStatusName = "fresh" | "stale" | "missing" | "failed" | "running";

/**
 * One asset as the catalog and the graph show it: the fields of `dagx list --json` and of
 * `dagx status --json` for that asset, plus what the UI adds (`running`, `status` including "running").
 */
export interface ApiAsset {
  key: string;
  group: string | null;
  deps: string[];
  /** Keys that read this asset (the reverse of deps), for the detail page. */
  downstream: string[];
  description: string | null;
  owners: string[];
  tags: Record<string, string>;
  kinds: string[];
  codeVersion: string;
  /** `/abs/file.asset.ts:LINE` */
  location: string;
  /** For an out of a multi-asset or dbt project: the keys its one step materializes (`dagx list --json`'s `step`). */
  step: { outs: string[]; canSubset: boolean; location: string | null } | null;
  /** `dagx list`'s partitions definition text, null when unpartitioned. */
  partitionsDefinition: string | null;
  /** "running" when a running run materializes it; else status's status. */
  status: AssetStatusName;
  causes: string[];
  /** Run ids of running runs that materialize this asset. */
  runningRuns: string[];
  /** `dagx status --json` fields, as they are there. */
  freshness: { state: "fresh" | "late" | "overdue"; lagMs: number | null; reason: string } | null;
  checks: { passed: number; failed: number; warned: number } | null;
  lastMaterialization: { runId: string; at: string; rows: number | null; bytes: number | null; durationMs: number | null; partition: string | null } | null;
  lastFailure: { runId: string; at: string; error: string; partition: string | null } | null;
  /** Partition counts (status's `partitions` without ranges), null when unpartitioned. */
  partitions: { total: number; materialized: number; missing: number; failed: number; stale: number } | null;
}

/** GET /api/assets → every asset (the graph page uses the same list; edges are `deps`). */
export interface ApiAssets {
  assets: ApiAsset[];
}

/** GET /api/selection?q=SEL → the keys the selection grammar picks (400 with `pointer` on a bad selection). */
export interface ApiSelection {
  selection: string;
  keys: string[];
}

/** One materialization of the history (newest first). */
export interface ApiMaterialization {
  runId: string;
  at: string;
  partition: string | null;
  rows: number | null;
  bytes: number | null;
  durationMs: number | null;
  dataVersion: string;
  codeVersion: string;
  path: string | null;
  schema: { name: string; type: string }[] | null;
  schemaChange: { added: unknown[]; removed: unknown[]; changed: unknown[] } | null;
  /** User metadata (`ctx.output` metadata) and dagx's own (`dagx/…` keys). */
  metadata: Record<string, unknown> | null;
}

/** One check result (the shape of `dagx check --json`'s items). */
export interface ApiCheckResult {
  key: string;
  check: string;
  partition: string | null;
  passed: boolean;
  severity: "error" | "warn";
  blocking: boolean;
  metadata: Record<string, unknown> | null;
  error: string | null;
  runId: string | null;
  at: string;
  /** As `dagx check --json` has them too: the check's description and a sample of failing rows. */
  description?: string | null;
  sample?: unknown[] | null;
}

/**
 * GET /api/assets/<key> (key URL-encoded, `/` allowed) → the detail page.
 * `status` is `dagx status KEY --json`'s item for this asset, as it is.
 */
export interface ApiAssetDetail {
  asset: ApiAsset;
  status: unknown;
  /** Latest materializations first, at most `?limit=` (default 200). */
  history: ApiMaterialization[];
  /** Latest result per check, then the history of results (newest first, at most 200). */
  checks: { latest: ApiCheckResult[]; history: ApiCheckResult[] };
}

/**
 * GET /api/assets/<key>/partitions?buckets=N (default 200) → the health bar, computed from ranges:
 * the partition space is cut into at most N consecutive buckets of partitions; each bucket carries
 * its counts, so the bar shades each bucket by proportion and never holds a million elements. With
 * total ≤ N every bucket is one partition (hover shows that partition).
 */
export interface ApiPartitionHealth {
  definition: string;
  total: number;
  counts: { materialized: number; missing: number; failed: number; stale: number };
  buckets: {
    /** First and last partition key of the bucket (equal when it holds one). */
    first: string;
    last: string;
    size: number;
    materialized: number;
    failed: number;
    stale: number;
    missing: number;
  }[];
}

/** GET /api/assets/<key>/preview → the first 100 rows of the current output (through DuckDB), or 404 with a message when never materialized. */
export interface ApiPreview {
  columns: { name: string; type: string }[];
  rows: Record<string, unknown>[];
  /** True when the output has more rows than shown. */
  truncated: boolean;
}

/** A run as `dagx runs --json` prints it. */
export interface ApiRun {
  runId: string;
  status: "queued" | "running" | "success" | "failed" | "canceled" | "abandoned";
  trigger: string;
  selection: string;
  startedAt: string;
  endedAt: string | null;
  pid: number | null;
  host: string | null;
  tags: Record<string, string>;
  assets?: string[];
  config: Record<string, unknown> | null;
}

/** GET /api/runs?status=&trigger=&asset=&tag=K=V&limit= → newest first. */
export interface ApiRuns {
  runs: ApiRun[];
}

/** An event as `dagx logs --json` prints it. */
export interface ApiEvent {
  runId: string;
  seq: number;
  at: string;
  type: string;
  assetKey: string | null;
  partitionKey: string | null;
  payload: Record<string, unknown>;
}

/** GET /api/runs/<id>?after=SEQ → `dagx logs RUN --json` (events after `after` only, for the live tail). */
export interface ApiRunDetail {
  run: ApiRun;
  events: ApiEvent[];
}

/** GET /api/backfills → `dagx backfill list --json` as `{ backfills }`; GET /api/backfills/<id> → `dagx backfill show ID --json`. */
export interface ApiBackfills {
  backfills: unknown[];
}

/** GET /api/schedules, /api/sensors → `dagx schedules list --json` / `dagx sensors list --json` as `{ schedules }` / `{ sensors }`. */
export interface ApiInstigators {
  schedules?: unknown[];
  sensors?: unknown[];
}

/** GET /api/ticks?name=NAME&limit= → tick history of one schedule/sensor, newest first. */
export interface ApiTicks {
  ticks: { name: string; tickAt: string; evaluatedAt: string; status: string; reason: string | null; requestIds: string[] }[];
}

/** GET /api/overview → what `/` shows at a glance. */
export interface ApiOverview {
  failedRuns: ApiRun[];
  runningRuns: ApiRun[];
  failingChecks: ApiCheckResult[];
  overdue: { key: string; reason: string }[];
  /** Counts of assets by status. */
  assets: Record<AssetStatusName, number>;
  /** Alerts that could not be delivered (empty until alerts exist). */
  alertFailures: { at: string; kind: string; message: string }[];
}

/**
 * Actions (POST, JSON body; token header + same-origin Origin). They go through the same code as the
 * CLI and are recorded with trigger `ui`; runs execute in a child `dagx` process.
 * - POST /api/plan `{ selection, partition?, partitions?, stale? }` → `dagx materialize --dry-run --json`.
 * - POST /api/materialize `{ selection, partition?, partitions?, stale?, tags? }` → `{ runId }` (202);
 *   when the plan has no step (e.g. `stale` and everything is fresh) nothing starts:
 *   `{ runId: null, status: "nothing", plan }` (200). The run shows up in /api/runs within a second or so
 *   (its child process records it); until then /api/runs/<id> answers 404 `NOT_FOUND`, and when the child
 *   ended without recording it (e.g. its definitions failed to load) 404 `LAUNCH_FAILED` with why.
 * - POST /api/runs/<id>/cancel → `{ runId, status }` with status `cancel-requested` (the run stops
 *   within ~1 s and ends `canceled`), `abandoned` (its process was gone), or the run's final status.
 * - POST /api/backfills/<id>/cancel → status `cancel-requested`, `canceled` (abandoned one) or the final status.
 * - POST /api/backfill `{ selection, partitions }` → `{ backfillId }` (202).
 * - POST /api/runs/<id>/cancel → `{ runId, status }`.
 * - POST /api/backfills/<id>/cancel, /api/backfills/<id>/resume → `{ backfillId, status }`.
 * - POST /api/schedules/<name>/start|stop, /api/sensors/<name>/start|stop → `{ name, status }`.
 */
export interface ApiLaunchRequest {
  selection: string;
  partition?: string;
  partitions?: string;
  stale?: boolean;
  tags?: Record<string, string>;
}

/**
 * GET /api/events: server-sent events. Each `change` event says what changed, and the page refetches
 * what it shows of those topics. Sent within 1 s of any state change, by this process or another
 * (a CLI, the daemon). A comment line every 15 s keeps the stream open.
 */
export type ChangeTopic = "runs" | "assets" | "backfills" | "instigators" | "alerts" | "definitions";
export interface ChangeEvent {
  topics: ChangeTopic[];
  /** Runs whose events changed (run pages tail these). */
  runIds?: string[];
}

/** One read-only text of an asset's code (shown as text, never as HTML). */
export interface ApiCodeText {
  /** What it is: "query", "compiled query", "dbt model", "compiled SQL", "script", … */
  label: string;
  /** Absolute path of the file it comes from, and the line it starts at (null when not from a file). */
  file: string | null;
  line: number | null;
  language: "sql" | "python" | "typescript" | "text";
  text: string;
  /** The file was longer than the UI shows (512 KiB): only its start is here. */
  truncated: boolean;
}

/** A check an asset declares (results may not exist yet), with a dbt test's own fields. */
export interface ApiDeclaredCheck {
  name: string;
  /** builtin (`@checks`/`checks: [...]`), function (`check()`), reported (`checkSpec()`: a dbt test, a Pipes check). */
  kind: "builtin" | "function" | "reported";
  severity: "error" | "warn";
  blocking: boolean;
  description: string | null;
  /** For a dbt test: its unique id, what it tests (`unique(order_id)`), and its compiled SQL when dbt wrote it. */
  dbt?: { uniqueId: string; test: string | null; compiledSql: string | null };
}

/**
 * GET /api/assets/<key>/code?partition=KEY → what computes the asset, for the "Code" section.
 * Only files the definitions name are read (the SQL file, the dbt model's file and dagx's own dbt
 * target folder, a Pipes script named in the command), and only inside the project root or the dbt
 * project folder. `partition` (SQL assets) binds the partition parameters' values, as
 * `dagx sql KEY --partition P` does (400 `USAGE` for an unknown partition).
 */
export interface ApiAssetCode {
  key: string;
  /** `sql`: a `*.asset.sql` file; `dbt`: a dbt model/seed/snapshot; `pipes`: `pipesAsset()` or `*.asset.py`; `ts`: a TypeScript asset. */
  kind: "sql" | "dbt" | "pipes" | "ts";
  /** `/abs/file:LINE` of the definition (for dbt: the model's file). */
  location: string;
  /** The texts to show, in order (none for a TS asset). */
  texts: ApiCodeText[];
  /** SQL asset: `dagx sql KEY --json`'s parameters (values null without a partition), upstream keys, external tables. */
  sql: { partition: string | null; params: { index: number; name: string; value: string | null }[]; upstreams: string[]; external: string[] } | null;
  /** dbt: the node's unique id, resource type, the dbt project folder; `compiled` false until a build wrote the compiled SQL. */
  dbt: { uniqueId: string; resourceType: string; projectDir: string; file: string; compiled: boolean } | null;
  /** Pipes: the command (argv, run from the project root) and the script file found in it, if any. */
  pipes: { command: string[]; script: string | null } | null;
  /** The checks the asset declares (dbt tests included). */
  checks: ApiDeclaredCheck[];
}
