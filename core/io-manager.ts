/**
 * The IO manager port (DESIGN §12): how an asset's output is stored and read back. The run engine
 * talks only to this contract; Parquet files and JSON values are the two built-ins behind it
 * (io/iomanagers/), and `defineIOManager` lets a project add its own. Types only, plus the
 * definition helper and the load-time checks of `io:` — pure.
 */
import type { AssetLogger, SqlQuery, TableInput } from "./context.ts";
import { describeValue } from "./describe.ts";
import type { Resolved } from "./env.ts";
import { didYouMean } from "./suggest.ts";
import type { ColumnSchema, MaybePromise } from "./types.ts";

export const IO_MANAGER = Symbol.for("dagx.io-manager");

/** Names of the built-in IO managers (`io: "parquet" | "json"`); "none" is recorded for an asset that stored nothing. */
export const BUILTIN_IO_MANAGERS = ["parquet", "json"] as const;
export const NO_OUTPUT = "none";

/**
 * Who writes a row output of the built-in Parquet IO manager (`parquetWriter` on an asset, or the
 * project default in dagx.config.ts): "duckdb" stages the rows and lets DuckDB COPY them
 * (compressed, with column statistics); "direct" writes the file from JS (no COPY: faster and
 * smaller — zstd, delta and dictionary pages; null counts everywhere, min/max for numbers,
 * timestamps, booleans and ASCII dictionary strings, none for other strings); "auto" writes flat outputs of ≤ 1,024 rows directly, the rest by DuckDB.
 */
export const PARQUET_WRITERS = ["auto", "direct", "duckdb"] as const;
export type ParquetWriter = (typeof PARQUET_WRITERS)[number];

/** Why `value` is not a `parquetWriter`, or null. */
export function parquetWriterProblem(value: unknown): string | null {
  if (value === undefined || (PARQUET_WRITERS as readonly unknown[]).includes(value)) return null;
  const got = typeof value === "string" ? JSON.stringify(value) + didYouMean(value.toLowerCase(), PARQUET_WRITERS) : describeValue(value);
  return `parquetWriter must be "auto", "direct" or "duckdb" (got ${got})`;
}

/** What `handleOutput` reports back; dagx records it on the materialization. */
export interface StoredOutput {
  /**
   * Where the output lives, recorded as the materialization's path and handed back to
   * `loadInput`/`remove`: for files under `.dagx/data`, the path relative to it (`ctx.file(name).location`).
   */
  location: string;
  /** Row count, when the output is a table. */
  rows: number | null;
  /** Stored size in bytes, when known. */
  bytes: number | null;
  /** Content hash: identical content must give an identical data version (early cutoff relies on it). */
  dataVersion: string;
  /** Column names and types, when the output is a table (schema changes are reported from it). */
  schema: ColumnSchema[] | null;
}

/** The output being stored: handed to `handleOutput` and `remove`. */
export interface OutputContext {
  /** The asset's key, `a/b` form. */
  readonly assetKey: string;
  /** The partition key; "" when the asset is unpartitioned. */
  readonly partitionKey: string;
  readonly runId: string;
  readonly log: AssetLogger;
  /**
   * A file for this output in the folder dagx gives it under `.dagx/data` (`<key>/<partition
   * folders>/`): `path` is where to write (absolute, folder created), `location` what to return.
   * On a queue worker the file is the attempt's own (`data-<run id>-a<epoch>.csv` for "data.csv"),
   * made current only when the worker's lease-fenced commit records it: return this `location`.
   */
  file(name: string): { path: string; location: string };
  /** Absolute path of a location under `.dagx/data` (what `remove` is given). */
  path(location: string): string;
  /**
   * Write `data` to `file(name)` atomically (temp file, rename): a failed write leaves the previous
   * output in place. Returns the location, the size and the content hash to report.
   */
  writeFile(name: string, data: string | Uint8Array): Promise<{ location: string; bytes: number; dataVersion: string }>;
  /**
   * A `ctx.sql` query as DuckDB text and positional parameters (`$1`…), inputs spliced as their
   * table expressions: for a manager that runs the query where its data lives. `await query.rows()`
   * runs it in the step's DuckDB instead.
   */
  compile(query: SqlQuery): { text: string; params: unknown[] };
  /** The resources the IO manager requested (`defineIOManager({ resources: ["warehouse"] })`), plus the config's plain values. */
  readonly resources: Readonly<Record<string, unknown>>;
  /** `value` (the manager's options) with every `env()` reference read now; a missing variable fails this step, naming it. */
  resolve<T>(value: T): Resolved<T>;
}

