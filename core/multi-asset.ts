/**
 * `multiAsset()`: one step that materializes several assets ("outs"). Each out is an ordinary asset
 * definition in the graph (own key, group, IO manager, checks, freshness, data version); they share
 * the step's function, inputs, partitions, retry policy, resources and config. The run engine
 * (io/run/multi-step.ts) calls the function once per run, partition range and attempt, and stores and
 * records each out through its own IO manager.
 */
import type { AssetContext } from "./context.ts";
import type { PartitionsDef } from "./partitions/types.ts";
import { recordCallSite } from "./call-site.ts";
import { callerFrame } from "./location.ts";
import type { BuiltinCheck, CheckSpec } from "./checks/types.ts";
import type { FreshnessPolicy } from "./freshness.ts";
import type { IOManager, ParquetWriter } from "./io-manager.ts";
import type { ConfigOf, ConfigSchema } from "./run-config.ts";
import type { ResourceName, ResourcesOf } from "./resources.ts";
import { ASSET_DEF, type AnyAssetDef, type AssetDef, type AssetOptions, type InputsOf, type OutputWithMetadata } from "./asset.ts";
import type { AutomationCondition } from "./automation/types.ts";

/** What one out of a multi-asset declares: everything that is per asset rather than per step. */
export interface MultiAssetOut {
  /** Asset key of this out. @default the out's name */
  key?: string;
  /** @default "default" */
  group?: string;
  description?: string;
  owners?: string[];
  tags?: Record<string, string>;
  kinds?: string[];
  /** IO manager of this out (as `asset({ io })`). @default by value: "parquet" for tables, "json" otherwise */
  io?: "parquet" | "json" | (string & {}) | IOManager;
  parquetWriter?: ParquetWriter;
  /** Built-in checks on this out's stored output, and `checkSpec()`s whose results the step reports for this out. */
  checks?: (BuiltinCheck | CheckSpec)[];
  freshness?: FreshnessPolicy;
  automation?: AutomationCondition;
  /**
   * Code version of this out alone; when it changes, only this out (and its downstream) is stale.
   * Wins over the step's `codeVersion` (a dbt model's checksum, a script's own section).
   * @default the step's `codeVersion`, else a hash of the step's function and local imports
   */
  codeVersion?: string;
  /**
   * What this out depends on, when not all of the step's upstreams: keys (or definitions) among
   * the step's `ins`/`deps`, and the names or keys of sibling outs it is computed from — as
   * Dagster's `internal_asset_deps`. Lineage, selection (`+out`) and staleness follow it; the step
   * still reads all its inputs and runs once, and outs are recorded upstream first.
   * @default every upstream of the step, and no sibling
   * @example outs: { staged: {}, mart: { dependsOn: ["staged"] } }
   */
  dependsOn?: (string | AnyAssetDef)[];
}

/** Options of `multiAsset(options, fn)`: the step's options (shared by every out) and `outs`. */
export interface MultiAssetOptions<
  Ins extends Record<string, AnyAssetDef>,
  Outs extends Record<string, MultiAssetOut>,
  P extends PartitionsDef | undefined,
  C extends ConfigSchema | undefined,
  R extends readonly string[],
> extends Pick<AssetOptions<Ins, P, C, R>, "ins" | "deps" | "partitions" | "mappings" | "backfill" | "retry" | "pool" | "resources" | "config" | "codeVersion"> {
  /** The assets this step materializes, by name (the name is the key unless the out sets `key`). */
  outs: Outs;
  /**
   * May the step materialize only some of its outs? When true, a selection of some outs runs the
   * step with `ctx.selectedOutputs` naming them, and the function returns only those. When false
   * (the default, as in Dagster), selecting any out runs the whole step and materializes every out.
   * @default false
   */
  canSubset?: boolean;
}

