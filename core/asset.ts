/**
 * The definition side of the public API: `asset()` and the types that make inputs typed.
 * Definitions are inert values; the loader assigns keys (export names) and the executor runs them.
 */
import type { AssetContext, SqlQuery, TableInput } from "./context.ts";
import type { PartitionMapping, PartitionsDef } from "./partitions/types.ts";
import type { AutomationCondition } from "./automation/types.ts";
import { recordCallSite } from "./call-site.ts";
import { callerFrame } from "./location.ts";
import type { BuiltinCheck, CheckSpec, ReportedCheckResult } from "./checks/types.ts";
import type { FreshnessPolicy } from "./freshness.ts";
import type { IOManager, ParquetWriter } from "./io-manager.ts";
import type { ConfigOf, ConfigSchema } from "./run-config.ts";
import type { ResourceName, ResourcesOf } from "./resources.ts";

/** Retry policy of an asset's step. */
export interface RetryPolicy {
  /** How many times to retry after the first failure. @default 0 */
  maxRetries?: number;
  /** Delay before the first retry: ms or "1s", "500ms", "2m". @default "1s" */
  delay?: number | string;
  /** How the delay grows between retries. @default "exponential" */
  backoff?: "constant" | "linear" | "exponential";
  /** Randomize each delay between 50% and 100% of its value. @default true */
  jitter?: boolean;
}

/** Anything that can be named as an upstream: an asset definition or its key string. */
export type AssetRef = AnyAssetDef | string;

/** Options of `asset(options, fn)`. */
export interface AssetOptions<
  Ins extends Record<string, AnyAssetDef> = Record<string, AnyAssetDef>,
  P extends PartitionsDef | undefined = PartitionsDef | undefined,
  C extends ConfigSchema | undefined = ConfigSchema | undefined,
  R extends readonly string[] = readonly string[],
