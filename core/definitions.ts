/** The loaded project: assets with resolved keys, plus per-file load errors. */
import type { AnyAssetDef, RetryPolicy } from "./asset.ts";
import type { AssetCheck } from "./checks/types.ts";
import type { IOManager, ParquetWriter } from "./io-manager.ts";
import type { PartitionMapping, PartitionsDef } from "./partitions/types.ts";
import type { AssetNode } from "./types.ts";

export interface LoadedAsset extends AssetNode {
  def: AnyAssetDef;
  /** Absolute path of the file that exports it. */
  file: string;
  exportName: string;
  /** Input name → upstream key (from `ins`). */
  ins: Record<string, string>;
  /** Upstream keys from `deps` only. */
  depKeys: string[];
  codeVersion: string;
  /** The `io` option as written: a built-in or declared name, an IO manager object, or null (chosen by value). */
  io: string | IOManager | null;
  /** The `parquetWriter` option, or null (the project default applies). */
  parquetWriter: ParquetWriter | null;
  retry: Required<RetryPolicy>;
  /** The concurrency pool of its steps (`pool:`, a name in the config's `pools`), or null. */
  pool: string | null;
  partitionsDef: PartitionsDef | null;
  /** Explicit partition mappings, by upstream key. */
  mappings: Record<string, PartitionMapping>;
  backfill: "per-partition" | "single-run";
  /** Declarative automation condition (eager / onCron / onMissing), validated by the loader. */
  automation: unknown;
  /** Freshness policy, raw (validated by the loader). */
  freshness: unknown;
  /** Built-in checks, then `check()` exports, in load order; names unique per asset. */
  checks: AssetCheck[];
}

/** A file that failed to import, or a definition problem in it. */
export interface LoadError {
  file: string;
  line: number | null;
  message: string;
  /** A few lines of source around the line, when available. */
  frame?: string;
  /** The original error's stack (shown with --verbose). */
  stack?: string;
  /** Not a file's own error but a definition left out because of one (printed after the files' errors). */
  consequence?: boolean;
}

/** A schedule or sensor export, before validation (which needs the graph and a cron evaluator). */
export interface RawInstigator {
  file: string;
  exportName: string;
  def: unknown;
  kind: "schedule" | "sensor";
}

export interface Definitions {
  root: string;
  assets: LoadedAsset[];
  /** Schedules and sensors exported by asset files. */
  instigators?: RawInstigator[];
  errors: LoadError[];
  /** How many asset files were found. */
  fileCount: number;
}
