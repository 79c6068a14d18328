/**
 * Runs one attempt of a step: builds `ctx` and the inputs, calls user code through the error
 * boundary, stores the output atomically and records the materialization. Each run owns an
 * in-memory DuckDB for `ctx.sql` (never the state file).
 */
import { DuckDBInstance, type DuckDBConnection } from "@duckdb/node-api";
import { join } from "node:path";
import { type AnyAssetDef, isAssetDef } from "../../core/asset.ts";
import { type AssetContext, type AssetLogger, createSqlTag, isOutputWithMetadata, type TableInput } from "../../core/context.ts";
import { DagxError } from "../../core/errors.ts";
import type { AttemptOutcome } from "../../core/execute.ts";
import type { ProjectGraph } from "../../core/graph.ts";
import type { PlanStep } from "../../core/plan.ts";
import type { CheckResult, ColumnSchema, MaterializationRecord } from "../../core/types.ts";
import { blockedReason } from "../../core/checks/outcome.ts";
import { runAssetChecks } from "./checks.ts";
import { partitionSegments } from "../../core/partitions/index.ts";
import type { PartitionContext } from "../../core/context.ts";
import { partitionedInput } from "./partition-inputs.ts";
import { keyColumns } from "../tabular/index.ts";
import { bindablePath, enterProjectDir } from "../storage/index.ts";
import { ordinalOf, type AssetPartitions } from "../status/index.ts";
import { storeSplit } from "./output-split.ts";
import type { StoredOutput } from "./output.ts";
import { hashText } from "../storage/index.ts";
import { inputValue } from "./inputs.ts";
import { storeOutput } from "./output.ts";
import type { Storage } from "../storage/index.ts";
import { describeUserError } from "./user-error.ts";
import { createSqlRunner } from "./user-sql.ts";

export interface RunEngineOptions {
  storage: Storage;
  graph: ProjectGraph;
  runId: string;
  resources: Record<string, unknown>;
  /** Latest materialization per key; updated as steps of this run succeed. */
  latest: Map<string, MaterializationRecord>;
  /** Partition spaces and state of partitioned assets. */
  partitions: ReadonlyMap<string, AssetPartitions>;
  /** Latest records of specific partitions, read from state. */
  loadPartitions(assetKey: string, partitionKeys: readonly string[]): Promise<MaterializationRecord[]>;
  /** All-partitions version of an asset, this run's writes included. */
  wholeVersion(assetKey: string): Promise<string>;
  /** Distinct stored schemas of an asset's latest materializations. */
  latestSchemas(assetKey: string): Promise<(ColumnSchema[] | null)[]>;
  onMaterialization(m: MaterializationRecord): void;
  /** Results of the asset's checks, evaluated right after its outputs are in place. */
  onCheckResults(results: CheckResult[]): void;
  onLog(key: string, level: string, message: string): void;
  now(): number;
}

export interface RunEngine {
  runAttempt(step: PlanStep, attempt: number, signal: AbortSignal): Promise<AttemptOutcome>;
  close(): Promise<void>;
}

/** Longest stretch of back-to-back steps before the event loop gets a turn. */
const TURN_EVERY_MS = 5;

