/**
 * The check runner: evaluates an asset's checks over its stored outputs, one partition at a time.
 * Built-ins are SQL over the stored table (core/checks/sql.ts) run in the caller's DuckDB — no row
 * enters JS except a sample of at most 5 failing ones. `check()` functions get the same handle (or
 * value) a downstream asset would, loaded by the IO manager that stored it, and are called through
 * the user-code boundary with a timeout: a check that throws, times out or returns nonsense is a
 * failed check carrying the reason, never a crashed step.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { DuckDBConnection } from "@duckdb/node-api";
import { isAssetDef } from "../../core/asset.ts";
import { type AssetCheck, builtinCheckSql, type BuiltinCheckSpec, type CheckContext, type CheckRerun, reportedCheckResults } from "../../core/checks/index.ts";
import { type AssetLogger, createSqlTag, isTableInput, type PartitionContext, type TableInput } from "../../core/context.ts";
import type { LoadedAsset } from "../../core/definitions.ts";
import { describeType } from "../../core/describe.ts";
import { formatDuration } from "../../core/duration.ts";
import { UserCodeError } from "../../core/errors.ts";
import { relativeTo } from "../../core/location.ts";
import { didYouMean } from "../../core/suggest.ts";
import type { CheckResult, MaterializationRecord } from "../../core/types.ts";
import { callUserCode, describeThrown } from "../../core/user-code.ts";
import { type IOManagers, loadInput, type StepIO } from "../iomanagers/index.ts";
import type { Storage } from "../storage/index.ts";
import { bindablePath } from "../storage/index.ts";
import { bindValues, toParams } from "../tabular/index.ts";
import { makeLogger } from "./step-context.ts";
import type { ResourcePool } from "./resources.ts";
import { createSqlRunner, runUserSql } from "./user-sql.ts";

export interface CheckRunContext {
  storage: Storage;
  runId: string;
  /** The IO managers that load each stored output back. */
  ioManagers: IOManagers;
  /** The resources checks request (io/run/resources.ts). */
  resources: ResourcePool;
  /** The run's DuckDB connection (opened on first use). */
  conn(): Promise<DuckDBConnection>;
  /** A checked asset's run config (`ctx.config` of its check functions); may throw when there is none to give (see io/run/run-config.ts `resolveCheckConfig`). Absent: undefined. */
  configOf?(key: string): unknown;
  now(): number;
  onLog(key: string, level: string, message: string): void;
  /** Re-evaluate reported checks that an integration can run alone (`dagx check`; a step reports its own). */
  rerunReported?: boolean;
}

/** One stored output to check: a materialization (one partition) and its `ctx.partition`. */
export interface CheckTarget {
  record: MaterializationRecord;
  partition: PartitionContext | null;
  /** The partition's dimension names and key values, added as columns the data lacks (as a downstream reader sees them). */
  keyColumns: { dims: string[]; values: string[] } | null;
}

type Verdict = Pick<CheckResult, "passed" | "metadata" | "sample" | "error">;

