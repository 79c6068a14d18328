/**
 * `pipesAsset()`: an asset computed by an external process — a Python script, a Rust or Go binary,
 * R, a shell script — that speaks the Dagster Pipes protocol (docs/pipes.md). The definition is an
 * ordinary asset in the graph (key, group, deps, partitions, retry, checks, freshness); the run engine
 * runs its step through io/run/pipes-step.ts instead of calling a function.
 */
import { recordCallSite } from "../call-site.ts";
import { callerFrame } from "../location.ts";
import type { PartitionsDef } from "../partitions/types.ts";
import { ASSET_DEF, type AnyAssetDef, type AssetDef, type AssetOptions } from "../asset.ts";
import { multiAsset, type MultiAssetDef, type MultiAssetOut, multiOutOf } from "../multi-asset.ts";

/** Options of `pipesAsset()`: an asset's options plus the command that computes it. */
export interface PipesAssetOptions<Ins extends Record<string, AnyAssetDef> = Record<string, AnyAssetDef>, P extends PartitionsDef | undefined = PartitionsDef | undefined>
  extends Omit<AssetOptions<Ins, P, undefined, readonly string[]>, "resources" | "config" | "parquetWriter"> {
  /**
   * The program and its arguments, run from the project root — an argv array, never a shell
   * string: `["python3", "score.py", "--fast"]`, `["./bin/score"]`.
   */
  command: readonly string[];
  /**
   * Extra environment variables for the process (on top of dagx's own environment and the two
   * Pipes variables). Values may be secrets: the process's output is redacted.
   */
  env?: Readonly<Record<string, string>>;
  /** Extra values for the script, readable as `context.extras` / `context.get_extra(name)`. `dagx` is reserved. */
  extras?: Readonly<Record<string, unknown>>;
  /** How long a canceled process may take to stop after SIGINT before its group gets SIGKILL. @default 5000 */
  cancelGraceMs?: number;
}

/**
 * Options of `pipesAsset()` with `outs`: one process materializes several assets (a multi-asset).
 * The step's options (inputs, partitions, retry) are shared; each out is its own asset. `group`,
 * `owners`, `tags` and `kinds` given next to `outs` are defaults for every out.
 */
export interface PipesMultiAssetOptions<
  Ins extends Record<string, AnyAssetDef> = Record<string, AnyAssetDef>,
  Outs extends Record<string, MultiAssetOut> = Record<string, MultiAssetOut>,
  P extends PartitionsDef | undefined = PartitionsDef | undefined,
> extends Pick<AssetOptions<Ins, P, undefined, readonly string[]>, "ins" | "deps" | "partitions" | "mappings" | "backfill" | "retry" | "pool" | "codeVersion" | "group" | "owners" | "tags" | "kinds"> {
  /**
   * The assets the process materializes, by name (the name is the key unless the out sets `key`).
   * The script writes each one's Parquet to `context.extras["dagx"]["outputs"][KEY]["path"]`, or
   * reports it with `context.report_asset_materialization(asset_key=KEY, …)`.
   */
  outs: Outs;
  /** As `pipesAsset({ command })`: the program and its arguments, an argv array. */
  command: readonly string[];
  env?: Readonly<Record<string, string>>;
  extras?: Readonly<Record<string, unknown>>;
  /** @default 5000 */
  cancelGraceMs?: number;
}

/** Options of a Pipes multi-asset that are per out: given next to `outs`, they are refused. */
const PER_OUT = ["key", "description", "checks", "io", "freshness", "automation", "resources", "config", "parquetWriter"] as const;

/** What the run engine needs of a Pipes asset. */
export interface PipesSpec {
  command: readonly string[];
  env: Readonly<Record<string, string>>;
  extras: Readonly<Record<string, unknown>>;
  cancelGraceMs: number;
}

const PIPES_SPEC = Symbol.for("dagx.pipes");

/**
 * Define an asset computed by an external process through the Dagster Pipes protocol. The process
 * gets its context in `DAGSTER_PIPES_CONTEXT` (the unmodified `dagster-pipes` client reads it with
 * `open_dagster_pipes()`); its inputs' files are in `context.extras["dagx"]["inputs"]`. It either
 * writes a Parquet file to `context.extras["dagx"]["output"]["path"]` (stored and recorded as a
 * table: rows, schema, data version) or reports a materialization (metadata, data version).
 *
 * @example
 * export const scores = pipesAsset({ command: ["python3", "scripts/score.py"], ins: { orders } });
 * export const report = asset({ ins: { scores } }, (ctx, { scores }) => ctx.sql`select count(*) from ${scores}`);
 */