/** The `ctx` of a multi-asset function: an asset context plus which outs this run wants. */
export type MultiAssetContext<P = undefined, Cfg = undefined, Res = Record<string, never>> = AssetContext<P, Cfg, Res> & {
  /** Names of the outs to return in this run: all of them unless the multi-asset `canSubset`. */
  readonly selectedOutputs: readonly string[];
};

/**
 * What the function returns: one value per out (or `ctx.output(value, { metadata })`), by out name.
 * `undefined` records an out written elsewhere (a dbt model, a script's file) with nothing stored;
 * an out left out of the object is an error (unless `canSubset` and not in `ctx.selectedOutputs`).
 */
export type MultiAssetResult<Outs> = { [K in keyof Outs]?: unknown };

type UnwrapOut<T> = T extends OutputWithMetadata<infer V> ? V : T;
/** An out's output type: what the function returns for it (`undefined` only when that is all it returns). */
type OutType<Ret, K> = K extends keyof Ret ? ([Ret[K]] extends [undefined] ? undefined : UnwrapOut<Exclude<Ret[K], undefined>>) : undefined;

/** Options of the step, shared by every out (an out that sets one is refused). */
const STEP_OPTIONS = ["ins", "deps", "partitions", "mappings", "backfill", "retry", "pool", "resources", "config"] as const;

export const MULTI_ASSET_DEF = Symbol.for("dagx.multiAsset");
const MULTI_OUT = Symbol.for("dagx.multiAsset.out");

/** A multi-asset definition, made by `multiAsset()`: export it; downstream assets take `x.outs.NAME` in `ins`. */
export interface MultiAssetDef<Outs extends Record<string, AnyAssetDef>> {
  readonly [MULTI_ASSET_DEF]: true;
  /** One asset definition per out, usable in `ins`/`deps`/`check()` like any asset. */
  readonly outs: Outs;
  readonly canSubset: boolean;
  readonly fn: (ctx: MultiAssetContext, inputs: Record<string, unknown>) => unknown;
  readonly location: string | null;
}

/** What the engine knows of an out: its step and its name in the function's result. */
export interface MultiOutInfo {
  step: MultiAssetDef<Record<string, AnyAssetDef>>;
  name: string;
  /** The out's `dependsOn`, unresolved (core/graph.ts resolves and checks it); undefined: every upstream of the step. */
  dependsOn?: readonly (string | AnyAssetDef)[];
}

/**
 * Define one step that materializes several assets. Each out is its own asset (keys, selection,
 * lineage, status, checks, freshness, data version); the function returns an object with one value
 * per out name. Downstream assets take an out in `ins`: `ins: { orders: shop.outs.orders }`, typed
 * from what the function returns for it.
 *
 * @example
 * export const shop = multiAsset(
 *   { outs: { customers: { checks: [unique("id")] }, orders: { group: "sales" } }, ins: { raw } },
 *   (ctx, { raw }) => ({
 *     customers: ctx.sql`select distinct customer_id as id from ${raw}`,
 *     orders: ctx.sql`select * from ${raw}`,
 *   }));
 * export const revenue = asset({ ins: { orders: shop.outs.orders } }, (ctx, { orders }) =>
 *   ctx.sql`select sum(amount) as revenue from ${orders}`);
 */
export function multiAsset<
  const Outs extends Record<string, MultiAssetOut>,
  Ret extends MultiAssetResult<Outs>,
  const Ins extends Record<string, AnyAssetDef> = {},
  const P extends PartitionsDef | undefined = undefined,
  C extends ConfigSchema | undefined = undefined,
  const R extends readonly ResourceName[] = [],
