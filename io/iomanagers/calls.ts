/**
 * The run engine's three calls into the port: store an output, load an input, remove an output.
 * A manager the project brought is user code and is called through the user-code boundary (its
 * throw becomes a UserCodeError naming it and the user's file:line) and what it returns is checked;
 * the built-ins are dagx's own code, whose failures stay dagx's.
 */
import { DagxError } from "../../core/errors.ts";
import { NO_OUTPUT, type IOManager, type ParquetWriter, type StoredInput, type StoredOutput, storedOutputProblem } from "../../core/io-manager.ts";
import { callUserCode, type UserCodeSite } from "../../core/user-code.ts";
import type { MaterializationRecord } from "../../core/types.ts";
import type { Storage } from "../storage/index.ts";
import { inputContext, outputContext, type StepIO } from "./context.ts";
import type { IOManagers } from "./registry.ts";

/** A stored output and the name of the IO manager that stored it (the materialization's format). */
export interface HandledOutput {
  format: string;
  stored: StoredOutput;
}

/** What an asset that returned `undefined` stores: nothing (a side-effect asset). */
export const NOTHING_STORED: HandledOutput = { format: NO_OUTPUT, stored: { location: "", rows: null, bytes: null, dataVersion: "", schema: null } };

/** Hand `value` (of `assetKey` at `partitionKey`, stored under `segments`) to `manager`, registered as `name` (the built-in Parquet manager writes rows with `parquetWriter`). */
export async function handleOutput(
  managers: IOManagers,
  step: StepIO,
  output: { manager: IOManager; name: string; parquetWriter?: ParquetWriter },
  assetKey: string,
  partitionKey: string,
  segments: readonly string[],
  value: unknown,
  site: UserCodeSite,
): Promise<HandledOutput> {
  const { manager, name } = output;
  if (managers.isBuiltin(manager)) return { format: name, stored: await manager.handleOutput(outputContext(step, assetKey, partitionKey, segments, output.parquetWriter), value) };
  const ctx = outputContext(step, assetKey, partitionKey, segments, output.parquetWriter, await managerResources(step, manager));
  const stored = await callUserCode({ ...site, what: `IO manager "${name}" (handleOutput of "${assetKey}")` }, () => manager.handleOutput(ctx, value));
  const problem = storedOutputProblem(stored);
  if (problem) throw new DagxError("UNSUPPORTED_OUTPUT", `IO manager "${name}" returned an invalid result from handleOutput of "${assetKey}": ${problem}: return { location, rows, bytes, dataVersion, schema }`, { exitCode: 1 });
  return { format: name, stored };
}

/** Load `stored` (written by the IO manager named `format`) for `readerKey`: a table handle or a value. */
export async function loadInput(managers: IOManagers, step: StepIO, readerKey: string, format: string, stored: StoredInput, site: UserCodeSite): Promise<unknown> {
  if (format === NO_OUTPUT) return undefined;
  const manager = managers.forFormat(format, stored.assetKey);
  if (managers.isBuiltin(manager)) return manager.loadInput(inputContext(step, readerKey, stored));
  const ctx = inputContext(step, readerKey, stored, await managerResources(step, manager));
  return callUserCode({ ...site, what: `IO manager "${format}" (loadInput of "${stored.assetKey}")` }, () => manager.loadInput(ctx));
}

/** Delete a stored output through the IO manager that wrote it (one without `remove` keeps it); `resources` sets up what the manager requests. */
export async function removeOutput(
  managers: IOManagers,
  storage: Storage,
  record: Pick<MaterializationRecord, "assetKey" | "partitionKey" | "runId" | "format" | "path">,
  resources?: Pick<StepIO, "resources" | "env">,
): Promise<void> {
  const { format, assetKey, partitionKey, path: location } = record;
  if (format === NO_OUTPUT || location === "") return;
  const manager = managers.forFormat(format, assetKey);
  if (!manager.remove) return;
  const noDuckDB = () => Promise.reject(new Error("removing an output needs no DuckDB"));
  const quiet = () => {};
  const step: StepIO = { storage, runId: record.runId, log: { debug: quiet, info: quiet, warn: quiet, error: quiet }, conn: noDuckDB, resolveRef: () => null, runSql: noDuckDB, ...resources };
  const site: UserCodeSite = { root: storage.root, assetKey, partitionKey: partitionKey || null, runId: record.runId };
  if (managers.isBuiltin(manager)) return manager.remove(outputContext(step, assetKey, partitionKey, []), location);
  const ctx = outputContext(step, assetKey, partitionKey, [], "auto", await managerResources(step, manager));
  await callUserCode({ ...site, what: `IO manager "${format}" (remove of "${assetKey}")` }, () => manager.remove!(ctx, location));
}

/** The resources a project's IO manager requested, set up through the step. */
async function managerResources(step: StepIO, manager: IOManager): Promise<Readonly<Record<string, unknown>>> {
  return step.resources ? step.resources(manager.resources ?? []) : {};
}