/** What a downstream step reads of one upstream: the stored outputs of the partitions its mapping names. */
export interface StoredInput {
  /** The upstream asset's key. */
  readonly assetKey: string;
  /** Locations `handleOutput` returned, one per partition read (one for an unpartitioned upstream, none when no partition it names is stored). */
  readonly locations: readonly string[];
  /** The partition key of each location ("" for an unpartitioned upstream). */
  readonly partitionKeys: readonly string[];
  /** The upstream's partition dimension names (`date`, `region`…); [] when unpartitioned. */
  readonly dimensions: readonly string[];
  /** The key of location `i`, one value per dimension. */
  keyValues(i: number): readonly string[];
  /** Recorded schemas: one per location, or one for all of them; null where unknown. */
  readonly schemas: readonly (readonly ColumnSchema[] | null)[];
  /** The upstream's columns as last stored (to shape an empty input), or null. */
  readonly columns: readonly ColumnSchema[] | null;
}

/** The input being loaded: handed to `loadInput`. */
export interface InputContext {
  /** The asset (or check) that reads the input. */
  readonly assetKey: string;
  readonly runId: string;
  readonly upstream: StoredInput;
  /** Absolute path of a location under `.dagx/data`. */
  path(location: string): string;
  /** A DuckDB list literal of exact files, each read literally (no globbing): `read_json(${ctx.fileList(paths)})`. */
  fileList(paths: readonly string[]): string;
  /**
   * A table handle over a table expression of the step's DuckDB (`read_json([...])`, a subquery):
   * usable in `ctx.sql` as a relation, and loadable with `rows()` / `arrow()`.
   */
  table(sql: string, paths?: readonly string[]): TableInput;
  /** The resources the IO manager requested, plus the config's plain values. */
  readonly resources: Readonly<Record<string, unknown>>;
  /** `value` (the manager's options) with every `env()` reference read now; a missing variable fails this step, naming it. */
  resolve<T>(value: T): Resolved<T>;
}

/** Options of `defineIOManager`: the port's contract. */
export interface IOManagerOptions {
  /** Name in messages and, for a manager given inline as `io: manager`, the name state records. @default the key in `defineConfig({ ioManagers })` */
  name?: string;
  /**
   * Store `value`, the asset's return value as it is (a `ctx.sql` query, an Arrow Table, rows, a
   * plain value), and report what was stored. Throw to fail the step; the previous output must stay.
   */
  handleOutput(ctx: OutputContext, value: unknown): MaybePromise<StoredOutput>;
  /**
   * Read an upstream output back for a downstream step: a table handle (`ctx.table(…)`, usable in
   * `ctx.sql` and with `rows()`/`arrow()`) or a plain value.
   */
  loadInput(ctx: InputContext): MaybePromise<unknown>;
  /** Delete the stored output at `location` (`dagx wipe --data`); `ctx.path(location)` is its path under `.dagx/data`. @default nothing is deleted */
  remove?(ctx: OutputContext, location: string): MaybePromise<void>;
  /** Resources its calls use, by their name in dagx.config.ts: set up before the call, given as `ctx.resources`. */
  resources?: readonly string[];
}

/** An IO manager, made by `defineIOManager`. */
export interface IOManager extends IOManagerOptions {
  readonly [IO_MANAGER]: true;
}

/**
 * Define an IO manager: how an asset's output is stored and read back. Declare it in
 * `defineConfig({ ioManagers: { name: manager } })` and choose it per asset with `io: "name"`
 * (or pass the object itself as `io`).
 *
 * @example
 * // newline-delimited JSON files beside dagx's own outputs
 * export const ndjson = defineIOManager({
 *   async handleOutput(ctx, value) {
 *     const rows = isSqlQuery(value) ? await value.rows() : (value as Record<string, unknown>[]);
 *     const file = await ctx.writeFile("data.ndjson", rows.map((r) => JSON.stringify(r)).join("\n"));
 *     return { ...file, rows: rows.length, schema: null };
 *   },
 *   loadInput: (ctx) => {
 *     const files = ctx.upstream.locations.map((l) => ctx.path(l));
 *     return ctx.table(`read_json(${ctx.fileList(files)}, format = 'newline_delimited')`, files);
 *   },
 * });
 */