>(
  options: MultiAssetOptions<Ins, Outs, P, C, R>,
  fn: (ctx: MultiAssetContext<P, ConfigOf<C>, ResourcesOf<R>>, inputs: InputsOf<Ins>) => Ret | Promise<Ret>,
): MultiAssetDef<{ [K in keyof Outs]: AssetDef<OutType<Ret, K>, ConfigOf<C>> }>;
export function multiAsset(options: unknown, fn: unknown): MultiAssetDef<Record<string, AnyAssetDef>> {
  const bad = (m: string) => new TypeError(`multiAsset(): ${m}`);
  if (options === null || typeof options !== "object") throw bad("options must be an object: multiAsset({ outs: { a: {}, b: {} } }, fn)");
  if (typeof fn !== "function") throw bad("needs a function: multiAsset({ outs }, (ctx, inputs) => ({ a: …, b: … }))");
  const o = options as MultiAssetOptions<Record<string, AnyAssetDef>, Record<string, MultiAssetOut>, PartitionsDef | undefined, ConfigSchema | undefined, readonly string[]>;
  if (o.outs === null || typeof o.outs !== "object" || Object.keys(o.outs).length === 0) throw bad("`outs` must name at least one out: { outs: { orders: {}, customers: {} } }");
  const site = callerFrame();
  const location = site ? `${site.file}:${site.line}` : null;
  const { outs: outSpecs, canSubset, ...shared } = o;
  const outs: Record<string, AnyAssetDef> = {};
  const step = { [MULTI_ASSET_DEF]: true, outs, canSubset: canSubset === true, fn, location } as MultiAssetDef<Record<string, AnyAssetDef>>;
  for (const [name, spec] of Object.entries(outSpecs)) {
    if (spec === null || typeof spec !== "object") throw bad(`out "${name}" must be an object of options (use {} for none)`);
    // what the step shares cannot differ per out: one function call reads the same inputs for the same partitions
    for (const f of STEP_OPTIONS) if (f in spec) throw bad(`out "${name}" sets \`${f}\`, which belongs to the whole step: set it next to \`outs\` (every out shares the step's ${f})`);
    if (spec.codeVersion !== undefined && (typeof spec.codeVersion !== "string" || spec.codeVersion === "")) {
      throw bad(`out "${name}" has codeVersion ${JSON.stringify(spec.codeVersion) ?? String(spec.codeVersion)}: give a non-empty string, e.g. codeVersion: "2"`);
    }
    const { dependsOn, ...own } = spec;
    if (dependsOn !== undefined && (!Array.isArray(dependsOn) || dependsOn.some((d) => typeof d !== "string" && (d === null || typeof d !== "object")))) {
      throw bad(`out "${name}" has dependsOn ${typeof dependsOn}: give a list of sibling out names or upstream keys, e.g. dependsOn: ["staged"]`);
    }
    const def: AnyAssetDef = {
      [ASSET_DEF]: true,
      options: { ...shared, ...own, key: spec.key ?? name } as AssetOptions,
      // never called: the run engine runs the step (io/run/multi-step.ts); the text is the step's, for code versions
      fn: fn as AnyAssetDef["fn"],
      location,
    };
    Object.defineProperty(def, MULTI_OUT, { value: { step, name, ...(dependsOn ? { dependsOn: [...dependsOn] } : {}) } satisfies MultiOutInfo });
    recordCallSite(def, site);
    outs[name] = def;
  }
  recordCallSite(step, site);
  return step;
}

/** True when `value` is a multi-asset definition. */
export function isMultiAssetDef(value: unknown): value is MultiAssetDef<Record<string, AnyAssetDef>> {
  return typeof value === "object" && value !== null && (value as Record<symbol, unknown>)[MULTI_ASSET_DEF] === true;
}

/** The multi-asset step an asset definition is an out of, or null for a plain asset. */
export function multiOutOf(def: AnyAssetDef): MultiOutInfo | null {
  return ((def as unknown as Record<symbol, MultiOutInfo | undefined>)[MULTI_OUT] ?? null);
}

/**
 * Selecting an out of a multi-asset that cannot subset selects all its outs (they run as one
 * step). Returns the grown selection and, per added key, why it was added (for plans) and the
 * selected out that brought it (whose run config it shares).
 */