export function pipesAsset<const Outs extends Record<string, MultiAssetOut>, const Ins extends Record<string, AnyAssetDef> = {}, const P extends PartitionsDef | undefined = undefined>(
  options: PipesMultiAssetOptions<Ins, Outs, P>,
): MultiAssetDef<{ [K in keyof Outs]: AssetDef<Record<string, unknown>[], undefined> }>;
export function pipesAsset<const Ins extends Record<string, AnyAssetDef> = {}, const P extends PartitionsDef | undefined = undefined>(
  options: PipesAssetOptions<Ins, P>,
): AssetDef<Record<string, unknown>[], undefined>;
export function pipesAsset(options: PipesAssetOptions | PipesMultiAssetOptions): AnyAssetDef | MultiAssetDef<Record<string, AnyAssetDef>> {
  if (options === null || typeof options !== "object") throw new TypeError('pipesAsset() needs options: pipesAsset({ command: ["python3", "score.py"] })');
  const spec = pipesSpecFrom(options);
  if ("outs" in options && options.outs !== undefined) return pipesMultiAsset(options as PipesMultiAssetOptions, spec);
  const { command: _c, env: _e, extras: _x, cancelGraceMs: _g, ...assetOptions } = options as PipesAssetOptions;
  const site = callerFrame();
  const def: AnyAssetDef = {
    [ASSET_DEF]: true,
    options: { kinds: ["pipes"], ...assetOptions } as AssetOptions,
    // never called: the run engine runs the process (io/run/pipes-step.ts)
    fn: () => {
      throw new Error(`pipesAsset ${JSON.stringify(spec.command)} is run by the Pipes step, not called`);
    },
    location: site ? `${site.file}:${site.line}` : null,
  };
  Object.defineProperty(def, PIPES_SPEC, { value: spec });
  recordCallSite(def, site);
  return def;
}

/** `pipesAsset({ command, outs })`: a multi-asset whose step runs the process (io/run/pipes-step.ts `runPipesMulti`). */
function pipesMultiAsset(options: PipesMultiAssetOptions, spec: PipesSpec): MultiAssetDef<Record<string, AnyAssetDef>> {
  const { command: _c, env: _e, extras: _x, cancelGraceMs: _g, outs, group, owners, tags, kinds, ...step } = options;
  for (const f of PER_OUT) {
    if (f in step) throw new TypeError(`pipesAsset(): \`${f}\` belongs to each out when outs are given: outs: { name: { ${f}: … } }`);
  }
  if (outs === null || typeof outs !== "object" || Array.isArray(outs)) throw new TypeError("pipesAsset(): outs must be an object of outs by name, e.g. outs: { scores: {}, segments: {} }");
  const withDefaults: Record<string, MultiAssetOut> = {};
  for (const [name, out] of Object.entries(outs)) {
    if (out === null || typeof out !== "object") throw new TypeError(`pipesAsset(): out "${name}" must be an object of options (use {} for none)`);
    withDefaults[name] = { kinds: kinds ?? ["pipes"], ...(group !== undefined ? { group } : {}), ...(owners !== undefined ? { owners } : {}), ...(tags !== undefined ? { tags } : {}), ...out };
  }
  const def = multiAsset({ ...step, outs: withDefaults, canSubset: false }, () => {
    throw new Error(`pipesAsset ${JSON.stringify(spec.command)} is run by the Pipes step, not called`);
  });
  Object.defineProperty(def, PIPES_SPEC, { value: spec });
  return def;
}

/** The validated command, environment, extras and grace period of `pipesAsset()` options. */
function pipesSpecFrom(options: PipesAssetOptions | PipesMultiAssetOptions): PipesSpec {
  const { command, env, extras, cancelGraceMs } = options;
  if (typeof command === "string") throw new TypeError(`pipesAsset(): command must be an argv array, not a shell string: command: ${JSON.stringify(String(command).split(/\s+/).filter(Boolean))}`);
  if (!Array.isArray(command) || command.length === 0 || !command.every((c) => typeof c === "string") || command[0] === "") {
    throw new TypeError('pipesAsset(): command must be a non-empty array of strings, e.g. ["python3", "score.py"]');
  }
  if (env !== undefined && (env === null || typeof env !== "object" || !Object.values(env).every((v) => typeof v === "string"))) {
    throw new TypeError("pipesAsset(): env must be an object of strings");
  }
  if (extras !== undefined && (extras === null || typeof extras !== "object" || "dagx" in extras)) {
    throw new TypeError('pipesAsset(): extras must be an object, and "dagx" is reserved for dagx\'s own contract');
  }
  if (cancelGraceMs !== undefined && !(typeof cancelGraceMs === "number" && cancelGraceMs >= 0)) throw new TypeError("pipesAsset(): cancelGraceMs must be a number of milliseconds ≥ 0");
  return { command: [...command], env: { ...(env ?? {}) }, extras: { ...(extras ?? {}) }, cancelGraceMs: cancelGraceMs ?? 5000 };
}

/**
 * A Pipes asset definition from options and a spec made elsewhere (a `*.asset.py` file's header,
 * io/project/py-asset.ts); `location` is "file:line".
 */
export function pipesAssetDef(options: AssetOptions, spec: PipesSpec, location: string): AnyAssetDef {
  const def: AnyAssetDef = {
    [ASSET_DEF]: true,
    options,
    fn: () => {
      throw new Error(`Pipes asset at ${location} is run by the Pipes step, not called`);
    },
    location,
  };
  Object.defineProperty(def, PIPES_SPEC, { value: spec });
  return def;
}

/**
 * The Pipes spec of an asset definition (or of the multi-asset step it is an out of, or of a
 * multi-asset step itself), or null for any other asset.
 */
export function pipesSpecOf(def: AnyAssetDef | MultiAssetDef<Record<string, AnyAssetDef>>): PipesSpec | null {
  const own = (def as unknown as Record<symbol, PipesSpec | undefined>)[PIPES_SPEC];
  if (own) return own;
  const out = ASSET_DEF in def ? multiOutOf(def as AnyAssetDef) : null;
  return out ? ((out.step as unknown as Record<symbol, PipesSpec | undefined>)[PIPES_SPEC] ?? null) : null;
}
