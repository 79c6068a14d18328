/**
 * The step runner: one attempt of a step is a sequence of small parts — load inputs
 * (step-inputs.ts), build context (step-context.ts), call the asset through the user-code boundary,
 * hand the output to its IO manager (step-output.ts), record (step-record.ts), run checks
 * (step-checks.ts). Each run owns an in-memory DuckDB for `ctx.sql` (never the state file):
 * io/run/compute-instance.ts.
 */
import type { DuckDBConnection } from "@duckdb/node-api";
import type { AnyAssetDef } from "../../core/asset.ts";
import type { AssetContext } from "../../core/context.ts";
import { DagxError, UserCodeError } from "../../core/errors.ts";
import type { AttemptOutcome } from "../../core/execute.ts";
import type { PlanStep } from "../../core/plan.ts";
import type { MaterializationRecord } from "../../core/types.ts";
import { callUserCode, describeThrown } from "../../core/user-code.ts";
import { multiOutOf } from "../../core/multi-asset.ts";
import { runMultiOut } from "./multi-step.ts";
import { pipesSpecOf } from "../../core/pipes/asset.ts";
import { runPipesStep } from "./pipes-step.ts";
import { releaseDuckDBMemory } from "../platform/index.ts";
import { createComputeInstance } from "./compute-instance.ts";
import { GC_EVERY_DUCKDB_STEPS } from "./duckdb-garbage.ts";
import { enterProjectDir } from "../storage/index.ts";
import type { PartitionInputContext } from "./partition-inputs.ts";
import { hasChecks, runChecks } from "./step-checks.ts";
import { buildContext, makeLogger, refResolver, stepIO } from "./step-context.ts";
import { inputsOf, loadInputs } from "./step-inputs.ts";
import { storeOutputs } from "./step-output.ts";
import { recordMaterializations, rowsOf, type StepReturn, unwrapOutput } from "./step-record.ts";
import { type RunEngineOptions, type RunScope, type StepAttempt, siteOf } from "./step-scope.ts";

export type { RunEngineOptions } from "./step-scope.ts";

export interface RunEngine {
  runAttempt(step: PlanStep, attempt: number, signal: AbortSignal): Promise<AttemptOutcome>;
  /** The run's records are about to be written to the state: collect the garbage of the steps since the last write, if there were many. */
  beforeStateWrite(): void;
  close(): Promise<void>;
}

/** Longest stretch of back-to-back steps before the event loop gets a turn. */
const TURN_EVERY_MS = 5;
/**
 * A full collection just before the run's records go to the state, once this many outputs were
 * recorded (or steps ended without one) since the last one. A long run of small JSON steps never fills the young generation enough for
 * JSC to collect the old one, and each state session (a commit and its checkpoint) takes ~10 MB of
 * DuckDB memory for a moment: collecting first makes the heap's low point and the session's high
 * point coincide, instead of its high points (a chain of 1,000 at load 5–10: −5 to −10 MB of peak
 * RSS against a collection after 50, 100, 200, … steps, less on a fast run; a single-run backfill of
 * 366 outputs −5 MB; docs/benchmarks.md, "Memory: per-step cost of long runs").
 * Writes come at most every flush window (250 ms), so this is at most a few collections a second,
 * and a run of fewer steps pays none.
 */
const FULL_GC_STEPS = 50;
/**
 * Full collections take at most this share of the run's time so far: one costs 6–11 ms with 8 MB
 * live, more as the heap grows, so a run of 100,000 small steps could otherwise spend a large share
 * of its time collecting. A chain of 1,000 stays under it; at 5 % a loaded machine (collections
 * twice as slow) skipped some and the chain peaked 3 MB higher (docs/benchmarks.md).
 */
const MAX_FULL_GC_SHARE = 0.1;

