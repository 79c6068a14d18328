/**
 * Contracts of schedules, sensors and declarative automation: definitions are branded plain data
 * (made by `schedule()`, `sensor()`, `eager()`/`onCron()`/`onMissing()`), cron evaluation is
 * injected (`CronEvaluator`, io/ implements it with croner), and times are epoch ms.
 */
import type { ResourcesOf } from "../resources.ts";
import type { AnyAssetDef } from "../asset.ts";
import type { AssetLogger } from "../context.ts";
import type { MaybePromise } from "../types.ts";

/** Brand on every schedule definition. */
export const SCHEDULE_DEF = Symbol.for("dagx.schedule");
/** Brand on every sensor definition. */
export const SENSOR_DEF = Symbol.for("dagx.sensor");
/** Brand on every automation condition. */
export const AUTOMATION_CONDITION = Symbol.for("dagx.automation");

/** Default time zone of schedules and `onCron`. */
export const DEFAULT_TIMEZONE = "UTC";
/** Default sensor interval. */
export const DEFAULT_SENSOR_INTERVAL = "30s";
/** Default time a sensor function may take before its tick fails. */
export const DEFAULT_SENSOR_TIMEOUT = "60s";
/** Most runs `catchUp: "all"` launches after downtime (the latest ones). */
export const MAX_CATCH_UP_RUNS = 100;
/** Most automation requests per evaluation, unless `maxRequests` says otherwise. */
export const DEFAULT_MAX_REQUESTS = 50;

/**
 * Cron evaluation, injected so core stays pure (io/ implements it with croner). Expressions have
 * 5 fields, or 6 with seconds first; daylight-saving gaps and repeats follow cron in `timezone`.
 */
export interface CronEvaluator {
  /** The first tick strictly after `after` (epoch ms), or null when there is none. */
  next(expr: string, timezone: string, after: number): number | null;
  /** Why `expr` or `timezone` is invalid, or null when both are fine. */
  validate(expr: string, timezone: string): string | null;
}

/** One part of a selection: a selection string (`"orders+"`, `"group:raw"`) or an asset definition. */
export type SelectItem = string | AnyAssetDef;
/** What `select` accepts: one item or a list, kept raw until the loader resolves it. */
export type SelectTarget = SelectItem | readonly SelectItem[];

/** What a schedule does with ticks missed while the daemon was down. */
export type CatchUpPolicy = "latest" | "none" | "all";
/** What a schedule does when its previous run still runs at a tick. */
export type OverlapPolicy = "skip" | "allow";

/** Options of `schedule()`. */
export interface ScheduleOptions {
  /** Cron expression, 5 fields (`"0 6 * * *"`) or 6 with seconds first (`"30 0 6 * * *"`). */
  cron: string;
  /** IANA time zone the expression is read in. @default "UTC" */
  timezone?: string;
  /** Assets to materialize: selection strings and/or asset definitions. */
  select: SelectTarget;
  /** Partitions of the selected partitioned assets: `"latest"` (the newest complete window at the tick) or any range of the partitions grammar. @default none (for unpartitioned selections) */
  partitions?: string;
  /** `"skip"` a tick while this schedule's previous run still runs, or `"allow"` runs to overlap. @default "skip" */
  overlap?: OverlapPolicy;
  /** After downtime: run only the `"latest"` missed tick, `"none"` of them, or `"all"` (at most 100, the latest). @default "latest" */
  catchUp?: CatchUpPolicy;
  description?: string;
  /** Schedule name in ticks, logs and the CLI. @default the export name */
  name?: string;
  /** Run config of each tick's run by asset key, as `--config-file` takes it: `{ orders: { limit: 10 } }`. Validated at each tick and at launch. @default none (the schemas' defaults) */
  config?: Record<string, unknown>;
}

/** A schedule definition, made by `schedule()`. */
export interface ScheduleDef {
  readonly [SCHEDULE_DEF]: true;
  readonly options: ScheduleOptions;
  /** "file:line" of the `schedule()` call, when known. */
  readonly location: string | null;
}

/** A run a sensor asks for. */
export interface RunRequest {
  /** Assets to materialize. @default the sensor's `select` */
  select?: SelectTarget;
  /** Partitions, in the partitions grammar (`"2024-05-01"`, `"region=eu"`). @default none */
  partitions?: string;
  /** Idempotency key: a request whose run key already ran (for this sensor) is skipped. */
  runKey?: string;
  /** Tags recorded on the run. */
  tags?: Record<string, string>;
  /**
   * Run config by asset key, as `--config-file` takes it: `{ orders: { limit: 10 } }`. Validated
   * against each asset's `config` schema when the tick is recorded and again at launch; recorded with the run.
   */
  config?: Record<string, unknown>;
}

