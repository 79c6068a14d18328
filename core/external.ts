/**
 * `externalAsset()`: an asset that exists outside dagx — a table another team loads, a file a
 * vendor drops, a dbt source. dagx never materializes it; it sits in the graph (listing, lineage,
 * selection, status) as an upstream only. An optional `observe` function reports its current data
 * version (`dagx observe KEY`); assets downstream of it go stale when that version changes.
 */
import { recordCallSite } from "./call-site.ts";
import { ASSET_DEF, type AnyAssetDef, type AssetOptions } from "./asset.ts";
import { callerFrame } from "./location.ts";
import type { MaybePromise } from "./types.ts";

/** What `observe` receives. */
export interface ObserveContext {
  /** The asset's key (`a/b` form). */
  key: string;
  /** Absolute path of the project root: relative paths in an observer are read from here. */
  root: string;
  /** Resolve a path relative to the project root (as `ctx.path` of an asset). */
  path(relative: string): string;
}

/** What `observe` returns: the asset's current data version (any non-empty string) and optional metadata. */
export interface ObserveResult {
  /** Changes exactly when the external data does: a content hash, a file's mtime, a table's max(updated_at)… */
  dataVersion: string;
  /** JSON-serialisable facts recorded with the observation (rows, last modified…). */
  metadata?: Record<string, unknown>;
}

/** Options of `externalAsset()`. */
export interface ExternalAssetOptions {
  /** The asset key (`a/b` form); defaults to the export name. */
  key?: string;
  /** @default "default" */
  group?: string;
  description?: string;
  owners?: string[];
  tags?: Record<string, string>;
  /** Kinds shown in the UI and selectable with `kind:NAME`, e.g. `["s3"]`. */
  kinds?: string[];
  /** Report the current data version; `dagx observe KEY` calls it and records the result. */
  observe?: (ctx: ObserveContext) => MaybePromise<ObserveResult>;
}

/** What the observe command needs of an external asset. */
export interface ExternalSpec {
  observe: ((ctx: ObserveContext) => MaybePromise<ObserveResult>) | null;
}

const EXTERNAL_SPEC = Symbol.for("dagx.external");
const FIELDS = new Set(["key", "group", "description", "owners", "tags", "kinds", "observe"]);

/**
 * Declare an asset dagx does not materialize (Dagster's external / observable source asset).
 * Other assets list it in `deps` (it stores nothing to load); `dagx materialize` never runs it,
 * and `dagx observe KEY` records the version its `observe` function reports.
 *
 * @example
 * export const vendorFeed = externalAsset({
 *   key: "vendor/feed",
 *   observe: async (ctx) => ({ dataVersion: String((await Bun.file(ctx.path("drop/feed.csv")).stat()).mtimeMs) }),
 * });
 * export const cleaned = asset({ deps: [vendorFeed] }, (ctx) => ctx.sql`select * from read_csv(${ctx.path("drop/feed.csv")})`);
 */
export function externalAsset(options: ExternalAssetOptions = {}): AnyAssetDef {
  if (options === null || typeof options !== "object") throw new TypeError('externalAsset() options must be an object: externalAsset({ key: "vendor/feed" })');
  for (const f of Object.keys(options)) {
    if (!FIELDS.has(f)) throw new TypeError(`externalAsset(): unknown option \`${f}\`: an external asset takes ${[...FIELDS].join(", ")} (dagx never computes it)`);
  }
  const { observe, ...rest } = options;
  if (observe !== undefined && typeof observe !== "function") throw new TypeError("externalAsset(): observe must be a function (ctx) => ({ dataVersion })");
  const site = callerFrame();
  const def: AnyAssetDef = {
    [ASSET_DEF]: true,
    options: { kinds: [], ...rest } as AssetOptions,
    // never called: dagx does not materialize an external asset
    fn: () => {
      throw new Error("an external asset is observed, not materialized");
    },
    location: site ? `${site.file}:${site.line}` : null,
  };
  Object.defineProperty(def, EXTERNAL_SPEC, { value: { observe: observe ?? null } satisfies ExternalSpec });
  recordCallSite(def, site);
  return def;
}

/** The observer of an external asset, or null when `def` is not one. */
export function externalSpecOf(def: unknown): ExternalSpec | null {
  if (typeof def !== "object" || def === null) return null;
  return ((def as Record<symbol, unknown>)[EXTERNAL_SPEC] as ExternalSpec | undefined) ?? null;
}

/** Metadata key that marks a materialization record as an observation of an external asset. */
export const OBSERVATION_KEY = "dagx/observation";

/** Refused materialization of external assets only (exit 2). */
export function externalOnlyMessage(keys: readonly string[]): string {
  const list = keys.join(", ");
  return `${list} ${keys.length > 1 ? "are" : "is"} external: dagx does not materialize ${keys.length > 1 ? "them" : "it"} — \`dagx observe ${list.replaceAll(", ", ",")}\` records ${keys.length > 1 ? "their" : "its"} current version`;
}
