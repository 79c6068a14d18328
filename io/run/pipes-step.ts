/**
 * The step of a Pipes asset (core/pipes/asset.ts): load the inputs (their files go to the script in
 * `extras.dagx.inputs`), run the process through io/pipes, then store and record what it produced —
 * the Parquet file it wrote (read from its private temporary path and stored by the asset's IO
 * manager, so a failed or killed script never replaces the previous output) or the materialization
 * it reported — and record the checks: the asset's declared ones, run on the stored output, and
 * those the script reported (`report_asset_check`), as the step's reported checks (`checkSpec()`).
 */
import { existsSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { isTableInput } from "../../core/context.ts";
import { UserCodeError } from "../../core/errors.ts";
import type { AttemptOutcome } from "../../core/execute.ts";
import { buildPipesContext, type DagxPipesInput, describePipesException, type PipesException, type PipesSpec } from "../../core/pipes/index.ts";
import type { MaterializationRecord } from "../../core/types.ts";
import { runPipesProcess } from "../pipes/index.ts";
import { redact } from "../secrets/index.ts";
import { hasChecks, runChecks } from "./step-checks.ts";
import { buildContext, makeLogger, partitionContext, refResolver, stepIO } from "./step-context.ts";
import { loadInputs } from "./step-inputs.ts";
import { storeOutputs } from "./step-output.ts";
import { recordMaterializations, rowsOf } from "./step-record.ts";
import type { RunScope, StepAttempt } from "./step-scope.ts";

/** The failure of a script that exited 0 with neither an output file nor a report. */
export const NOTHING_PRODUCED = "the script wrote no output and reported nothing";

let sessions = 0;

/** Run one attempt of a Pipes asset's step. */
export async function runPipesStep(run: RunScope, a: StepAttempt, spec: PipesSpec, stepFailure: (run: RunScope, a: StepAttempt, e: unknown) => AttemptOutcome): Promise<AttemptOutcome> {
  const key = a.asset.key;
  const log = (level: string, message: string) => run.onLog(key, level, redact(message));
  const handles = new Map<string, unknown>();
  const io = stepIO(run, a, refResolver(run, a, handles), makeLogger(log));
  const sessionDir = join(run.storage.dagxDir, "tmp", "pipes", `${run.runId}-${process.pid}-${++sessions}`);
  try {
    const { versions } = await loadInputs(run, a, io, handles);
    const outputPath = join(sessionDir, "output.parquet");
    const context = buildPipesContext({
      assetKey: key,
      codeVersion: a.asset.codeVersion,
      latest: await latestRecord(run, a),
      partition: partitionContext(run.partitions.get(key), a.step.partitionKeys),
      runId: run.runId,
      retryNumber: Math.max(0, (a.attempt ?? 1) - 1),
      inputs: pipesInputs(run, a, handles),
      outputPath,
      extras: spec.extras,
    });
    const result = await runPipesProcess({
      command: spec.command,
      cwd: run.storage.root,
      env: { ...process.env, ...spec.env },
      context,
      sessionDir,
      assetKey: key,
      signal: a.signal,
      cancelGraceMs: spec.cancelGraceMs,
      onLog: (l) => log(l.level, l.message),
    });
    const r = result.report;
    if (result.canceled || a.signal.aborted) return { ok: false, error: "canceled" };
    // `sys.exit(0)` inside `open_dagster_pipes()` closes with SystemExit, yet the process succeeded
    const exception = r.closed?.exception ?? null;
    const closedWith = exception && !(exception.name === "SystemExit" && result.exitCode === 0) ? exception : null;
    if (result.spawnError !== null || result.exitCode !== 0 || closedWith) {
      throw processFailure(run, a, spec, result.spawnError, result.exitCode, result.exitSignal, closedWith, result.stderrTail);
    }
    const wrote = existsSync(outputPath) && statSync(outputPath).size > 0;
    if (!wrote && !r.materialization) throw failure(run, a, `Pipes asset "${key}" (${showCommand(spec)}) exited 0, but ${NOTHING_PRODUCED}: write Parquet to context.extras["dagx"]["output"]["path"] or call context.report_asset_materialization()`, null);
    // the file is read from its temporary path and stored by the IO manager: only now does it replace the previous output
    const value = wrote ? buildContext(run, a, io).sql`select * from read_parquet(${outputPath})` : undefined;
    const outputs = await storeOutputs(run, a, io, value);
    // a reported data version is the version of data written elsewhere; what dagx stores, dagx hashes
    const reportedVersion = r.materialization?.dataVersion ?? undefined;
    if (wrote && reportedVersion !== undefined) log("info", `Pipes: the reported data_version "${reportedVersion}" is not used: dagx hashes the Parquet file the script wrote`);
    const records = await recordMaterializations(run, a, outputs, versions, r.materialization ? r.materialization.metadata : null, wrote ? undefined : reportedVersion);
    const rows = rowsOf(records);
    // checks the script reported are the step's reported checks (checkSpec() declares them; others are flagged undeclared)
    const reported = r.checks.length ? Object.fromEntries(r.checks.map((c) => [c.checkName, { passed: c.passed, severity: c.severity, metadata: c.metadata }])) : undefined;
    if (!hasChecks(a, reported)) return { ok: true, rows };
    return { ok: true, rows, ...(await runChecks(run, a, records, reported)) };
  } catch (e) {
    return stepFailure(run, a, e);
  } finally {
    rmSync(sessionDir, { recursive: true, force: true });
  }
}

/**
 * The process of a Pipes multi-asset step (`pipesAsset({ command, outs })`), run by the leader of
 * the step (io/run/multi-step.ts) once its inputs are loaded: the context names every selected out
 * (`asset_keys`, per-key code versions and provenance, `extras.dagx.outputs[KEY].path`), and the
 * result is what a multi-asset function returns — per out name, `ctx.output(value, { metadata,
 * checks, dataVersion })` with the Parquet the script wrote for it (as a query over its temporary
 * file) or `undefined` when it only reported it. The leader stores, records and checks each out, then
 * calls `cleanup` (the temporary files must outlive the storing). A failed process, or an out the
 * script neither wrote nor reported, throws: every out of the step fails, none is replaced.
 */
export async function runPipesMulti(
  run: RunScope,
  a: StepAttempt,
  spec: PipesSpec,
  selected: readonly (readonly [string, string])[],
  handles: ReadonlyMap<string, unknown>,
  io: ReturnType<typeof stepIO>,
): Promise<{ values: Record<string, unknown>; cleanup: () => void }> {
  const log = (level: string, message: string) => run.onLog(a.asset.key, level, redact(message));
  const sessionDir = join(run.storage.dagxDir, "tmp", "pipes", `${run.runId}-${process.pid}-${++sessions}`);
  const cleanup = () => rmSync(sessionDir, { recursive: true, force: true });
  try {
    const outs = selected.map(([name, key], i) => ({ name, key, codeVersion: run.graph.assets.get(key)!.codeVersion, outputPath: join(sessionDir, `output-${i}.parquet`) }));
    const assets = [];
    for (const o of outs) assets.push({ key: o.key, codeVersion: o.codeVersion, latest: await latestRecordOf(run, o.key, a.step.partitionKey), outputPath: o.outputPath });
    const context = buildPipesContext({
      assetKey: a.asset.key,
      codeVersion: a.asset.codeVersion,
      latest: null,
      outputPath: "",
      assets,
      partition: partitionContext(run.partitions.get(a.asset.key), a.step.partitionKeys),
      runId: run.runId,
      retryNumber: Math.max(0, (a.attempt ?? 1) - 1),
      inputs: pipesInputs(run, a, handles),
      extras: spec.extras,
    });
    const result = await runPipesProcess({
      command: spec.command,
      cwd: run.storage.root,
      env: { ...process.env, ...spec.env },
      context,
      sessionDir,
      assetKey: outs.map((o) => o.key),
      signal: a.signal,
      cancelGraceMs: spec.cancelGraceMs,
      onLog: (l) => log(l.level, l.message),
    });
    const r = result.report;
    if (result.canceled || a.signal.aborted) return { values: {}, cleanup };
    const exception = r.closed?.exception ?? null;
    const closedWith = exception && !(exception.name === "SystemExit" && result.exitCode === 0) ? exception : null;
    if (result.spawnError !== null || result.exitCode !== 0 || closedWith) {
      throw processFailure(run, a, spec, result.spawnError, result.exitCode, result.exitSignal, closedWith, result.stderrTail);
    }
    const values: Record<string, unknown> = {};
    for (const o of outs) {
      const wrote = existsSync(o.outputPath) && statSync(o.outputPath).size > 0;
      const mat = r.materializations[o.key];
      if (!wrote && !mat) {
        throw failure(run, a, `Pipes multi-asset (${showCommand(spec)}) exited 0, but for "${o.key}" ${NOTHING_PRODUCED}: write Parquet to context.extras["dagx"]["outputs"]["${o.key}"]["path"] or call context.report_asset_materialization(asset_key="${o.key}")`, null);
      }
      if (wrote && mat?.dataVersion) log("info", `Pipes: the reported data_version "${mat.dataVersion}" of "${o.key}" is not used: dagx hashes the Parquet file the script wrote`);
      const reported = r.checks.filter((c) => c.assetKey === o.key);
      values[o.name] = {
        __dagxOutput: true,
        value: wrote ? buildContext(run, a, io).sql`select * from read_parquet(${o.outputPath})` : undefined,
        metadata: mat ? mat.metadata : null,
        ...(reported.length ? { checks: Object.fromEntries(reported.map((c) => [c.checkName, { passed: c.passed, severity: c.severity, metadata: c.metadata }])) } : {}),
        ...(!wrote && mat?.dataVersion ? { dataVersion: mat.dataVersion } : {}),
      };
    }
    return { values, cleanup };
  } catch (e) {
    cleanup();
    throw e;
  }
}

/** The latest materialization of `key` (of partition `pk` when partitioned), for the context's provenance. */
async function latestRecordOf(run: RunScope, key: string, pk: string): Promise<MaterializationRecord | null> {
  if (!run.partitions.has(key)) return run.latest.get(key) ?? null;
  return run.inRun.get(key)?.get(pk) ?? (await run.loadPartitions(key, [pk]))[0] ?? null;
}

/** Where each input's data is, for `extras.dagx.inputs`. */
function pipesInputs(run: RunScope, a: StepAttempt, handles: ReadonlyMap<string, unknown>): Record<string, DagxPipesInput> {
  const out: Record<string, DagxPipesInput> = {};
  for (const [name, up] of Object.entries(a.asset.ins)) {
    const h = handles.get(up);
    if (isTableInput(h)) {
      out[name] = { key: up, paths: [...h.paths], format: "parquet" };
      continue;
    }
    const m = run.partitions.has(up) ? null : run.latest.get(up);
    out[name] = m && m.format === "json" && m.path ? { key: up, paths: [join(run.storage.dataRoot, m.path)], format: "json" } : { key: up, paths: [], format: m?.format ?? "none" };
  }
  return out;
}

/** The asset's latest materialization (of this partition), for the context's provenance. */
async function latestRecord(run: RunScope, a: StepAttempt): Promise<MaterializationRecord | null> {
  const key = a.asset.key;
  if (!run.partitions.has(key)) return run.latest.get(key) ?? null;
  const pk = a.step.partitionKey;
  return run.inRun.get(key)?.get(pk) ?? (await run.loadPartitions(key, [pk]))[0] ?? null;
}

function showCommand(spec: PipesSpec): string {
  return spec.command.map((c) => (/^[\w./:=-]+$/.test(c) ? c : JSON.stringify(c))).join(" ");
}

function failure(run: RunScope, a: StepAttempt, message: string, detail: string | null): UserCodeError {
  return new UserCodeError(redact(message), a.asset.key, a.step.partitionKey || null, run.runId, a.asset.location, null, detail === null ? null : redact(detail));
}

function processFailure(
  run: RunScope,
  a: StepAttempt,
  spec: PipesSpec,
  spawnError: string | null,
  exitCode: number | null,
  exitSignal: string | null,
  exception: PipesException | null,
  stderrTail: readonly string[],
): UserCodeError {
  const where = `Pipes asset "${a.asset.key}" (${showCommand(spec)})`;
  if (spawnError !== null) return failure(run, a, `${where} could not start: ${spawnError}`, null);
  const how = exitCode !== null ? `exit code ${exitCode}` : `killed by ${exitSignal ?? "a signal"}`;
  const what = exception ? describePipesException(exception) : exitCode === 0 ? "it closed the Pipes connection with an exception" : "it reported no exception";
  const tail = stderrTail.filter((l) => l.trim() !== "").slice(-10);
  const message = `${where} failed (${how}): ${what}${tail.length ? `\n  last stderr lines:\n${tail.map((l) => `    ${l}`).join("\n")}` : ""}`;
  const detail = exception && exception.stack.length ? exception.stack.join("").trimEnd() : null;
  return failure(run, a, message, detail);
}