/** What a sensor function returns (or resolves to); `void` means "nothing to do". */
export interface SensorResult {
  runRequests?: RunRequest[];
  /** New cursor; `null` clears it, absent keeps it. Saved only after the requested runs are recorded. */
  cursor?: string | null;
  /** Keys to add to dynamic partitions definitions, by definition name. */
  addPartitions?: { name: string; keys: string[] }[];
  /** Why this tick did nothing, recorded on the tick. */
  skipReason?: string;
}

/** What a sensor function receives. */
export interface SensorContext<Res = ResourcesOf> {
  /** The sensor's name. */
  readonly name: string;
  /** The cursor saved by the last successful tick, or null. */
  readonly cursor: string | null;
  readonly lastTickAt: Date | null;
  readonly now: Date;
  readonly log: AssetLogger;
  /** Aborted when the tick exceeds the sensor's timeout or the daemon stops. */
  readonly signal: AbortSignal;
  /** The resources the sensor requested (set up once per daemon process), plus the plain values of dagx.config.ts `resources`. */
  readonly resources: Res;
}

export type SensorFn = (ctx: SensorContext) => MaybePromise<SensorResult | void | undefined>;

/** Options of `sensor()`. */
export interface SensorOptions {
  /** Minimum time between two ticks, at least "1s". @default "30s" */
  interval?: string | number;
  /** Assets its run requests materialize unless a request says otherwise. */
  select?: SelectTarget;
  /** Longest a tick may take before it is recorded as failed. @default "60s" */
  timeout?: string | number;
  description?: string;
  /** Sensor name in ticks, logs and the CLI. @default the export name */
  name?: string;
  /** Resources the sensor uses, by their name in dagx.config.ts (as an asset's `resources`). */
  resources?: readonly string[];
}

/** A sensor definition, made by `sensor()`. */
export interface SensorDef {
  readonly [SENSOR_DEF]: true;
  readonly options: SensorOptions;
  readonly fn: SensorFn;
  /** "file:line" of the `sensor()` call, when known. */
  readonly location: string | null;
}

interface ConditionBrand {
  readonly [AUTOMATION_CONDITION]: true;
}
/** Made by `eager()`. */
export interface EagerCondition extends ConditionBrand {
  readonly kind: "eager";
}
/** Made by `onCron()`. */
export interface OnCronCondition extends ConditionBrand {
  readonly kind: "onCron";
  readonly cron: string;
  /** IANA name, "UTC" unless given. */
  readonly timezone: string;
}
/** Made by `onMissing()`. */
export interface OnMissingCondition extends ConditionBrand {
  readonly kind: "onMissing";
}
/** A declarative automation condition of an asset (`automation: eager()`). */
/** `onOverdue()`: materialize when the asset's freshness policy says it is overdue. */
export interface OnOverdueCondition extends ConditionBrand {
  readonly kind: "onOverdue";
}
export type AutomationCondition = EagerCondition | OnCronCondition | OnMissingCondition | OnOverdueCondition;

/** A run request after validation, defaults applied. */
export interface NormalizedRequest {
  /** Never empty: the request's own select or the sensor's. */
  select: readonly SelectItem[];
  partitions: string | null;
  runKey: string | null;
  tags: Record<string, string>;
  /** Run config by asset key; absent when none. */
  config?: Record<string, unknown>;
}

/** A validated schedule with its name and defaults applied (from `validateSchedule`). */
export interface ScheduleInfo {
  name: string;
  location: string | null;
  def: ScheduleDef;
  cron: string;
  timezone: string;
  select: readonly SelectItem[];
  /** Asset keys the selection resolved to at load time. */
  keys: readonly string[];
  partitions: string | null;
  overlap: OverlapPolicy;
  catchUp: CatchUpPolicy;
  description: string | null;
  /** Run config by asset key; absent when none. */
  config?: Record<string, unknown>;
}

/** A validated sensor with its name and defaults applied (from `validateSensor`). */
export interface SensorInfo {
  name: string;
  location: string | null;
  def: SensorDef;
  intervalMs: number;
  timeoutMs: number;
  /** The sensor's own select, or null when every request must bring one. */
  select: readonly SelectItem[] | null;
  /** Asset keys `select` resolved to at load time, or null. */
  keys: readonly string[] | null;
  description: string | null;
}