export async function createRunEngine(o: RunEngineOptions): Promise<RunEngine> {
  // user SQL resolves the project's files from its root (io/project-dir.ts)
  const leaveProjectDir = enterProjectDir(o.storage.root);
  // The run's own in-memory DuckDB, created on first use: runs of JSON-only assets never pay for it.
  let instance: Promise<DuckDBInstance> | null = null;
  const db = () => (instance ??= DuckDBInstance.create(":memory:"));
  const connections: DuckDBConnection[] = [];
  const keyOfDef = new Map<AnyAssetDef, string>();
  for (const a of o.graph.assets.values()) keyOfDef.set(a.def, a.key);
  const inRun = new Map<string, Map<string, MaterializationRecord>>();
  const cache = new Map<string, Map<string, MaterializationRecord>>();
  const load = async (assetKey: string, keys: readonly string[]) => {
    const c = cache.get(assetKey) ?? cache.set(assetKey, new Map()).get(assetKey)!;
    const want = keys.filter((k) => !c.has(k));
    if (want.length) for (const r of await o.loadPartitions(assetKey, want)) c.set(r.partitionKey, r);
    return new Map(keys.filter((k) => c.has(k)).map((k) => [k, c.get(k)!]));
  };
  const partitionInputs = { storage: o.storage, graph: o.graph, partitions: o.partitions, inRun, load, wholeVersion: o.wholeVersion, schemas: o.latestSchemas };

  // Steps whose IO is all synchronous (small JSON values) would run back to back inside one
  // macrotask, starving timers: state flushes, progress lines, heartbeats. Give the loop a turn
  // every few milliseconds.
  let lastTurn = performance.now();
  const runAttempt = async (step: PlanStep, _attempt: number, signal: AbortSignal): Promise<AttemptOutcome> => {
    if (performance.now() - lastTurn >= TURN_EVERY_MS) {
      await new Promise((resolve) => setImmediate(resolve));
      lastTurn = performance.now();
    }
    const asset = o.graph.assets.get(step.key)!;
    let conn: DuckDBConnection | null = null;
    const getConn = async () => {
      if (!conn) {
        conn = await (await db()).connect();
        connections.push(conn);
      }
      return conn;
    };
    try {
      const handles = new Map<string, unknown>();
      const inputVersions: Record<string, string> = {};
      for (const up of asset.deps) {
        if (o.partitions.has(up)) {
          const r = await partitionedInput(partitionInputs, asset, step.partitionKeys, o.graph.assets.get(up)!, getConn);
          inputVersions[up] = r.version;
          handles.set(up, r.value);
          continue;
        }
        const m = o.latest.get(up);
        if (!m) throw new DagxError("MISSING_UPSTREAM", `Cannot materialize "${asset.key}": upstream "${up}" has no materialization`);
        inputVersions[up] = m.dataVersion;
        handles.set(up, inputValue(o.storage, m, getConn));
      }
      const inputs: Record<string, unknown> = {};
      for (const [name, up] of Object.entries(asset.ins)) inputs[name] = handles.get(up);
      const resolveRef = (v: unknown): TableInput | null => {
        if (!isAssetDef(v)) return null;
        const k = keyOfDef.get(v);
        if (k === undefined || !handles.has(k)) {
          throw new DagxError("DEFINITION_INVALID", `Asset "${asset.key}" uses asset "${k ?? "?"}" in ctx.sql but does not declare it: add it to ins or deps`);
        }
        const h = handles.get(k) as TableInput | undefined;
        if (!h || typeof h !== "object") throw new DagxError("DEFINITION_INVALID", `Asset "${asset.key}" uses "${k}" in ctx.sql, but "${k}" is not a table (it is stored as ${o.latest.get(k)?.format})`);
        return h;
      };
      const log = makeLogger((level, msg) => o.onLog(asset.key, level, msg));
      const ctx: AssetContext = {
        key: asset.key,
        runId: o.runId,
        partition: partitionContext(o.partitions.get(asset.key), step.partitionKeys) as never,
        log,
        resources: o.resources,
        signal,
        path: (rel: string) => join(o.storage.root, rel),
        sql: createSqlTag(createSqlRunner(getConn, resolveRef), (v) => bindablePath(o.storage.root, v)),
        output: (value, opts) => ({ __dagxOutput: true, value, metadata: opts.metadata }),
      };
      let value = await asset.def.fn(ctx, inputs);
      let metadata: Record<string, unknown> | null = null;
      if (isOutputWithMetadata(value)) {
        metadata = value.metadata;
        value = value.value;
      }
      if (signal.aborted) return { ok: false, error: "canceled" };
      const parts = o.partitions.get(asset.key);
      const keys = step.partitionKeys ?? [""];
      let outputs: Map<string, StoredOutput>;
      if (parts && keys.length > 1) outputs = await storeSplit(o.storage, await getConn(), asset.key, value, parts.space, keys, resolveRef);
      else {
        const segments = parts ? partitionSegments(parts.space, step.partitionKey) : [];
        outputs = new Map([[step.partitionKey, await storeOutput(o.storage, getConn, asset.key, value, asset.io, resolveRef, segments)]]);
      }
      // a single-run step read many partitions at once; each partition records what its own
      // mapping reads, so per-partition staleness compares like with like
      const versionsOf = async (pk: string): Promise<Record<string, string>> => {
        if (outputs.size <= 1 || !parts) return inputVersions;
        const own: Record<string, string> = { ...inputVersions };
        for (const up of asset.deps) {
          if (o.partitions.has(up)) own[up] = (await partitionedInput(partitionInputs, asset, [pk], o.graph.assets.get(up)!, getConn, true)).version;
        }
        return own;
      };
      let rows: number | null = null;
      const records: MaterializationRecord[] = [];
      for (const [pk, stored] of outputs) {
        const inputVersions = await versionsOf(pk);
        const dataVersion = stored.format === "none" ? hashText(`${asset.codeVersion}\0${JSON.stringify(inputVersions)}`) : stored.dataVersion;
        const m: MaterializationRecord = {
          assetKey: asset.key,
          partitionKey: pk,
          runId: o.runId,
          at: o.now(),
          dataVersion,
          codeVersion: asset.codeVersion,
          inputVersions,
          path: stored.path,
          format: stored.format,
          rows: stored.rows,
          bytes: stored.bytes,
          schema: stored.schema,
          metadata,
          ordinal: parts ? ordinalOf(parts.space, pk) : null,
        };
        if (parts) (inRun.get(asset.key) ?? inRun.set(asset.key, new Map()).get(asset.key)!).set(pk, m);
        else o.latest.set(asset.key, m);
        o.onMaterialization(m);
        records.push(m);
        if (stored.rows !== null) rows = (rows ?? 0) + stored.rows;
      }
      if (asset.checks.length === 0) return { ok: true, rows };
      // within the step, once every output is in place: each partition is checked on its own file
      const checkRun = { storage: o.storage, runId: o.runId, resources: o.resources, conn: getConn, now: o.now, onLog: o.onLog };
      const targets = records.map((m) => ({
        record: m,
        partition: partitionContext(parts, m.partitionKey ? [m.partitionKey] : null),
        keyColumns: parts && m.partitionKey ? keyColumns(parts.space, m.partitionKey) : null,
      }));
      const checks = await runAssetChecks(checkRun, asset, targets, signal);
      o.onCheckResults(checks);
      return { ok: true, rows, checks, blocked: blockedReason(checks) };
    } catch (e) {
      const d = describeUserError(e, o.storage.root, asset.location);
      return d.detail ? { ok: false, error: d.message, detail: d.detail } : { ok: false, error: d.message };
    } finally {
      if (conn) {
        (conn as DuckDBConnection).closeSync();
        connections.splice(connections.indexOf(conn), 1);
      }
    }
  };

  return {
    runAttempt,
    close: async () => {
      for (const c of connections) c.closeSync();
      if (instance) (await instance).closeSync();
      leaveProjectDir();
    },
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

function makeLogger(sink: (level: string, message: string) => void): AssetLogger {
  const fmt = (args: unknown[]) => args.map((a) => (typeof a === "string" ? a : Bun.inspect(a))).join(" ");
  return {
    debug: (...a) => sink("debug", fmt(a)),
    info: (...a) => sink("info", fmt(a)),
    warn: (...a) => sink("warn", fmt(a)),
    error: (...a) => sink("error", fmt(a)),
  };
}