/** Evaluate every check of `asset` that dagx runs (not `checkSpec()`s) on every target; one result per (target, check), in that order. */
export async function runAssetChecks(c: CheckRunContext, asset: LoadedAsset, targets: readonly CheckTarget[], signal: AbortSignal): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  for (const t of targets) {
    // the built-ins store one file per output: a missing one is reported as such; another IO manager's output is its own business
    const file = t.record.format === "parquet" || t.record.format === "json";
    const stored = !file || existsSync(join(c.storage.dataRoot, t.record.path));
    let columns: Promise<{ name: string; type: string }[]> | null = null;
    let data: Promise<unknown> | null = null;
    // what a downstream reader of this partition gets, from the same IO manager (Parquet: the file, read literally, with its key columns)
    const ends: (() => Promise<void> | void)[] = [];
    const dataOf = () => (data ??= loadTarget(c, asset, t, (fn) => void ends.push(fn)));
    const columnsOf = (sql: string) => (columns ??= describeColumns(c, sql));
    try {
      for (const check of asset.checks) {
        if (check.kind === "reported") {
          // its result comes from the step (io/run/step-checks.ts); an integration's may run alone
          if (check.rerun && c.rerunReported) results.push(await rerunReported(c, asset, check, check.rerun, t, signal));
          continue;
        }
        const verdict: Verdict = !stored
          ? failure(`the stored output "${t.record.path}" is missing: materialize "${asset.key}" again`)
          : check.kind === "builtin"
            ? await runBuiltin(c, asset, t.record, dataOf, check.spec, columnsOf)
            : await runFunction(c, asset, check, t, dataOf, signal);
        if (stored && verdict.error && check.kind === "builtin" && check.location) verdict.error += ` (check declared at ${relativeTo(c.storage.root, check.location)})`;
        results.push({
          runId: c.runId, assetKey: asset.key, partitionKey: t.record.partitionKey, checkName: check.name, at: c.now(),
          severity: check.severity, blocking: check.blocking, description: check.description, ...verdict,
        });
      }
    } finally {
      // what the loaded output holds open (a warehouse attachment) is released after the target's checks
      for (const end of ends.splice(0)) await Promise.resolve().then(end).catch(() => {});
    }
  }
  return results;
}

/** A reported check evaluated again by its integration (a dbt test): read as the step's report would be. */
async function rerunReported(c: CheckRunContext, asset: LoadedAsset, check: AssetCheck, rerun: CheckRerun, t: CheckTarget, signal: AbortSignal): Promise<CheckResult> {
  const target = { runId: c.runId, assetKey: asset.key, partitionKey: t.record.partitionKey, at: 0 };
  let reported: unknown;
  try {
    reported = await rerun(signal, (level, message) => c.onLog(asset.key, level, message));
  } catch (e) {
    reported = { passed: false, error: `could not re-run check "${check.name}": ${e instanceof Error ? e.message : String(e)}` };
  }
  const [r] = reportedCheckResults([check], { [check.name]: reported }, target).results;
  return { ...r!, at: c.now(), metadata: jsonSafe(r!.metadata) as Record<string, unknown> };
}

const failure = (error: string, metadata: Record<string, unknown> = {}): Verdict => ({ passed: false, metadata, sample: null, error });

/** The target's stored output, loaded by the IO manager that stored it (undefined for a side-effect asset). */
function loadTarget(c: CheckRunContext, asset: LoadedAsset, t: CheckTarget, atEnd: (fn: () => Promise<void> | void) => void): Promise<unknown> {
  const k = t.keyColumns;
  const stored = {
    assetKey: asset.key,
    locations: [t.record.path],
    partitionKeys: [t.record.partitionKey],
    dimensions: k?.dims ?? [],
    keyValues: () => k?.values ?? [],
    schemas: [t.record.schema],
    columns: t.record.schema,
  };
  const log = makeLogger((level, message) => c.onLog(asset.key, level, message));
  const io: StepIO = {
    storage: c.storage,
    runId: c.runId,
    log,
    conn: c.conn,
    resolveRef: () => null,
    runSql: (q, exec) => runUserSql(q, () => null, exec),
    atEnd,
    // the IO manager reading the checked output may request resources too
    resources: (names) => c.resources.acquire(names, `The IO manager of "${asset.key}"`, log),
    env: c.resources.env,
  };
  const site = { root: c.storage.root, assetKey: asset.key, partitionKey: t.record.partitionKey || null, runId: c.runId };
  return loadInput(c.ioManagers, io, asset.key, t.record.format, stored, site);
}

/** Column names and types of a stored table, read with DuckDB `DESCRIBE` (schema only). */
async function describeColumns(c: CheckRunContext, sql: string): Promise<{ name: string; type: string }[]> {
  const reader = await (await c.conn()).runAndReadAll(`DESCRIBE SELECT * FROM ${sql}`);
  return reader.getRowObjectsJS().map((r) => ({ name: String(r.column_name), type: String(r.column_type) }));
}

