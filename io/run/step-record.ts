/**
 * Record: each stored output becomes a materialization (data version, code version, the input
 * versions it read), visible to later steps of the run at once and committed with the next flush.
 */
import { NO_OUTPUT } from "../../core/io-manager.ts";
import type { MaterializationRecord } from "../../core/types.ts";
import type { HandledOutput } from "../iomanagers/index.ts";
import { ordinalOf } from "../status/index.ts";
import { hashText } from "../storage/index.ts";
import { partitionInputVersions } from "./step-inputs.ts";
import type { RunScope, StepAttempt } from "./step-scope.ts";

/** Record every output of the attempt; returns the records, in the outputs' order. */
export async function recordMaterializations(
  run: RunScope,
  a: StepAttempt,
  outputs: ReadonlyMap<string, HandledOutput>,
  inputVersions: Readonly<Record<string, string>>,
  metadata: Record<string, unknown> | null,
): Promise<MaterializationRecord[]> {
  const { asset } = a;
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
      dataVersion: format === NO_OUTPUT ? hashText(`${asset.codeVersion}\0${JSON.stringify(versions)}`) : stored.dataVersion,
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
