/**
 * The contexts an IO manager is handed (core/io-manager.ts), built over one step's resources. The
 * built-ins also need the step's DuckDB and its ctx.sql runner, which the public contexts do not
 * show: they find them with `stepOf(ctx)` (a WeakMap, as core/context.ts keeps query sites).
 */
import { join } from "node:path";
import type { DuckDBConnection } from "@duckdb/node-api";
import { type AssetLogger, compileSql, type SqlQuery, type TableInput } from "../../core/context.ts";
import { type EnvLookup, type Resolved, resolveEnvRefs } from "../../core/env.ts";
import { attemptFileName, type LeaseFence } from "../../core/attempt-outputs.ts";
import type { InputContext, OutputContext, ParquetWriter, StoredInput } from "../../core/io-manager.ts";
import { hashBytes, hashText, outputAbsPath, outputFileRelPath, type Storage, writeFileAtomicAsync } from "../storage/index.ts";
import { fileListSql } from "../tabular/index.ts";
import { tableHandle } from "./table-handle.ts";

/** What one step gives the IO managers it calls. */
export interface StepIO {
  storage: Storage;
  runId: string;
  log: AssetLogger;
  /** The step's DuckDB connection, opened on first use. */
  conn(): Promise<DuckDBConnection>;
  /** An asset definition interpolated in ctx.sql → its input handle (or null when it is not an asset). */
  resolveRef(v: unknown): TableInput | null;
  /** Compile and run a user's ctx.sql query with `exec`; a failure names the query's line (io/run/user-sql.ts). */
  runSql<T>(q: SqlQuery, exec: (text: string, params: readonly unknown[]) => Promise<T>): Promise<T>;
  /** The resources a project's IO manager requests, set up for this step (io/run/resources.ts). */
  resources?(names: readonly string[]): Promise<Readonly<Record<string, unknown>>>;
  /** Where `env()` references in a manager's options are read. */
  env?: EnvLookup;
  /**
   * Run `fn` when the step ends, before its connection closes (a manager releases what its input
   * handles hold open there: duckdbTable's attachment of the warehouse). Without it, a manager that
   * needs it fails rather than hold the file open for the process's lifetime.
   */
  atEnd?(fn: () => Promise<void> | void): void;
  /**
   * The attempt's tag (core/attempt-outputs.ts) when its outputs must go to locations of their own:
   * a queue worker's, published by its lease-fenced commit. Unset in a local run (one location per output).
   */
  attempt?: string;
  /**
   * Called by a manager right before it makes a new output current in its own store (a table
   * swap): a queue worker renews and checks its lease there, and rejects when it is lost (the
   * late write is dropped). Unset in a local run.
   */
  beforePublish?(): Promise<void>;
  /** The queue lease the attempt runs under (a worker's); a manager that swaps in its own database checks it there. */
  lease?: LeaseFence;
}

const STEPS = new WeakMap<OutputContext | InputContext, StepIO>();
const WRITERS = new WeakMap<OutputContext, ParquetWriter>();
const SEGMENTS = new WeakMap<OutputContext, readonly string[]>();

/** The step behind a context this module built (for the built-in IO managers). */
export function stepOf(ctx: OutputContext | InputContext): StepIO {
  const step = STEPS.get(ctx);
  if (!step) throw new Error("dagx's built-in IO managers work only with the contexts dagx builds");
  return step;
}

/** `step.atEnd` of the step behind `ctx` (an error when the caller gave none). */
export function atEndOf(ctx: OutputContext | InputContext): (fn: () => Promise<void> | void) => void {
  const step = stepOf(ctx);
  if (!step.atEnd) throw new Error("this IO manager needs the step to say when it ends (StepIO.atEnd)");
  return step.atEnd;
}

/** The partition's dimension names and this key's value of each ([] when unpartitioned): the key columns a table manager adds. */
export function partitionColumnsOf(ctx: OutputContext): { dims: string[]; values: string[] } {
  const dims = (SEGMENTS.get(ctx) ?? []).map((s) => s.slice(0, Math.max(0, s.indexOf("="))));
  if (dims.length === 0 || ctx.partitionKey === "") return { dims: [], values: [] };
  return { dims, values: dims.length > 1 ? ctx.partitionKey.split("|") : [ctx.partitionKey] };
}

/** The partition folders of the output (`["date=2024-01-01"]`; [] when unpartitioned): the layout of an object store's keys. */
export function segmentsOf(ctx: OutputContext): readonly string[] {
  return SEGMENTS.get(ctx) ?? [];
}

/** Who writes a row output given to the built-in Parquet manager through `ctx` (the asset's or project's `parquetWriter`). */
export function parquetWriterOf(ctx: OutputContext): ParquetWriter {
  return WRITERS.get(ctx) ?? "auto";
}

/**
 * Outputs are not fsynced on the step's path: the run's state writer fsyncs them (and their folders)
 * in one group right before it commits the rows that point at them (io/run/materialize.ts), so a
 * committed row never points at a file that could be lost on power failure.
 */
export const GROUP_SYNC = { fsync: false } as const;

/** The context of the output of `assetKey` at `partitionKey`, stored under the partition's `segments`; rows stored as Parquet are written by `parquetWriter`. */
export function outputContext(step: StepIO, assetKey: string, partitionKey: string, segments: readonly string[], parquetWriter: ParquetWriter = "auto", resources: Readonly<Record<string, unknown>> = {}): OutputContext {
  const file = (name: string) => {
    const location = outputFileRelPath(assetKey, segments, step.attempt ? attemptFileName(name, step.attempt) : name);
    return { path: outputAbsPath(step.storage, location, true), location };
  };
  const ctx: OutputContext = {
    assetKey,
    partitionKey,
    runId: step.runId,
    log: step.log,
    file,
    path: (location) => join(step.storage.dataRoot, location),
    async writeFile(name, data) {
      const f = file(name);
      // not synced here: the state writer fsyncs it (group commit) before committing its row
      await writeFileAtomicAsync(f.path, data, { sync: false });
      const bytes = typeof data === "string" ? Buffer.byteLength(data) : data.byteLength;
      return { location: f.location, bytes, dataVersion: typeof data === "string" ? hashText(data) : hashBytes(data) };
    },
    compile: (query) => compileSql(query, step.resolveRef),
    resources,
    resolve: (value) => resolveIn(step, value, `the IO manager of "${assetKey}"`),
  };
  STEPS.set(ctx, step);
  WRITERS.set(ctx, parquetWriter);
  SEGMENTS.set(ctx, segments);
  return ctx;
}

/** The context of `upstream` read by `assetKey`. */
export function inputContext(step: StepIO, assetKey: string, upstream: StoredInput, resources: Readonly<Record<string, unknown>> = {}): InputContext {
  const ctx: InputContext = {
    assetKey,
    runId: step.runId,
    upstream,
    path: (location) => join(step.storage.dataRoot, location),
    fileList: (paths) => fileListSql(paths),
    table: (sql, paths = []) => tableHandle(upstream.assetKey, paths, sql, step.conn, false),
    resources,
    resolve: (value) => resolveIn(step, value, `the IO manager reading "${upstream.assetKey}" for "${assetKey}"`),
  };
  STEPS.set(ctx, step);
  return ctx;
}

/** `value` with its `env()` references read through the step's lookup (none: the process environment). */
function resolveIn<T>(step: StepIO, value: T, usedBy: string): Resolved<T> {
  return resolveEnvRefs(value, step.env ?? { get: (name) => process.env[name], onSecret: () => {} }, usedBy);
}
