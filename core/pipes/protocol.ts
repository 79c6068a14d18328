/**
 * The Dagster Pipes wire protocol, as dagx speaks it (DESIGN §15, docs/pipes.md): the shapes that
 * cross the process boundary. Context in (`DAGSTER_PIPES_CONTEXT`), JSON-lines messages out
 * (`DAGSTER_PIPES_MESSAGES`); both variables hold base64 of zlib-compressed JSON `{"path": file}`.
 * Field names follow the published `dagster-pipes` client, so its scripts run unchanged.
 */

/** Environment variable that carries the context parameters. */
export const PIPES_CONTEXT_ENV = "DAGSTER_PIPES_CONTEXT";
/** Environment variable that carries the messages parameters. */
export const PIPES_MESSAGES_ENV = "DAGSTER_PIPES_MESSAGES";
/**
 * dagx extras beside the two Pipes variables: the same two file paths as plain text, for a
 * hand-written client in a language without zlib at hand (a shell script). Not part of Dagster Pipes.
 */
export const DAGX_CONTEXT_PATH_ENV = "DAGX_PIPES_CONTEXT_PATH";
export const DAGX_MESSAGES_PATH_ENV = "DAGX_PIPES_MESSAGES_PATH";
/** Protocol version written in every message's `__dagster_pipes_version`. */
export const PIPES_PROTOCOL_VERSION = "0.1";
/** Version of the `extras.dagx` contract (bumped on any incompatible change). */
export const DAGX_EXTRAS_VERSION = 1;

/** `partition_key_range`: first and last key of the step. */
export interface PipesPartitionKeyRange {
  start: string;
  end: string;
}

/** `partition_time_window`: ISO-8601 timestamps, end exclusive. */
export interface PipesTimeWindow {
  start: string;
  end: string;
}

/** `provenance_by_asset_key[key]`: what the asset's latest materialization was made from. */
export interface PipesDataProvenance {
  code_version: string;
  input_data_versions: Record<string, string>;
  is_user_provided: boolean;
}

/** One input of the step in `extras.dagx.inputs`: the files that hold it and their format. */
export interface DagxPipesInput {
  /** Asset key of the upstream. */
  key: string;
  /** Absolute paths of the files (Parquet: one per stored partition; JSON: the value file). */
  paths: string[];
  /** `"parquet"`, `"json"`, or another IO manager's format (then `paths` may be empty). */
  format: string;
}

/** `extras.dagx`: dagx's versioned contract with the script (docs/pipes.md). */
export interface DagxPipesExtras {
  version: typeof DAGX_EXTRAS_VERSION;
  /** Input name (the key of `ins`) → where its data is. */
  inputs: Record<string, DagxPipesInput>;
  /**
   * Where the script writes its table (Parquet). A file left there is the asset's output. Null in
   * the step of a Pipes multi-asset, which has `outputs` instead.
   */
  output: { path: string; format: "parquet" } | null;
  /** A Pipes multi-asset's step: asset key → where the script writes that asset's table. Absent for one asset. */
  outputs?: Record<string, { path: string; format: "parquet" }>;
  /** The step's partition, or null when unpartitioned. */
  partition: {
    key: string;
    keys: string[];
    start: string | null;
    end: string | null;
    dimensions: Record<string, string> | null;
  } | null;
}

/** The context the process reads (`PipesContextData` in the client). */
export interface PipesContextData {
  asset_keys: string[];
  code_version_by_asset_key: Record<string, string | null>;
  provenance_by_asset_key: Record<string, PipesDataProvenance | null>;
  partition_key: string | null;
  partition_key_range: PipesPartitionKeyRange | null;
  partition_time_window: PipesTimeWindow | null;
  run_id: string;
  job_name: string | null;
  retry_number: number;
  extras: { dagx: DagxPipesExtras } & Record<string, unknown>;
}

/** A metadata entry as the client sends it. */
export interface PipesMetadataValue {
  raw_value: unknown;
  type: string;
}

/** The exception of a `closed` message (a Python exception, or another language's equivalent). */
export interface PipesException {
  name: string | null;
  message: string;
  stack: string[];
  cause: PipesException | null;
  context: PipesException | null;
}

/** A message from the process, validated. */
export type PipesMessage =
  | { method: "opened"; extras: Record<string, unknown> }
  | { method: "closed"; exception: PipesException | null }
  | { method: "log"; message: string; level: string }
  | { method: "report_asset_materialization"; assetKey: string | null; dataVersion: string | null; metadata: Record<string, PipesMetadataValue> }
  | {
      method: "report_asset_check";
      assetKey: string | null;
      checkName: string;
      passed: boolean;
      severity: "ERROR" | "WARN";
      metadata: Record<string, PipesMetadataValue>;
    }
  | { method: "report_custom_message"; payload: unknown }
  | { method: "log_external_stream"; stream: string; text: string; extras: Record<string, unknown> };

/** Names of the methods dagx handles. */
export const PIPES_METHODS = [
  "opened",
  "closed",
  "log",
  "report_asset_materialization",
  "report_asset_check",
  "report_custom_message",
  "log_external_stream",
] as const;
