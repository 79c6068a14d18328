/**
 * One step of a multi-asset (core/multi-asset.ts). The plan has one step per out; the first of them
 * to run in an attempt (the leader) loads the inputs, calls the function once, and stores, records
 * and checks every selected out through its own IO manager, inside its own attempt (its DuckDB
 * connection and input handles stay open until the last out is stored). The other outs' steps of
 * the same run, partition range and attempt number take their outcome from the leader.
 *
 * An out returned as `undefined` (written elsewhere: a dbt model, a script's file) is recorded with
 * nothing stored, as an asset that returns nothing (`ctx.output(undefined, { dataVersion })` gives
 * its data version). Each out's `ctx.output(…, { checks })` reports its own `checkSpec()` results. Outs are written then recorded one by one: an out the function does not return, or whose write
 * fails, fails on its own (its step is recorded as failed, naming the out); the outs stored before
 * it keep their new materializations. A failure of the function fails every selected out.
 */
import { relative, sep } from "node:path";
import { DagxError } from "../../core/errors.ts";
import type { AttemptOutcome } from "../../core/execute.ts";
import type { MultiOutInfo } from "../../core/multi-asset.ts";
import { stepId } from "../../core/plan.ts";
import { callUserCode } from "../../core/user-code.ts";
import { pipesSpecOf } from "../../core/pipes/asset.ts";
import { runPipesMulti } from "./pipes-step.ts";
import { hasChecks, runChecks } from "./step-checks.ts";
import { buildContext, makeLogger, refResolver, stepIO } from "./step-context.ts";
import { inputsOf, loadInputs, partitionInputVersions } from "./step-inputs.ts";
import { storeOutputs } from "./step-output.ts";
import { recordMaterializations, rowsOf, unwrapOutput } from "./step-record.ts";
import { type RunScope, type StepAttempt, siteOf } from "./step-scope.ts";

/** Outcomes of one call of a multi-asset step, by out key, and which out steps took theirs. */
export interface MultiStepEntry {
  outcomes: Promise<Map<string, AttemptOutcome>>;
  taken: Set<string>;
  /** Out keys whose steps take an outcome from this call. */
  expected: readonly string[];
}

/**
 * Run (as leader) or join (as follower) the call of the multi-asset step `a`'s out belongs to, for
 * this run and partition range. An out step that already took the current call's outcome is
 * retrying: it leads a new call, which its sibling outs still to come (or retrying too) join.
 */
export async function runMultiOut(
  run: RunScope,
  a: StepAttempt,
  info: MultiOutInfo,
  stepFailure: (run: RunScope, a: StepAttempt, e: unknown) => AttemptOutcome,
): Promise<AttemptOutcome> {
  const keyOfOut: [string, string][] = Object.entries(info.step.outs).map(([name, def]) => [name, run.keyOfDef.get(def)!]);
  const part = a.step.partitionKey;
  const planned = run.plannedSteps;
  const inPlan = keyOfOut.filter(([, k]) => planned === undefined || planned.has(stepId(k, part)) || k === a.asset.key);
  // without canSubset the function gets and returns every out (the plan has a step for each: completeMultiSteps)
  const selected = info.step.canSubset ? inPlan : keyOfOut;
  const group = `${info.step.location ?? "?"}\0${keyOfOut.map(([, k]) => k).join(",")}\0${(a.step.partitionKeys ?? []).join("|")}`;
  let entry = run.multiSteps.get(group);
  if (!entry || entry.taken.has(a.asset.key)) {
    entry = { outcomes: lead(run, a, info, selected, stepFailure), taken: new Set(), expected: inPlan.map(([, k]) => k) };
    run.multiSteps.set(group, entry);
  }
  entry.taken.add(a.asset.key);
  const outcomes = await entry.outcomes;
  if (entry.expected.every((k) => entry.taken.has(k)) && run.multiSteps.get(group) === entry) run.multiSteps.delete(group);
  return outcomes.get(a.asset.key) ?? { ok: false, error: `Multi-asset at ${info.step.location ?? "?"}: out "${info.name}" was not run by its step — report this as a dagx bug` };
}

async function lead(
  run: RunScope,
  a: StepAttempt,
  info: MultiOutInfo,
  selected: [string, string][],
  stepFailure: (run: RunScope, a: StepAttempt, e: unknown) => AttemptOutcome,
): Promise<Map<string, AttemptOutcome>> {
  // a Pipes multi-asset's temporary files live until every out is stored
  const cleanups: (() => void)[] = [];
  try {
    return await leadCall(run, a, info, selected, stepFailure, cleanups);
  } finally {
    for (const c of cleanups) c();
  }
}