async function runBuiltin(
  c: CheckRunContext,
  asset: LoadedAsset,
  record: MaterializationRecord,
  dataOf: () => Promise<unknown>,
  spec: BuiltinCheckSpec,
  columnsOf: (sql: string) => Promise<{ name: string; type: string }[]>,
): Promise<Verdict> {
  if (record.format === "json" || record.format === "none") {
    return failure(`built-in checks run SQL over a table, but "${asset.key}" is stored as ${record.format === "json" ? "JSON" : "nothing (a side-effect asset)"}: check it with check(${asset.key}, (ctx, value) => …) instead`);
  }
  let table: string | null = null;
  try {
    const data = await dataOf();
    if (!isTableInput(data)) {
      return failure(`built-in checks run SQL over a table, but IO manager "${record.format}" reads "${asset.key}" back as ${describeType(data)}: check it with check(${asset.key}, (ctx, value) => …) instead`);
    }
    table = data.sql;
    const sql = builtinCheckSql(spec, table);
    const cols = await columnsOf(table);
    const known = new Set(cols.map((x) => x.name.toLowerCase())); // DuckDB matches identifiers case-insensitively
    const missing = sql.columns.find((name) => !known.has(name.toLowerCase()));
    if (missing !== undefined) {
      return failure(`column "${missing}" does not exist in "${asset.key}"${didYouMean(missing, cols.map((x) => x.name))} (its columns: ${cols.map((x) => x.name).join(", ")})`);
    }
    const conn = await c.conn();
    const row = (await conn.runAndReadAll(sql.summary.text, bindValues(toParams(sql.summary.params)))).getRowObjectsJS()[0] ?? {};
    const failing = Number(row.failing ?? 0);
    const metadata = builtinMetadata(spec, row);
    if (failing === 0) return { passed: true, metadata, sample: null, error: null };
    const sample = sql.sample ? (await conn.runAndReadAll(sql.sample.text, bindValues(toParams(sql.sample.params)))).getRowObjectsJS().map((r) => jsonSafe(r) as Record<string, unknown>) : null;
    return { passed: false, metadata, sample, error: null };
  } catch (e) {
    const message = duckdbMessage(e);
    const cols = table !== null && spec.kind === "expr" && /column|not found/i.test(message) ? await columnsOf(table).catch(() => null) : null;
    return failure(`${message}${cols ? ` (columns of "${asset.key}": ${cols.map((x) => x.name).join(", ")})` : ""}`);
  }
}

/** Counts of a built-in's summary row as metadata. */
function builtinMetadata(spec: BuiltinCheckSpec, row: Record<string, unknown>): Record<string, unknown> {
  const rows = Number(row.rows ?? 0);
  switch (spec.kind) {
    case "rowCount":
      return { rows, ...(spec.min !== null ? { min: spec.min } : {}), ...(spec.max !== null ? { max: spec.max } : {}) };
    case "unique":
      return { rows, failing: Number(row.failing ?? 0), duplicateRows: Number(row.duplicate_rows ?? 0) };
    case "acceptedValues":
      return { rows, failing: Number(row.failing ?? 0), accepted: spec.values };
    case "expr":
      return { rows, failing: Number(row.failing ?? 0), condition: spec.condition };
    default:
      return { rows, failing: Number(row.failing ?? 0) };
  }
}

