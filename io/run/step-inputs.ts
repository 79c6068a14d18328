/**
 * Load inputs: for each upstream of a step, what its mapping reads and the version it records,
 * loaded back through the IO manager that stored it (a table handle or a value).
 */
import { DagxError } from "../../core/errors.ts";
import { UNOBSERVED } from "../../core/status/compute.ts";
import type { LoadedAsset } from "../../core/definitions.ts";
import { loadInput, type StepIO } from "../iomanagers/index.ts";
import { partitionedInput, recordsInput, type ResolvedInput } from "./partition-inputs.ts";
import { type RunScope, type StepAttempt, siteOf } from "./step-scope.ts";

export interface LoadedInputs {
  /** Upstream key → its handle or value (undefined for a side-effect upstream). */
  handles: Map<string, unknown>;
  /** Upstream key → the input version this step reads. */
  versions: Record<string, string>;
}

/** Load every upstream of the attempt's step into `handles` (shared with the ctx.sql resolver). */
export async function loadInputs(run: RunScope, a: StepAttempt, io: StepIO, handles: Map<string, unknown>): Promise<LoadedInputs> {
  const versions: Record<string, string> = {};
  for (const up of a.asset.deps) {
    const r = resolveInput(run, a, up);
    const input = r instanceof Promise ? await r : r;
    versions[up] = input.version;
    handles.set(up, input.stored ? await loadInput(run.ioManagers, io, a.asset.key, input.format, input.stored, siteOf(run, a)) : undefined);
  }
  return { handles, versions };
}

/** The inputs object of the asset function: each input name → the handle or value of its upstream. */
export function inputsOf(asset: LoadedAsset, handles: ReadonlyMap<string, unknown>): Record<string, unknown> {
  const inputs: Record<string, unknown> = {};
  for (const [name, up] of Object.entries(asset.ins)) inputs[name] = handles.get(up);
  return inputs;
}

/** What upstream `up` gives the step: its stored output(s) and the version read. */
function resolveInput(run: RunScope, a: StepAttempt, up: string): ResolvedInput | Promise<ResolvedInput> {
  if (run.partitions.has(up)) return partitionedInput(run.partitionInputs, a.asset, a.step.partitionKeys, run.graph.assets.get(up)!);
  const m = run.latest.get(up);
  if (!m && run.graph.assets.get(up)?.external) return { version: UNOBSERVED, format: "none", stored: null };
  if (!m) throw new DagxError("MISSING_UPSTREAM", `Cannot materialize "${a.asset.key}": upstream "${up}" has no materialization`);
  return { version: m.dataVersion, format: m.format, stored: recordsInput(up, [m], null, m.schema) };
}

/**
 * The input versions one partition of a single-run step records: what its own mapping reads, so
 * per-partition staleness compares like with like (the step itself read the whole range).
 */
export async function partitionInputVersions(run: RunScope, asset: LoadedAsset, partitionKey: string, stepVersions: Readonly<Record<string, string>>): Promise<Record<string, string>> {
  const own: Record<string, string> = { ...stepVersions };
  for (const up of asset.deps) {
    if (run.partitions.has(up)) own[up] = (await partitionedInput(run.partitionInputs, asset, [partitionKey], run.graph.assets.get(up)!, true)).version;
  }
  return own;
}