export async function createRunEngine(o: RunEngineOptions): Promise<RunEngine> {
  // user SQL resolves the project's files from its root (io/storage/project-dir.ts)
  const leaveProjectDir = enterProjectDir(o.storage.root);
  // The run's own in-memory DuckDB, created on first use (or warmed up by the caller): runs of JSON-only assets never pay for it.
  const compute = o.compute ?? createComputeInstance();
  const db = () => compute.get();
  const connections = new Set<DuckDBConnection>();
  // what the run has done since its last full collection: outputs recorded, and attempts that
  // recorded none (a single-run step's 366 outputs count as 366)
  let workSinceFullGc = 0;
  let recorded = 0;
  const run = createRunScope({
    ...o,
    onMaterialization: (m) => {
      recorded++;
      workSinceFullGc++;
      o.onMaterialization(m);
    },
  });

  // Steps whose IO is all synchronous (small JSON values) would run back to back inside one
  // macrotask, starving timers: state flushes, progress lines, heartbeats. Give the loop a turn
  // every few milliseconds.
  let lastTurn = performance.now();
  let duckdbSteps = 0;
  const startedAt = performance.now();
  let fullGcMs = 0;
  const runAttempt = async (step: PlanStep, attempt: number, signal: AbortSignal): Promise<AttemptOutcome> => {
    if (performance.now() - lastTurn >= TURN_EVERY_MS) {
      await new Promise((resolve) => setImmediate(resolve));
      lastTurn = performance.now();
    }
    let conn: DuckDBConnection | null = null;
    const recordedBefore = recorded;
    const ends: (() => Promise<void> | void)[] = [];
    const a: StepAttempt = {
      atEnd: (fn) => void ends.push(fn),
      step,
      asset: o.graph.assets.get(step.key)!,
      signal,
      attempt,
      conn: async () => {
        if (!conn) connections.add((conn = await (await db()).connect()));
        return conn;
      },
    };
    try {
      return await runStep(run, a);
    } catch (e) {
      return stepFailure(run, a, e);
    } finally {
      // what the step's input handles hold (a warehouse attachment) goes before its connection
      for (const end of ends.splice(0)) await Promise.resolve().then(end).catch(() => {});
      let collect = false;
      if (conn) {
        (conn as DuckDBConnection).closeSync();
        connections.delete(conn);
        if (++duckdbSteps % GC_EVERY_DUCKDB_STEPS === 0) {
          Bun.gc(false);
          collect = true;
        }
      }
      if (recorded === recordedBefore) workSinceFullGc++;
      if (collect) releaseDuckDBMemory();
    }
  };

  return {
    runAttempt,
    beforeStateWrite: () => {
      if (workSinceFullGc < FULL_GC_STEPS) return;
      const t = performance.now();
      if (fullGcMs > (t - startedAt) * MAX_FULL_GC_SHARE) return;
      workSinceFullGc = 0;
      Bun.gc(true);
      fullGcMs += performance.now() - t;
      releaseDuckDBMemory();
    },
    close: async () => {
      for (const c of connections) c.closeSync();
      await compute.close();
      leaveProjectDir();
    },
  };
}

/** One attempt, part by part. */
async function runStep(run: RunScope, a: StepAttempt): Promise<AttemptOutcome> {
  const multi = multiOutOf(a.asset.def);
  if (multi) return runMultiOut(run, a, multi, stepFailure);
  const pipes = pipesSpecOf(a.asset.def);
  if (pipes) return runPipesStep(run, a, pipes, stepFailure);
  const handles = new Map<string, unknown>();
  const io = stepIO(run, a, refResolver(run, a, handles), makeLogger((level, msg) => run.onLog(a.asset.key, level, msg)));
  const { versions } = await loadInputs(run, a, io, handles);
  const resources = await run.resources.acquire(a.asset.def.options.resources, `Asset "${a.asset.key}"`, io.log);
  const ctx = buildContext(run, a, io, resources);
  const { value, metadata, checks, dataVersion } = await callAsset(run, a, ctx, inputsOf(a.asset, handles));
  if (a.signal.aborted) return { ok: false, error: "canceled" };
  const outputs = await storeOutputs(run, a, io, value);
  const records = await recordMaterializations(run, a, outputs, versions, metadata, dataVersion);
  const rows = rowsOf(records);
  if (!hasChecks(a, checks)) return { ok: true, rows };
  return { ok: true, rows, ...(await runChecks(run, a, records, checks)) };
}

/** Call the asset function through the user-code boundary; `ctx.output(value, { … })` is unwrapped. */
export async function callAsset(run: RunScope, a: StepAttempt, ctx: AssetContext, inputs: Record<string, unknown>): Promise<StepReturn> {
  const value: unknown = await callUserCode(siteOf(run, a), () => a.asset.def.fn(ctx, inputs));
  return unwrapOutput(value);
}

/**
 * What a failed attempt reports. User code's failure (a UserCodeError) and a DagxError about the
 * user's definitions or values (a ctx.sql that failed when its result was stored, an unsupported
 * value) carry the user's message and file:line; anything else is dagx's own failure (DuckDB, the
 * file system, a bug): its message, and its stack for --verbose.
 */
export function stepFailure(run: RunScope, a: StepAttempt, e: unknown): AttemptOutcome {
  if (e instanceof UserCodeError) return e.detail ? { ok: false, error: e.message, detail: e.detail } : { ok: false, error: e.message };
  const d = describeThrown(e, run.storage.root, a.asset.location);
  const detail = e instanceof DagxError ? d.detail : ((e as Error)?.stack ?? null);
  return detail ? { ok: false, error: d.message, detail } : { ok: false, error: d.message };
}

/** The run-wide part of the scope: caches of partition records and this run's own writes. */
export function createRunScope(o: RunEngineOptions): RunScope {
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
  const partitionInputs: PartitionInputContext = { graph: o.graph, partitions: o.partitions, inRun, load, wholeVersion: o.wholeVersion, schemas: o.latestSchemas, recordedLocations: o.recordedLocations ?? false };
  return { ...o, inRun, partitionInputs, keyOfDef, multiSteps: new Map() };
}