> {
  /** Asset key, `/`-separated for prefixes (`analytics/daily_revenue`). @default the export name */
  key?: string;
  /** Group shown by `list` and selectable with `group:NAME`. @default "default" */
  group?: string;
  description?: string;
  /** Owners, e.g. `["team:data", "ana@example.com"]`. */
  owners?: string[];
  /** Free-form tags, selectable with `tag:NAME=VALUE`. */
  tags?: Record<string, string>;
  /** Kinds shown in the UI and selectable with `kind:NAME`, e.g. `["duckdb"]`. */
  kinds?: string[];
  /** Explicit code version; when it changes the asset is stale. @default a hash of the function and the local modules its file imports */
  codeVersion?: string;
  retry?: RetryPolicy;
  /**
   * The concurrency pool of this asset's steps, by its name in `defineConfig({ pools })`: at most
   * that many steps of the pool run at once — within a local run, and across every `dagx worker`
   * sharing the Postgres state (docs/workers.md). An unknown name is a definition error.
   * @example pool: "warehouse"
   */
  pool?: string;
  /**
   * The IO manager that stores the output: a built-in (`"parquet"`, `"json"`), the name of one
   * declared in `defineConfig({ ioManagers })`, or an IO manager object.
   * @default "parquet" for tables (a ctx.sql query, an Arrow Table, rows), "json" for other values
   */
  io?: "parquet" | "json" | (string & {}) | IOManager;
  /**
   * Who writes this asset's row output when it is stored as Parquet: "duckdb" (DuckDB COPY:
   * compressed, with column statistics readers use to skip row groups), "direct" (JS writes the
   * file: faster and smaller, but without statistics) or "auto" (direct for flat outputs of at
   * most 1,024 rows). ctx.sql queries and Arrow Tables are always written by DuckDB.
   * @default the project's `parquetWriter` in dagx.config.ts, else "auto"
   */
  parquetWriter?: ParquetWriter;
  /**
   * Resources this asset uses, by their name in dagx.config.ts: each is set up before the asset
   * runs (once per process) and reaches it as `ctx.resources.<name>`, typed. An unknown name is
   * a definition error.
   */
  resources?: R;
  /** Typed inputs: each upstream arrives as the function's second argument under the same name. */
  ins?: Ins;
  /** Upstreams that must run first but are not loaded (definitions or key strings). */
  deps?: AssetRef[];
  /** Partitions of this asset: `daily({ start: "2024-01-01" })`, `staticPartitions([...])`, `multiPartitions({...})`. */
  partitions?: P;
  /**
   * Which upstream partitions each input reads, by input name (or dep key):
   * `{ orders: timeWindow({ offset: [-6, 0] }) }` for a 7-day rolling window.
   * @default identity between equal definitions, window overlap between time definitions of different granularity, all partitions for an unpartitioned asset
   */
  mappings?: Record<string, PartitionMapping>;
  /** How a backfill runs this asset: one step per partition, or the whole range in one step (`ctx.partition.keys`). @default "per-partition" */
  backfill?: "per-partition" | "single-run";
  /** Declarative automation, evaluated by `dagx daemon` / `dagx dev`: `eager()`, `onCron("0 6 * * *")` or `onMissing()`. */
  automation?: AutomationCondition;
  /** How old the data may get: `{ maxLag: "24h", warnAfter: "12h" }` or a deadline `{ cron: "0 9 * * *", maxLag: "1h" }`. */
  freshness?: FreshnessPolicy;
  /**
   * Built-in checks, run as SQL over the stored output after each materialization (and by
   * `dagx check`): `[notNull("id"), unique("id"), rowCount({ min: 1 }), acceptedValues("status", ["open", "paid"]), expr("amount >= 0")]`.
   * Tabular outputs only; check other values with `check(asset, fn)`. `checkSpec("name")` declares a
   * check whose result the step reports itself (`ctx.output(value, { checks: { name: { passed } } })`).
   */
  checks?: (BuiltinCheck | CheckSpec)[];
  /**
   * Per-run config: a Standard Schema (`v.object({...})` from "dagx", or zod ≥ 3.24, arktype, …);
   * `ctx.config` is its output. Given per run with `--config orders.limit=10` or `--config-file
   * run.json`, validated before the run starts (defaults from the schema, unknown fields are errors),
   * recorded with the run and hashed into each materialization (status: "config changed").
   * @example config: v.object({ limit: v.optional(v.number(), 100) })
   */
  config?: C;
}

/** What a stored output of type `Out` looks like to a downstream asset. */
export type InputOf<Out> = [Out] extends [undefined | void]
  ? undefined
  : Out extends SqlQuery<infer R>
    ? TableInput<R>
    : Out extends ArrowTableLike
      ? TableInput<Record<string, unknown>>
      : Out extends readonly (infer R)[]
        ? [R] extends [object]
          ? R extends Date | readonly unknown[]
            ? Out
            : TableInput<R>
          : Out
        : Out;

/** Structural shape of an Apache Arrow `Table` (so user code can bring its own apache-arrow). */
export interface ArrowTableLike {
  readonly schema: { readonly fields: readonly unknown[] };
  readonly numRows: number;
  readonly batches: readonly unknown[];
}

/** Options of `ctx.output(value, options)`: what the step says about its output besides the value. */
export interface OutputOptions {
  /** Stored on the materialization (shown by `dagx status`, the UI, `dagx logs`). */
  metadata?: Record<string, unknown>;
  /**
   * Results of the asset's `checkSpec()` checks, by check name (a declared check left out is recorded
   * as failed; a name not declared is recorded and flagged undeclared, with a warning).
   */
  checks?: Record<string, ReportedCheckResult>;
  /**
   * Data version of an output written elsewhere (the value is `undefined`: a dbt model, a script's
   * file): replaces the hash dagx derives from the code and input versions, so early cutoff and
   * staleness follow the real data. Not allowed with a stored value (dagx hashes what it stores).
   */
  dataVersion?: string;
}

