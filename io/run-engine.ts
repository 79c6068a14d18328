/**
 * Runs one attempt of a step: builds `ctx` and the inputs, calls user code through the error
 * boundary, stores the output atomically and records the materialization. Each run owns an
 * in-memory DuckDB for `ctx.sql` (never the state file).
 */
import { DuckDBInstance, type DuckDBConnection } from "@duckdb/node-api";
import { join } from "node:path";
import { type AnyAssetDef, isAssetDef } from "../core/asset.ts";
import { type AssetContext, type AssetLogger, createSqlTag, isOutputWithMetadata, type TableInput } from "../core/context.ts";
import { DagxError } from "../core/errors.ts";
import type { AttemptOutcome } from "../core/execute.ts";
import type { ProjectGraph } from "../core/graph.ts";
import type { PlanStep } from "../core/plan.ts";
import type { MaterializationRecord } from "../core/types.ts";
import { hashText } from "./code-version.ts";
import { inputValue } from "./inputs.ts";
import { storeOutput } from "./output.ts";
import type { Storage } from "./storage.ts";
import { readParquetArrow } from "./tabular.ts";
import { describeUserError } from "./user-error.ts";

export interface RunEngineOptions {
  storage: Storage;
  graph: ProjectGraph;
  runId: string;
  resources: Record<string, unknown>;
  /** Latest materialization per key; updated as steps of this run succeed. */
  latest: Map<string, MaterializationRecord>;
  onMaterialization(m: MaterializationRecord): void;
  onLog(key: string, level: string, message: string): void;
  now(): number;
}

export interface RunEngine {
  runAttempt(step: PlanStep, attempt: number, signal: AbortSignal): Promise<AttemptOutcome>;
  close(): Promise<void>;
}

export async function createRunEngine(o: RunEngineOptions): Promise<RunEngine> {
  const instance = await DuckDBInstance.create(":memory:");
  const connections: DuckDBConnection[] = [];
  const keyOfDef = new Map<AnyAssetDef, string>();
  for (const a of o.graph.assets.values()) keyOfDef.set(a.def, a.key);

  const runAttempt = async (step: PlanStep, _attempt: number, signal: AbortSignal): Promise<AttemptOutcome> => {
    const asset = o.graph.assets.get(step.key)!;
    let conn: DuckDBConnection | null = null;
    const getConn = async () => {
      if (!conn) {
        conn = await instance.connect();
        connections.push(conn);
      }
      return conn;
    };
    try {
      const handles = new Map<string, unknown>();
      const inputVersions: Record<string, string> = {};
      for (const up of asset.deps) {
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
      const runner = {
        rows: async (text: string, params: unknown[]) => {
          const c = await getConn();
          const r = await c.runAndReadAll(text, params as never);
          return r.getRowObjectsJS() as Record<string, unknown>[];
        },
        arrow: async (text: string, params: unknown[]) => {
          const c = await getConn();
          return readParquetArrow(c, [], { text, params }) as never;
        },
      };
      const log = makeLogger((level, msg) => o.onLog(asset.key, level, msg));
      const ctx: AssetContext = {
        key: asset.key,
        runId: o.runId,
        partition: null,
        log,
        resources: o.resources,
        signal,
        path: (rel: string) => join(o.storage.root, rel),
        sql: createSqlTag(runner, resolveRef),
        output: (value, opts) => ({ __dagxOutput: true, value, metadata: opts.metadata }),
      };
      let value = await asset.def.fn(ctx, inputs);
      let metadata: Record<string, unknown> | null = null;
      if (isOutputWithMetadata(value)) {
        metadata = value.metadata;
        value = value.value;
      }
      if (signal.aborted) return { ok: false, error: "canceled" };
      const stored = await storeOutput(o.storage, await getConn(), asset.key, value, asset.io, resolveRef);
      const dataVersion = stored.format === "none" ? hashText(`${asset.codeVersion}\0${JSON.stringify(inputVersions)}`) : stored.dataVersion;
      const m: MaterializationRecord = {
        assetKey: asset.key,
        partitionKey: step.partitionKey,
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
      };
      o.latest.set(asset.key, m);
      o.onMaterialization(m);
      return { ok: true, rows: stored.rows };
    } catch (e) {
      return { ok: false, error: describeUserError(e, o.storage.root).message };
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
      instance.closeSync();
    },
  };
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
