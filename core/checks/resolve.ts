/**
 * Load time: validate an asset's built-in checks and attach `check()` exports to their assets, so
 * each `LoadedAsset` carries its checks with unique names.
 */
import type { AnyAssetDef, AssetOptions } from "../asset.ts";
import type { LoadedAsset } from "../definitions.ts";
import { DefinitionError } from "../errors.ts";
import { isBuiltinCheck } from "./builtins.ts";
import { isCheckSpec, rerunOf } from "./reported.ts";
import { checkTimeoutMs } from "./define.ts";
import type { AssetCheck, CheckContext, RawCheckExport } from "./types.ts";

/** The built-in checks of an asset's options, validated (`where` names the asset's definition). */
export function builtinChecksOf(key: string, where: string, o: AssetOptions): AssetCheck[] {
  if (o.checks === undefined) return [];
  const bad = (what: string) => new DefinitionError("DEFINITION_INVALID", `Invalid option of asset "${key}" at ${where}: ${what}`, where);
  if (!Array.isArray(o.checks) || !o.checks.every((c) => isBuiltinCheck(c) || isCheckSpec(c))) {
    throw bad(`checks must be a list of built-in checks: notNull(), unique(), rowCount(), acceptedValues(), expr(), or checkSpec("name") for a result the step reports; define other checks with check(${key}, …) in an asset file`);
  }
  if (o.checks.some(isBuiltinCheck) && o.io === "json") {
    throw bad(`built-in checks run SQL over a table, but io: "json" stores this asset as JSON: drop io: "json", or check the value with check(${key}, (ctx, value) => …)`);
  }
  return o.checks.map((c): AssetCheck =>
    isBuiltinCheck(c)
      ? { kind: "builtin", name: c.name, severity: c.severity, blocking: c.blocking, description: c.description, location: c.location ?? where, spec: c.spec }
      : { kind: "reported", name: c.name, severity: c.severity, blocking: c.blocking, description: c.description, location: c.location ?? where, ...(rerunOf(c) ? { rerun: rerunOf(c)! } : {}) });
}

/** Attach `check()` exports to their assets (in place); names must be unique per asset. */
export function attachCheckExports(assets: readonly LoadedAsset[], keyOfDef: ReadonlyMap<AnyAssetDef, string>, raw: readonly RawCheckExport[]): void {
  const byKey = new Map(assets.map((a) => [a.key, a]));
  for (const r of raw) {
    const where = r.def.location ?? r.file;
    const name = r.def.options.name ?? r.exportName;
    const key = keyOfDef.get(r.def.asset);
    const asset = key === undefined ? undefined : byKey.get(key);
    if (!asset) throw new DefinitionError("DEFINITION_UNKNOWN_DEP", `Check "${name}" at ${where} checks an asset that no *.asset.ts file exports: export the asset from an asset file`, where);
    const o = r.def.options;
    asset.checks.push({
      kind: "function",
      name,
      severity: o.severity ?? "error",
      blocking: o.blocking ?? false,
      description: o.description ?? null,
      location: where,
      timeoutMs: checkTimeoutMs(o.timeout),
      fn: r.def.fn as (ctx: CheckContext, data: unknown) => unknown,
      ...(o.resources ? { resources: o.resources } : {}),
    });
  }
  for (const a of assets) assertUniqueNames(a);
}

function assertUniqueNames(a: LoadedAsset): void {
  const seen = new Map<string, AssetCheck>();
  for (const c of a.checks) {
    const other = seen.get(c.name);
    if (other) {
      throw new DefinitionError(
        "DEFINITION_DUPLICATE",
        `Asset "${a.key}" has two checks named "${c.name}" (at ${other.location ?? "?"} and at ${c.location ?? "?"}): give one another name with the \`name\` option`,
        c.location ?? undefined,
      );
    }
    seen.set(c.name, c);
  }
}