async function leadCall(
  run: RunScope,
  a: StepAttempt,
  info: MultiOutInfo,
  selected: [string, string][],
  stepFailure: (run: RunScope, a: StepAttempt, e: unknown) => AttemptOutcome,
  cleanups: (() => void)[],
): Promise<Map<string, AttemptOutcome>> {
  const all = (o: AttemptOutcome) => new Map(selected.map(([, k]) => [k, o]));
  const loc = info.step.location ?? a.asset.location;
  const where = loc === null ? "?" : loc.startsWith(run.storage.root + sep) ? relative(run.storage.root, loc) : loc;
  const handles = new Map<string, unknown>();
  const io = stepIO(run, a, refResolver(run, a, handles), makeLogger((level, msg) => run.onLog(a.asset.key, level, msg)));
  // one call reads one config: every out's recorded config hash must describe it
  const hashes = new Map(selected.map(([, k]) => [k, run.config?.get(k)?.hash ?? ""]));
  if (new Set(hashes.values()).size > 1) {
    const keys = [...hashes.keys()];
    const e = new DagxError("CONFIG_INVALID", `Multi-asset at ${where} got different config for its outs ${keys.map((k) => `"${k}"`).join(", ")}: they share one step, so give each out the same values (e.g. ${keys.map((k) => `--config ${k}.FIELD=VALUE`).join(" ")})`);
    return all(stepFailure(run, a, e));
  }
  let result: unknown;
  let versions: Awaited<ReturnType<typeof loadInputs>>["versions"];
  try {
    // the call reads every upstream of the step, whatever the leading out's own dependsOn names
    const stepDeps = [...new Set([...Object.values(a.asset.ins), ...a.asset.depKeys])];
    versions = (await loadInputs(run, { ...a, asset: { ...a.asset, deps: stepDeps } }, io, handles)).versions;
    const resources = await run.resources.acquire(a.asset.def.options.resources, `Multi-asset "${selected.map(([, k]) => k).join(", ")}"`, io.log);
    const ctx = { ...buildContext(run, a, io, resources), selectedOutputs: selected.map(([n]) => n) };
    const pipes = pipesSpecOf(info.step);
    if (pipes) {
      // `pipesAsset({ command, outs })`: the process, not a function, makes the outs (io/run/pipes-step.ts)
      const ran = await runPipesMulti(run, a, pipes, selected, handles, io);
      cleanups.push(ran.cleanup);
      result = ran.values;
    } else result = await callUserCode(siteOf(run, a), () => info.step.fn(ctx as never, inputsOf(a.asset, handles)));
  } catch (e) {
    return all(stepFailure(run, a, e));
  }
  if (a.signal.aborted) return all({ ok: false, error: "canceled" });
  if (result === null || typeof result !== "object" || Array.isArray(result)) {
    const e = new DagxError("DEFINITION_INVALID", `Multi-asset at ${where} returned ${result === null ? "null" : Array.isArray(result) ? "an array" : typeof result}: return one value per out, { ${selected.map(([n]) => `${n}: …`).join(", ")} }`);
    return all(stepFailure(run, a, e));
  }
  const values = result as Record<string, unknown>;
  const outcomes = new Map<string, AttemptOutcome>();
  // outs that depend on sibling outs (dependsOn) are recorded after them, reading their new versions
  const siblingVersions: Record<string, string> = {};
  const siblingKeys = new Set(Object.values(info.step.outs).map((d) => run.keyOfDef.get(d)!));
  const failedSiblings = new Set<string>();
  for (const [name, key] of siblingOrder(run, selected)) {
    const oa: StepAttempt = { ...a, asset: run.graph.assets.get(key)!, step: { ...a.step, id: stepId(key, a.step.partitionKey), key } };
    const siblingDeps = oa.asset.deps.filter((d) => siblingKeys.has(d));
    const failedDep = siblingDeps.find((d) => failedSiblings.has(d));
    if (failedDep !== undefined) {
      failedSiblings.add(key);
      outcomes.set(key, { ok: false, error: `not recorded: out "${failedDep}" of the same step, which it depends on, failed` });
      continue;
    }
    try {
      if (!Object.prototype.hasOwnProperty.call(values, name)) {
        throw new DagxError(
          "DEFINITION_INVALID",
          `Multi-asset at ${where} did not return out "${name}" (asset "${key}"): return it in the result object, { ${name}: … } (or { ${name}: undefined } when it is written elsewhere)${info.step.canSubset ? ` — with canSubset, return every name in ctx.selectedOutputs` : ""}`,
        );
      }
      const { value, metadata, checks, dataVersion } = unwrapOutput(values[name]);
      const outputs = await storeOutputs(run, oa, io, value);
      const ownVersions = siblingDeps.length === 0 ? versions : { ...versions, ...(await siblingInputVersions(run, oa, siblingDeps, siblingVersions)) };
      const records = await recordMaterializations(run, oa, outputs, ownVersions, metadata, dataVersion);
      if (records.length > 0) siblingVersions[key] = records[records.length - 1]!.dataVersion;
      const rows = rowsOf(records);
      outcomes.set(key, hasChecks(oa, checks) ? { ok: true, rows, ...(await runChecks(run, oa, records, checks)) } : { ok: true, rows });
    } catch (e) {
      failedSiblings.add(key);
      outcomes.set(key, stepFailure(run, oa, e));
    }
  }
  return outcomes;
}

/**
 * The versions of the sibling outs an out depends on: what this call just recorded for the ones it
 * ran, else their latest materialization (the partition's, for partitioned outs).
 */
async function siblingInputVersions(run: RunScope, oa: StepAttempt, siblingDeps: readonly string[], recorded: Readonly<Record<string, string>>): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  // the partitions' versions are read only when a sibling this call did not record is partitioned
  const stored = siblingDeps.some((d) => recorded[d] === undefined && run.partitions.has(d)) ? await partitionInputVersions(run, oa.asset, oa.step.partitionKey, {}) : {};
  for (const d of siblingDeps) {
    const v = recorded[d] ?? stored[d] ?? run.latest.get(d)?.dataVersion;
    if (v !== undefined) out[d] = v;
  }
  return out;
}

/** `selected` (out name, key) with every out after the sibling outs it depends on (`dependsOn`). */
function siblingOrder(run: RunScope, selected: readonly [string, string][]): [string, string][] {
  const byKey = new Map(selected.map((s) => [s[1], s] as const));
  const out: [string, string][] = [];
  const seen = new Set<string>();
  const visit = (key: string) => {
    if (seen.has(key)) return;
    seen.add(key);
    for (const d of run.graph.assets.get(key)?.deps ?? []) if (byKey.has(d)) visit(d);
    out.push(byKey.get(key)!);
  };
  for (const [, key] of selected) visit(key);
  return out;
}