export function defineIOManager(options: IOManagerOptions): IOManager {
  return { ...options, [IO_MANAGER]: true };
}

/** True when `value` was made by `defineIOManager`. */
export function isIOManager(value: unknown): value is IOManager {
  return typeof value === "object" && value !== null && (value as Record<symbol, unknown>)[IO_MANAGER] === true;
}

/** Why `value` cannot be a `defineIOManager` argument's result, or null. */
export function ioManagerProblem(value: unknown): string | null {
  if (!isIOManager(value)) return "it is not made by defineIOManager({ handleOutput, loadInput })";
  if (typeof value.handleOutput !== "function") return "handleOutput must be a function (ctx, value) => { location, rows, bytes, dataVersion, schema }";
  if (typeof value.loadInput !== "function") return "loadInput must be a function (ctx) => a table handle or a value";
  if (value.remove !== undefined && typeof value.remove !== "function") return "remove must be a function (ctx, location) => void";
  if (value.name !== undefined && (typeof value.name !== "string" || value.name === "")) return "name must be a non-empty string";
  return null;
}

/**
 * Why an asset's `io` option names no usable IO manager, given those `declared` in the config
 * (a built-in name, a declared name, a declared object, or an inline object with its own name), or null.
 */
export function ioOptionProblem(io: unknown, declared: Readonly<Record<string, IOManager>>): string | null {
  if (io === undefined) return null;
  const names = [...BUILTIN_IO_MANAGERS, ...Object.keys(declared)];
  const choices = `${names.slice(0, -1).map((n) => `"${n}"`).join(", ")} or "${names[names.length - 1]}"`;
  if (typeof io === "string") {
    if (names.includes(io)) return null;
    return `io must be ${choices} (the built-ins, and IO managers declared in defineConfig({ ioManagers })) or an IO manager object, got ${JSON.stringify(io)}${didYouMean(io, names)}`;
  }
  if (!isIOManager(io)) return `io must be ${choices} or an IO manager object made by defineIOManager (got ${describeValue(io)})`;
  const problem = ioManagerProblem(io);
  if (problem) return `io is not a valid IO manager: ${problem}`;
  if (Object.values(declared).includes(io)) return null;
  if (io.name === undefined) return 'io is an IO manager without a name: give it one, defineIOManager({ name: "…", … }), or declare it in defineConfig({ ioManagers })';
  if (names.includes(io.name)) return `io is an IO manager named "${io.name}", which is the name of ${(BUILTIN_IO_MANAGERS as readonly string[]).includes(io.name) ? "a built-in" : "another IO manager in dagx.config.ts"}: rename it, or use that one`;
  return null;
}

/** Why what `handleOutput` returned is not a StoredOutput, or null. */
export function storedOutputProblem(v: unknown): string | null {
  if (typeof v !== "object" || v === null) return `it returned ${describeValue(v)}`;
  const o = v as Record<string, unknown>;
  const count = (x: unknown) => x === null || (typeof x === "number" && Number.isFinite(x) && x >= 0);
  if (typeof o.location !== "string") return `location must be a string (got ${describeValue(o.location)})`;
  if (typeof o.dataVersion !== "string" || o.dataVersion === "") return `dataVersion must be a non-empty string, a hash of the content (got ${describeValue(o.dataVersion)})`;
  if (!count(o.rows)) return `rows must be a number or null (got ${describeValue(o.rows)})`;
  if (!count(o.bytes)) return `bytes must be a number or null (got ${describeValue(o.bytes)})`;
  const column = (c: unknown) => typeof c === "object" && c !== null && typeof (c as ColumnSchema).name === "string" && typeof (c as ColumnSchema).type === "string";
  if (o.schema !== null && !(Array.isArray(o.schema) && o.schema.every(column))) return "schema must be null or an array of { name, type }";
  return null;
}