/** Call a `check()` function with the asset's data, within its timeout; whatever happens, a verdict. */
async function runFunction(
  c: CheckRunContext,
  asset: LoadedAsset,
  check: Extract<AssetCheck, { kind: "function" }>,
  t: CheckTarget,
  dataOf: () => Promise<unknown>,
  signal: AbortSignal,
): Promise<Verdict> {
  const controller = new AbortController();
  const onAbort = () => controller.abort(signal.reason);
  signal.addEventListener("abort", onAbort, { once: true });
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    const data = await dataOf();
    const log = makeLogger((level, message) => c.onLog(asset.key, level, message));
    const resources = await c.resources.acquire(check.resources, `Check "${check.name}" of "${asset.key}"`, log);
    const ctx = checkContext(c, asset, check.name, t.partition, data, controller.signal, resources, log);
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        controller.abort(new Error("check timed out"));
        reject(new CheckTimeout());
      }, check.timeoutMs);
    });
    const site = { root: c.storage.root, assetKey: asset.key, partitionKey: t.record.partitionKey || null, runId: c.runId, definedAt: check.location ?? null };
    const out = await Promise.race([Promise.resolve().then(() => callUserCode(site, () => check.fn(ctx, data))), timeout]);
    if (typeof out === "boolean") return { passed: out, metadata: {}, sample: null, error: null };
    if (typeof out === "object" && out !== null && typeof (out as { passed?: unknown }).passed === "boolean") {
      const o = out as { passed: boolean; metadata?: unknown };
      if (o.metadata !== undefined && (typeof o.metadata !== "object" || o.metadata === null || Array.isArray(o.metadata))) {
        return failure(`check "${check.name}" returned metadata that is ${describeType(o.metadata)}: return { passed, metadata: { … } } with a plain object`);
      }
      return { passed: o.passed, metadata: (jsonSafe(o.metadata ?? {}) as Record<string, unknown>), sample: null, error: null };
    }
    return failure(`check "${check.name}" returned ${describeType(out)}: return true/false or { passed, metadata }`);
  } catch (e) {
    if (e instanceof CheckTimeout) return failure(`check "${check.name}" timed out after ${formatDuration(check.timeoutMs)}: make it faster or raise its timeout option (at ${relativeTo(c.storage.root, check.location ?? "?")})`);
    return failure(e instanceof UserCodeError ? e.message : describeThrown(e, c.storage.root, check.location ?? null).message);
  } finally {
    clearTimeout(timer);
    signal.removeEventListener("abort", onAbort);
  }
}

class CheckTimeout extends Error {}

/** `ctx` of a check function; `ctx.sql` accepts the data handle (or the asset definition) as a table. */
function checkContext(c: CheckRunContext, asset: LoadedAsset, name: string, partition: PartitionContext | null, data: unknown, signal: AbortSignal, resources: Readonly<Record<string, unknown>>, log: AssetLogger): CheckContext {
  const resolveRef = (v: unknown): TableInput | null => (isAssetDef(v) && v === asset.def && typeof data === "object" && data !== null ? (data as TableInput) : null);
  return {
    key: asset.key,
    check: name,
    runId: c.runId,
    partition,
    log,
    resources,
    signal,
    // read when the check reads it: a check that never looks at config needs none
    get config() {
      return c.configOf?.(asset.key);
    },
    path: (rel) => join(c.storage.root, rel),
    sql: createSqlTag(createSqlRunner(c.conn, resolveRef), (v) => bindablePath(c.storage.root, v)),
  };
}

/** DuckDB's message without the echoed query (which repeats the long file list). */
function duckdbMessage(e: unknown): string {
  const m = e instanceof Error ? e.message : String(e);
  return m.split(/\n\s*\nLINE \d+:/)[0]!.replace(/\s+/g, " ").trim();
}

/** A value JSON can carry: bigints as numbers (as strings past 2^53), Dates as ISO text, bytes as a note. */
export function jsonSafe(v: unknown): unknown {
  if (typeof v === "bigint") return Number.isSafeInteger(Number(v)) ? Number(v) : v.toString();
  if (typeof v === "number") return Number.isFinite(v) ? v : String(v);
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? null : v.toISOString();
  if (v instanceof Uint8Array) return `<${v.byteLength} bytes>`;
  if (Array.isArray(v)) return v.map(jsonSafe);
  if (typeof v === "object" && v !== null) return Object.fromEntries(Object.entries(v).filter(([, x]) => x !== undefined).map(([k, x]) => [k, jsonSafe(x)]));
  if (typeof v === "function" || typeof v === "symbol") return String(v);
  return v;
}
