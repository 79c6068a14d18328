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
  /**
   * The assets of a Pipes multi-asset step, each with its code version, latest materialization and
   * output path; when given, `assetKey`, `codeVersion`, `latest` and `outputPath` are not used.
   */
  assets?: readonly { key: string; codeVersion: string; latest: PipesContextInput["latest"]; outputPath: string }[];
  /** User extras (`pipesAsset({ extras })`); `dagx` is reserved. */
  extras?: Readonly<Record<string, unknown>>;
}

/** The context data, as the `dagster-pipes` client expects it. */
export function buildPipesContext(i: PipesContextInput): PipesContextData {
  const p = i.partition;
  const provenanceOf = (latest: PipesContextInput["latest"]): PipesDataProvenance | null =>
    latest ? { code_version: latest.codeVersion, input_data_versions: { ...latest.inputVersions }, is_user_provided: false } : null;
  const assets = i.assets ?? [{ key: i.assetKey, codeVersion: i.codeVersion, latest: i.latest, outputPath: i.outputPath }];
  const multi = i.assets !== undefined;
  const dagx: DagxPipesExtras = {
    version: DAGX_EXTRAS_VERSION,
    inputs: { ...i.inputs },
    output: multi ? null : { path: i.outputPath, format: "parquet" },
    ...(multi ? { outputs: Object.fromEntries(assets.map((a) => [a.key, { path: a.outputPath, format: "parquet" as const }])) } : {}),
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
    asset_keys: assets.map((a) => a.key),
    code_version_by_asset_key: Object.fromEntries(assets.map((a) => [a.key, a.codeVersion])),
    provenance_by_asset_key: Object.fromEntries(assets.map((a) => [a.key, provenanceOf(a.latest)])),
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