export function expandMultiSelection(
  assets: ReadonlyMap<string, { key: string; def: AnyAssetDef }>,
  selected: ReadonlySet<string>,
): { selected: Set<string>; added: Map<string, string>; from: Map<string, string> } {
  const keyOfDef = new Map<AnyAssetDef, string>();
  for (const a of assets.values()) keyOfDef.set(a.def, a.key);
  const out = new Set(selected);
  const added = new Map<string, string>();
  const from = new Map<string, string>();
  for (const k of selected) {
    const a = assets.get(k);
    const info = a ? multiOutOf(a.def) : null;
    if (!info || info.step.canSubset) continue;
    for (const sib of Object.values(info.step.outs)) {
      const sk = keyOfDef.get(sib);
      if (sk === undefined || out.has(sk)) continue;
      out.add(sk);
      added.set(sk, `runs with "${k}" (one multi-asset step; canSubset is off)`);
      from.set(sk, k);
    }
  }
  return { selected: out, added, from };
}

/**
 * Give every step of a multi-asset out that cannot subset a step for each sibling out with the
 * same partitions (a plan filtered by `--stale` may have kept only the stale out): the step
 * materializes all of them, and each out's materialization must have its step. Mutates `steps`.
 */
export function completeMultiSteps(
  steps: { id: string; key: string; partitionKey: string; partitionKeys: string[] | null; after: string[]; reason: string }[],
  assets: ReadonlyMap<string, { key: string; def: AnyAssetDef }>,
  stepIdOf: (key: string, partitionKey: string) => string,
  added: ReadonlyMap<string, string>,
): void {
  const keyOfDef = new Map<AnyAssetDef, string>();
  for (const a of assets.values()) keyOfDef.set(a.def, a.key);
  const ids = new Set(steps.map((s) => s.id));
  for (const s of [...steps]) {
    const a = assets.get(s.key);
    const info = a ? multiOutOf(a.def) : null;
    if (!info) continue;
    if (added.has(s.key)) s.reason = added.get(s.key)!;
    if (info.step.canSubset) continue;
    for (const sib of Object.values(info.step.outs)) {
      const k = keyOfDef.get(sib);
      if (k === undefined || ids.has(stepIdOf(k, s.partitionKey))) continue;
      const id = stepIdOf(k, s.partitionKey);
      ids.add(id);
      steps.push({ ...s, id, key: k, after: [...s.after], reason: added.get(k) ?? `runs with "${s.key}" (one multi-asset step; canSubset is off)` });
    }
  }
}

/**
 * Every out step of one call (same multi-asset, same partition key) waits for what any of them
 * waits for outside the call: whichever out step starts first runs the call, which reads all the
 * step's inputs, even when its own `dependsOn` names fewer. Steps of sibling outs that are in the
 * call are left out (an out waits for a sibling it depends on; the call does not wait for itself).
 * Mutates `steps`.
 */
export function shareMultiStepWaits(
  steps: { id: string; key: string; partitionKey: string; after: string[] }[],
  assets: ReadonlyMap<string, { key: string; def: AnyAssetDef }>,
): void {
  const calls = new Map<string, { ids: Set<string>; members: typeof steps }>();
  const stepNumbers = new Map<object, number>();
  for (const s of steps) {
    const a = assets.get(s.key);
    const info = a ? multiOutOf(a.def) : null;
    if (!info) continue;
    let stepNo = stepNumbers.get(info.step);
    if (stepNo === undefined) stepNumbers.set(info.step, (stepNo = stepNumbers.size));
    const callId = `${stepNo}\0${s.partitionKey}`;
    const c = calls.get(callId) ?? calls.set(callId, { ids: new Set(), members: [] }).get(callId)!;
    c.ids.add(s.id);
    c.members.push(s);
  }
  for (const c of calls.values()) {
    if (c.members.length < 2) continue;
    const outside = new Set<string>();
    for (const m of c.members) for (const id of m.after) if (!c.ids.has(id)) outside.add(id);
    for (const m of c.members) m.after = [...new Set([...m.after, ...outside])];
  }
}
