/**
 * Build the context a Pipes process reads: the asset, its code version and provenance, the
 * partition (key, key range, time window), the run, the retry number, and dagx's own contract in
 * `extras.dagx` (inputs, where to write the output, the partition as dagx sees it).
 */
import { DAGX_EXTRAS_VERSION, type DagxPipesExtras, type DagxPipesInput, type PipesContextData, type PipesDataProvenance } from "./protocol.ts";

/** What the step knows, in dagx's terms. */
export interface PipesContextInput {
  assetKey: string;
  codeVersion: string;
  /** The asset's latest materialization, if any (its provenance). */
  latest: { codeVersion: string; inputVersions: Readonly<Record<string, string>> } | null;
  partition: { key: string; keys: readonly string[]; start?: Date; end?: Date; dimensions?: Readonly<Record<string, string>> } | null;
  runId: string;
  /** 0 on the first attempt, 1 on the first retry, … */
  retryNumber: number;
  inputs: Readonly<Record<string, DagxPipesInput>>;
  outputPath: string;
  /** User extras (`pipesAsset({ extras })`); `dagx` is reserved. */
  extras?: Readonly<Record<string, unknown>>;
}

/** The context data, as the `dagster-pipes` client expects it. */
export function buildPipesContext(i: PipesContextInput): PipesContextData {
  const p = i.partition;
  const provenance: PipesDataProvenance | null = i.latest
    ? { code_version: i.latest.codeVersion, input_data_versions: { ...i.latest.inputVersions }, is_user_provided: false }
    : null;
  const dagx: DagxPipesExtras = {
    version: DAGX_EXTRAS_VERSION,
    inputs: { ...i.inputs },
    output: { path: i.outputPath, format: "parquet" },
    partition: p
      ? {
          key: p.key,
          keys: [...p.keys],
          start: p.start ? p.start.toISOString() : null,
          end: p.end ? p.end.toISOString() : null,
          dimensions: p.dimensions ? { ...p.dimensions } : null,
        }
      : null,
  };
  return {
    asset_keys: [i.assetKey],
    code_version_by_asset_key: { [i.assetKey]: i.codeVersion },
    provenance_by_asset_key: { [i.assetKey]: provenance },
    // a range has no single key: the client then raises on `partition_key`, as under Dagster
    partition_key: p && p.keys.length <= 1 ? p.key : null,
    partition_key_range: p ? { start: p.keys[0] ?? p.key, end: p.keys[p.keys.length - 1] ?? p.key } : null,
    partition_time_window: p?.start && p.end ? { start: p.start.toISOString(), end: p.end.toISOString() } : null,
    run_id: i.runId,
    job_name: null,
    retry_number: i.retryNumber,
    extras: { ...(i.extras ?? {}), dagx },
  };
}