/** A value returned together with metadata, made by `ctx.output(value, { metadata, checks, dataVersion })`. */
export interface OutputWithMetadata<T> {
  readonly __dagxOutput: true;
  readonly value: T;
  readonly metadata: Record<string, unknown>;
  readonly checks?: Record<string, ReportedCheckResult>;
  readonly dataVersion?: string;
}

type Unwrap<T> = T extends OutputWithMetadata<infer V> ? V : T;

/** The inputs object an asset function receives. */
export type InputsOf<Ins extends Record<string, AnyAssetDef>> = { [K in keyof Ins]: InputOf<OutputOf<Ins[K]>> };

/** The output type of an asset definition: `OutputOf<typeof orders>`. */
export type OutputOf<A> = A extends AssetDef<infer O> ? O : never;

export const ASSET_DEF = Symbol.for("dagx.asset");
/** An asset definition, made by `asset()`. */
export interface AssetDef<Out, Cfg = unknown> {
  readonly [ASSET_DEF]: true;
  readonly options: AssetOptions;
  readonly fn: (ctx: AssetContext, inputs: Record<string, unknown>) => unknown;
  /** The source location of the `asset()` call ("file:line"), when known. */
  readonly location: string | null;
  /** Phantom: the output type, for inference only. */
  readonly $output?: Out;
  /** Phantom: `ctx.config`'s type (its config schema's output), for checks' `ctx.config`. */
  readonly $config?: Cfg;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyAssetDef = AssetDef<any, any>;

type AssetFn<Ins extends Record<string, AnyAssetDef>, Out, P, C = undefined, R extends readonly string[] = []> = (
  ctx: AssetContext<P, ConfigOf<C>, ResourcesOf<R>>,
  inputs: InputsOf<Ins>,
) => Out | Promise<Out>;

/**
 * Define a software-defined asset. Its key is the export name unless `key` is given.
 *
 * @example
 * export const orders = asset((ctx) => ctx.sql`select * from read_csv(${ctx.path("data/orders.csv")})`);
 * export const revenue = asset({ ins: { orders } }, (ctx, { orders }) =>
 *   ctx.sql`select sum(amount) as revenue from ${orders}`);
 * export const settings = asset(() => ({ currency: "EUR" }));   // stored as JSON
 * export const events = asset({ partitions: daily({ start: "2024-01-01" }) }, (ctx) =>
 *   ctx.sql`select * from read_json(${ctx.path(`raw/${ctx.partition.key}.json`)})`);
 */
export function asset<Out>(fn: (ctx: AssetContext<undefined, undefined>) => Out | Promise<Out>): AssetDef<Unwrap<Out>, undefined>;
export function asset<
  const Ins extends Record<string, AnyAssetDef> = {},
  Out = unknown,
  const P extends PartitionsDef | undefined = undefined,
  C extends ConfigSchema | undefined = undefined,
  const R extends readonly ResourceName[] = [],
>(
  options: AssetOptions<Ins, P, C, R>,
  fn: AssetFn<Ins, Out, P, C, R>,
): AssetDef<Unwrap<Out>, ConfigOf<C>>;
export function asset(a: unknown, b?: unknown): AnyAssetDef {
  const options = (typeof a === "function" ? {} : a) as AssetOptions;
  const fn = (typeof a === "function" ? a : b) as AssetDef<unknown>["fn"];
  if (typeof fn !== "function") throw new TypeError("asset() needs a function: asset(fn) or asset(options, fn)");
  if (options === null || typeof options !== "object") throw new TypeError("asset() options must be an object");
  const site = callerFrame();
  const def: AnyAssetDef = { [ASSET_DEF]: true, options, fn, location: site ? `${site.file}:${site.line}` : null };
  recordCallSite(def, site);
  return def;
}

/** True when `value` is an asset definition. */
export function isAssetDef(value: unknown): value is AnyAssetDef {
  return typeof value === "object" && value !== null && (value as Record<symbol, unknown>)[ASSET_DEF] === true;
}
