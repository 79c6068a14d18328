/**
 * `ref("key")`: a typed reference to an asset that no TypeScript module exports (a `.asset.sql`
 * file's asset), usable in `ins` and `deps` like an exported definition. The loader resolves it by
 * key (an unknown key is a definition error with a did-you-mean); `dagx types` writes the row
 * types of SQL assets into `Register["sqlAssets"]`, so `ins: { t: ref("daily_revenue") }` is typed.
 */
import { ASSET_DEF, type AssetDef } from "./asset.ts";
import { recordCallSite } from "./call-site.ts";
import type { SqlQuery } from "./context.ts";
import { callerFrame } from "./location.ts";
import type { Register } from "./resources.ts";

export const ASSET_REF = Symbol.for("dagx.ref");

/** Row types of the project's SQL assets by key, as `dagx types` wrote them (empty before). */
export type SqlAssetRows = Register extends { sqlAssets: infer A } ? A : {};

/** The row type of the asset `K`: from `dagx types`, else a plain record. */
export type RefRow<K extends string> = K extends keyof SqlAssetRows ? (SqlAssetRows[K] extends object ? SqlAssetRows[K] : Record<string, unknown>) : Record<string, unknown>;

/** A reference made by `ref(key)`. */
export interface AssetKeyRef<K extends string = string> extends AssetDef<SqlQuery<RefRow<K>>> {
  readonly [ASSET_REF]: K;
}

/**
 * A reference to the asset `key` (a SQL asset, or any asset by key) for `ins` or `deps`.
 * @example export const top = asset({ ins: { totals: ref("analytics/customer_totals") } }, (ctx, { totals }) =>
 *   ctx.sql`select * from ${totals} order by total desc limit 1`);
 */
export function ref<const K extends (keyof SqlAssetRows & string) | (string & {})>(key: K): AssetKeyRef<K> {
  if (typeof key !== "string" || key === "") throw new TypeError('ref() needs an asset key: ref("analytics/daily_revenue")');
  const site = callerFrame();
  const r = {
    [ASSET_DEF]: true,
    [ASSET_REF]: key,
    options: {},
    fn: () => {
      throw new TypeError(`ref("${key}") is a reference, not an asset: export the asset it names`);
    },
    location: site ? `${site.file}:${site.line}` : null,
  } as unknown as AssetKeyRef<K>;
  recordCallSite(r, site);
  return r;
}

/** The key of a `ref(…)`, or null for anything else. */
export function refKey(v: unknown): string | null {
  if (typeof v !== "object" || v === null) return null;
  const k = (v as Record<symbol, unknown>)[ASSET_REF];
  return typeof k === "string" ? k : null;
}
