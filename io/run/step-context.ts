/**
 * Build context: what user code sees in a step — `ctx` (key, partition, log, resources, signal,
 * ctx.path, ctx.sql) — and what the IO managers get (StepIO): the step's DuckDB and its ctx.sql runner.
 */
import { join } from "node:path";
import { isAssetDef } from "../../core/asset.ts";
import { type AssetContext, type AssetLogger, createSqlTag, type PartitionContext, type TableInput } from "../../core/context.ts";
import { DagxError } from "../../core/errors.ts";
import type { StepIO } from "../iomanagers/index.ts";
import type { AssetPartitions } from "../status/index.ts";
import { bindablePath } from "../storage/index.ts";
import type { RunScope, StepAttempt } from "./step-scope.ts";
import { createSqlRunner, runUserSql } from "./user-sql.ts";

/**
 * How an asset definition interpolated in ctx.sql becomes a table: the handle of that input
 * (`handles`, filled when the inputs are loaded). Refused when the asset is not an input of the
 * step, or is not stored as a table.
 */
export function refResolver(run: RunScope, a: StepAttempt, handles: ReadonlyMap<string, unknown>): (v: unknown) => TableInput | null {
  return (v) => {
    if (!isAssetDef(v)) return null;
    const k = run.keyOfDef.get(v);
    if (k === undefined || !handles.has(k)) {
      throw new DagxError("DEFINITION_INVALID", `Asset "${a.asset.key}" uses asset "${k ?? "?"}" in ctx.sql but does not declare it: add it to ins or deps`);
    }
    const h = handles.get(k) as TableInput | undefined;
    if (!h || typeof h !== "object") throw new DagxError("DEFINITION_INVALID", `Asset "${a.asset.key}" uses "${k}" in ctx.sql, but "${k}" is not a table (it is stored as ${run.latest.get(k)?.format})`);
    return h;
  };
}

/** What the step gives the IO managers it calls. */
export function stepIO(run: RunScope, a: StepAttempt, resolveRef: (v: unknown) => TableInput | null, log: AssetLogger): StepIO {
  const resources = (names: readonly string[]) => run.resources.acquire(names, `The IO manager of "${a.asset.key}"`, log);
  return {
    storage: run.storage,
    runId: run.runId,
    log,
    conn: a.conn,
    resolveRef,
    runSql: (q, exec) => runUserSql(q, resolveRef, exec),
    resources,
    env: run.resources.env,
    atEnd: a.atEnd,
    ...(run.attempt ? { attempt: run.attempt } : {}),
    ...(run.lease ? { lease: run.lease } : {}),
    ...(run.beforeStore ? { beforePublish: () => run.beforeStore!(a.asset.key) } : {}),
  };
}

/** The `ctx` of an asset function. */
export function buildContext(run: RunScope, a: StepAttempt, io: StepIO, resources: Readonly<Record<string, unknown>> = {}): AssetContext {
  const root = run.storage.root;
  return {
    key: a.asset.key,
    runId: run.runId,
    partition: partitionContext(run.partitions.get(a.asset.key), a.step.partitionKeys) as never,
    log: io.log,
    resources,
    config: run.config?.get(a.asset.key)?.value,
    signal: a.signal,
    path: (rel: string) => join(root, rel),
    sql: createSqlTag(createSqlRunner(a.conn, io.resolveRef), (v) => bindablePath(root, v)),
    output: (value, opts) => ({
      __dagxOutput: true,
      value,
      metadata: opts?.metadata ?? {},
      ...(opts?.checks !== undefined ? { checks: opts.checks } : {}),
      ...(opts?.dataVersion !== undefined ? { dataVersion: opts.dataVersion } : {}),
    }),
  };
}

/** `ctx.partition` for a step's keys (null when unpartitioned). */
export function partitionContext(parts: AssetPartitions | undefined, keys: readonly string[] | null): PartitionContext | null {
  if (!parts || !keys || keys.length === 0) return null;
  const space = parts.space;
  const first = space.window(space.indexOf(keys[0]!));
  const last = space.window(space.indexOf(keys[keys.length - 1]!));
  const key = keys[keys.length - 1]!;
  const names = space.dimensions.map((d) => d.name);
  const dimensions = space.kind === "multi" ? Object.fromEntries(key.split("|").map((v, i) => [names[i]!, v])) : undefined;
  return { key, keys: [...keys], start: first?.start, end: last?.end, dimensions };
}

/** `ctx.log`: every line goes to `sink` (the run's events and the terminal). */
export function makeLogger(sink: (level: string, message: string) => void): AssetLogger {
  const fmt = (args: unknown[]) => args.map((a) => (typeof a === "string" ? a : Bun.inspect(a))).join(" ");
  return {
    debug: (...a) => sink("debug", fmt(a)),
    info: (...a) => sink("info", fmt(a)),
    warn: (...a) => sink("warn", fmt(a)),
    error: (...a) => sink("error", fmt(a)),
  };
}
