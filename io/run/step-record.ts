/**
 * Record: each stored output becomes a materialization (data version, code version, the input
 * versions it read), visible to later steps of the run at once and committed with the next flush.
 */
import { DagxError } from "../../core/errors.ts";
import { isOutputWithMetadata } from "../../core/context.ts";
import { NO_OUTPUT } from "../../core/io-manager.ts";
import type { MaterializationRecord } from "../../core/types.ts";
import type { HandledOutput } from "../iomanagers/index.ts";
import { ordinalOf } from "../status/index.ts";
import { hashText } from "../storage/index.ts";
import { partitionInputVersions } from "./step-inputs.ts";
import type { RunScope, StepAttempt } from "./step-scope.ts";

/** Longest `ctx.output(…, { dataVersion })` (it is stored and compared, not a payload). */
const MAX_DATA_VERSION = 200;

/**
 * Record every output of the attempt; returns the records, in the outputs' order. `dataVersion`
 * (from `ctx.output(undefined, { dataVersion })`) replaces the derived version of an output written
 * elsewhere; with a stored value it is refused (dagx hashes what it stores).
 */
export async function recordMaterializations(
  run: RunScope,
  a: StepAttempt,
  outputs: ReadonlyMap<string, HandledOutput>,
  inputVersions: Readonly<Record<string, string>>,
  metadata: Record<string, unknown> | null,
  dataVersion?: unknown,
): Promise<MaterializationRecord[]> {
  const { asset } = a;
  if (dataVersion !== undefined) {
    if (typeof dataVersion !== "string" || dataVersion === "" || dataVersion.length > MAX_DATA_VERSION) {
      throw new DagxError("DEFINITION_INVALID", `Asset "${asset.key}" gave ctx.output(…, { dataVersion: ${typeof dataVersion === "string" ? JSON.stringify(dataVersion.slice(0, 40)) : String(dataVersion)} }): give a non-empty string of at most ${MAX_DATA_VERSION} characters, e.g. a hash of the data it wrote`);
    }
    if ([...outputs.values()].some((o) => o.format !== NO_OUTPUT)) {
      throw new DagxError("DEFINITION_INVALID", `Asset "${asset.key}" gave ctx.output(value, { dataVersion }) with a value dagx stores: dataVersion is for an output written elsewhere — return ctx.output(undefined, { dataVersion }), or drop dataVersion (dagx hashes what it stores)`);
    }
  }
  const parts = run.partitions.get(asset.key);
  const records: MaterializationRecord[] = [];
  for (const [pk, { format, stored }] of outputs) {
    // a single-run step read many partitions at once; each partition records what its own mapping reads
    const versions = outputs.size > 1 && parts ? await partitionInputVersions(run, asset, pk, inputVersions) : { ...inputVersions };
    const m: MaterializationRecord = {
      assetKey: asset.key,
      partitionKey: pk,
      runId: run.runId,
      at: run.now(),
      // a side-effect asset's version follows its code and inputs, so early cutoff works through it too
      dataVersion: format === NO_OUTPUT ? ((dataVersion as string | undefined) ?? hashText(`${asset.codeVersion}\0${JSON.stringify(versions)}`)) : stored.dataVersion,
      codeVersion: asset.codeVersion,
      inputVersions: versions,
      path: stored.location,
      format,
      rows: stored.rows,
      bytes: stored.bytes,
      schema: stored.schema,
      metadata,
      ordinal: parts ? ordinalOf(parts.space, pk) : null,
    };
    const config = run.config?.get(asset.key);
    if (config) m.configHash = config.hash;
    if (parts) (run.inRun.get(asset.key) ?? run.inRun.set(asset.key, new Map()).get(asset.key)!).set(pk, m);
    else run.latest.set(asset.key, m);
    run.onMaterialization(m);
    records.push(m);
  }
  return records;
}

/** Rows stored by the attempt (null when no output is a table). */
export function rowsOf(records: readonly MaterializationRecord[]): number | null {
  let rows: number | null = null;
  for (const m of records) if (m.rows !== null) rows = (rows ?? 0) + m.rows;
  return rows;
}

/** What a step returned, unwrapped: the value, and what `ctx.output(value, { metadata, checks, dataVersion })` said of it. */
export interface StepReturn {
  value: unknown;
  metadata: Record<string, unknown> | null;
  /** Reported check results (unvalidated user data; core/checks/reported.ts reads them). */
  checks?: unknown;
  dataVersion?: unknown;
}

/** Unwrap `ctx.output(…)`; any other value is the output itself. */
export function unwrapOutput(raw: unknown): StepReturn {
  if (!isOutputWithMetadata(raw)) return { value: raw, metadata: null };
  return { value: raw.value, metadata: raw.metadata, ...(raw.checks !== undefined ? { checks: raw.checks } : {}), ...(raw.dataVersion !== undefined ? { dataVersion: raw.dataVersion } : {}) };
}
