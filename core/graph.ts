/**
 * From raw exports to a validated asset graph: keys, inputs, duplicate/unknown/cycle checks,
 * and a topological order.
 */
import { externalSpecOf } from "./external.ts";
import { type AnyAssetDef, isAssetDef } from "./asset.ts";
import { attachCheckExports, builtinChecksOf } from "./checks/resolve.ts";
import type { RawCheckExport } from "./checks/types.ts";
import type { Definitions, LoadedAsset, LoadError } from "./definitions.ts";
import { createCaseGuard, validateOptions } from "./_graph-checks.ts";
import { DefinitionError } from "./errors.ts";
import type { IOManager } from "./io-manager.ts";
import { keyProblem } from "./keys.ts";
import { relativeTo } from "./location.ts";
import { defaultMapping, isPartitionMapping, type PartitionMapping, type PartitionsDef, partitionsLabel } from "./partitions/index.ts";
import { didYouMean } from "./suggest.ts";
import { refKey } from "./ref.ts";
import { type MultiOutInfo, multiOutOf } from "./multi-asset.ts";
import type { GraphView } from "./types.ts";

/** One asset exported by one file, before keys are resolved. */
export interface RawExport {
  file: string;
  exportName: string;
  def: AnyAssetDef;
}

export interface ProjectGraph extends GraphView {
  assets: ReadonlyMap<string, LoadedAsset>;
  /** All keys, upstream before downstream (ties broken by key). */
  order: readonly string[];
  /** Files that failed to load (their assets are absent). */
  errors: readonly LoadError[];
  /** Schedules and sensors, raw (validated by io/project.ts). */
  instigators: readonly import("./definitions.ts").RawInstigator[];
}

const DEFAULT_RETRY = { maxRetries: 0, delay: "1s", backoff: "exponential", jitter: true } as const;

/** Resolve keys and inputs of raw exports. `codeVersionOf` hashes code (io/ supplies it). */
export function resolveDefinitions(
  root: string,
  raw: readonly RawExport[],
  errors: LoadError[],
  codeVersionOf: (r: RawExport) => string,
  fileCount: number,
  rawChecks: readonly RawCheckExport[] = [],
  /** IO managers declared in the config: what an asset's `io` may name. */
  ioManagers: Readonly<Record<string, IOManager>> = {},
  /** Concurrency pools declared in the config (`pools`): what an asset's `pool` may name. */
  pools: Readonly<Record<string, number>> = {},
): Definitions {
  const keyOfDef = new Map<AnyAssetDef, string>();
  const firstAt = new Map<string, RawExport>();
  const caseGuard = createCaseGuard();
  for (const r of raw) {
    const key: unknown = r.def.options.key ?? r.exportName;
    const where = `${r.def.location ?? r.file} (export "${r.exportName}")`;
    if (typeof key !== "string") throw new DefinitionError("DEFINITION_INVALID", `Invalid asset key ${typeof key === "object" ? "(an object)" : String(key)} at ${where}: it must be a string like "orders" or "analytics/daily_revenue"`, where);
    const problem = keyProblem(key);
    if (problem) throw new DefinitionError("DEFINITION_INVALID", `Invalid asset key "${key}" at ${where}: ${problem}`, where);
    const prev = keyOfDef.get(r.def);
    if (prev !== undefined) {
      throw new DefinitionError("DEFINITION_DUPLICATE", `Asset "${prev}" is exported twice, as "${firstAt.get(prev)?.exportName}" and "${r.exportName}" in ${r.file}: export each asset once`, where);
    }
    const other = firstAt.get(key);
    if (other) {
      throw new DefinitionError(
        "DEFINITION_DUPLICATE",
        `Duplicate asset key "${key}": defined at ${other.def.location ?? other.file} and at ${r.def.location ?? r.file}: rename one export or set a different \`key\``,
        where,
      );
    }
    caseGuard(key, r.def.location ?? r.file);
    keyOfDef.set(r.def, key);
    firstAt.set(key, r);
  }
  // ref("key") (core/ref.ts): resolved by key; an unknown key is an error at the ref's call
  const refTarget = (v: AnyAssetDef, key: string, what: string): string | undefined => {
    const k = refKey(v);
    if (k === null) return undefined;
    // a file failed to load and may have defined it: the asset is left out by buildGraph, like a key-string dep
    if (firstAt.has(k) || errors.length > 0) return k;
    const where = v.location ?? "?";
    throw new DefinitionError("DEFINITION_UNKNOWN_DEP", `ref("${k}") at ${where} (${what} of asset "${key}") names no asset${didYouMean(k, firstAt.keys())}: use the key of an asset (dagx list shows them)`, where);
  };
  const assets: LoadedAsset[] = raw.map((r) => {
    const o = r.def.options;
    const key = keyOfDef.get(r.def)!;
    const where = r.def.location ?? r.file;
    validateOptions(key, where, o, ioManagers, pools);
    const ins: Record<string, string> = {};
    for (const [name, up] of Object.entries(o.ins ?? {})) {
      if (!isAssetDef(up)) throw new DefinitionError("DEFINITION_INVALID", `Input "${name}" of asset "${key}" at ${where} is not an asset definition: pass the exported asset (ins: { ${name} })`, where);
      const upKey = keyOfDef.get(up) ?? refTarget(up, key, `input "${name}"`);
      if (upKey === undefined) throw new DefinitionError("DEFINITION_UNKNOWN_DEP", `Input "${name}" of asset "${key}" at ${where} refers to an asset that no *.asset.ts file exports: export it from an asset file`, where);
      if (externalSpecOf(up)) {
        throw new DefinitionError("DEFINITION_INVALID", `Input "${name}" of asset "${key}" at ${where} is the external asset "${upKey}", which dagx does not store: list it in deps (deps: [${name}]) and read its data where it lives`, where);
      }
      ins[name] = upKey;
    }
    const depKeys: string[] = [];
    for (const d of o.deps ?? []) {
      if (typeof d === "string") depKeys.push(d);
      else if (isAssetDef(d)) {
        const k = keyOfDef.get(d) ?? refTarget(d, key, "a dep");
        if (k === undefined) throw new DefinitionError("DEFINITION_UNKNOWN_DEP", `A dep of asset "${key}" at ${where} refers to an asset that no *.asset.ts file exports: export it from an asset file`, where);
        depKeys.push(k);
      } else throw new DefinitionError("DEFINITION_INVALID", `A dep of asset "${key}" at ${where} is neither an asset nor a key string: use deps: [orders] or deps: ["orders"]`, where);
    }
    let deps = [...new Set([...Object.values(ins), ...depKeys])];
    const mappings: Record<string, PartitionMapping> = {};
    for (const [name, m] of Object.entries(o.mappings ?? {})) {
      const up = ins[name] ?? (deps.includes(name) ? name : undefined);
      if (up === undefined) throw new DefinitionError("DEFINITION_INVALID", `Mapping "${name}" of asset "${key}" at ${where} names no input or dep: use an input name (${Object.keys(ins).join(", ") || "none"}) or a dep key`, where);
      if (!isPartitionMapping(m)) throw new DefinitionError("DEFINITION_INVALID", `Mapping "${name}" of asset "${key}" at ${where} is not a partition mapping: use identity(), timeWindow({ offset }), allPartitions(), lastPartition(), staticMapping({...}) or dimension(name)`, where);
      mappings[up] = m;
    }
    const out = multiOutOf(r.def);
    if (out?.dependsOn) deps = outDependsOn(key, where, out, deps, keyOfDef, refTarget);
    return {
      key,
      group: o.group ?? "default",
      description: o.description ?? null,
      owners: o.owners ?? [],
      tags: o.tags ?? {},
      kinds: o.kinds ?? [],
      deps,
      partitioned: o.partitions !== undefined && o.partitions !== null,
      location: r.def.location,
      ...(externalSpecOf(r.def) ? { external: true } : {}),
      def: r.def,
      file: r.file,
      exportName: r.exportName,
      ins,
      depKeys,
      codeVersion: codeVersionOf(r),
      io: o.io ?? null,
      parquetWriter: o.parquetWriter ?? null,
      retry: { ...DEFAULT_RETRY, ...(o.retry ?? {}) },
      pool: o.pool ?? null,
      partitionsDef: o.partitions ?? null,
      mappings,
      backfill: o.backfill ?? "per-partition",
      automation: o.automation ?? null,
      freshness: o.freshness ?? null,
      checks: builtinChecksOf(key, where, o),
    };
  });
  checkMappings(assets);
  attachCheckExports(assets, keyOfDef, rawChecks);
  return { root, assets, errors, fileCount };
}

/**
 * An out's `dependsOn` (core/multi-asset.ts) as keys: each entry names a sibling out (by name or
 * key) or one of the step's upstreams (`stepDeps`); anything else is a definition error.
 */
function outDependsOn(
  key: string,
  where: string,
  out: MultiOutInfo,
  stepDeps: readonly string[],
  keyOfDef: ReadonlyMap<AnyAssetDef, string>,
  refTarget: (v: AnyAssetDef, key: string, what: string) => string | undefined,
): string[] {
  const siblings = new Map<string, string>(); // name or key → key
  for (const [name, d] of Object.entries(out.step.outs)) {
    const k = keyOfDef.get(d);
    if (k === undefined || k === key) continue;
    siblings.set(name, k);
    siblings.set(k, k);
  }
  const resolved: string[] = [];
  for (const d of out.dependsOn ?? []) {
    const k = typeof d === "string" ? (siblings.get(d) ?? d) : isAssetDef(d) ? (keyOfDef.get(d) ?? refTarget(d, key, "dependsOn")) : undefined;
    if (k === key || (typeof d === "string" && d === out.name)) {
      throw new DefinitionError("DEFINITION_INVALID", `Out "${out.name}" (asset "${key}") at ${where} lists itself in dependsOn: name the sibling outs and upstreams it is computed from`, where);
    }
    if (k === undefined || (!siblings.has(k) && !stepDeps.includes(k))) {
      const known = [...new Set([...siblings.values(), ...stepDeps])];
      throw new DefinitionError(
        "DEFINITION_UNKNOWN_DEP",
        `Out "${out.name}" (asset "${key}") at ${where} depends on ${typeof d === "string" ? `"${d}"` : "an asset"}, which is neither a sibling out nor an upstream of its step${typeof d === "string" ? didYouMean(d, known) : ""}: add it to the step's ins/deps, or name one of ${known.map((x) => `"${x}"`).join(", ") || "none"}`,
        where,
      );
    }
    resolved.push(k);
  }
  return [...new Set(resolved)];
}

/** Every partitioned edge must have a mapping that fits both definitions (explicit or default). */
function checkMappings(assets: readonly LoadedAsset[]): void {
  const byKey = new Map(assets.map((a) => [a.key, a]));
  for (const a of assets) {
    for (const up of a.deps) {
      const u = byKey.get(up);
      if (!u?.partitionsDef) {
        if (a.mappings[up]) throw new DefinitionError("DEFINITION_INVALID", `Asset "${a.key}" at ${a.location ?? a.file} has a partition mapping for "${up}", which is not partitioned: remove the mapping`, a.location ?? a.file);
        continue;
      }
      const explicit = a.mappings[up];
      if (explicit && a.partitionsDef) {
        const problem = mappingMisfit(explicit, a.partitionsDef, u.partitionsDef);
        if (problem) throw new DefinitionError("DEFINITION_INVALID", `Asset "${a.key}" at ${a.location ?? a.file} maps "${up}" with ${problem}`, a.location ?? a.file);
      }
      if (explicit || !a.partitionsDef) continue;
      try {
        defaultMapping(a.partitionsDef, u.partitionsDef);
      } catch (e) {
        throw new DefinitionError("DEFINITION_INVALID", `Asset "${a.key}" at ${a.location ?? a.file} reads "${up}" but their partitions do not line up: ${(e as Error).message} — give a mapping, e.g. mappings: { ${up}: allPartitions() }`, a.location ?? a.file);
      }
    }
  }
}

/** Why an explicit mapping cannot map `down` to `up` (checked at load, so the error names the asset), or null. */
function mappingMisfit(m: PartitionMapping, down: PartitionsDef, up: PartitionsDef): string | null {
  if (m.kind === "timeWindow" && (down.kind !== "time" || up.kind !== "time")) return "timeWindow(), which maps between time-window partitions (daily(), monthly() …)";
  if (m.kind === "multi" && (down.kind !== "multi" || up.kind !== "multi")) return "multiMapping(), which maps between two multiPartitions()";
  if (m.kind === "dimension") {
    const multis = [down, up].filter((d): d is Extract<PartitionsDef, { kind: "multi" }> => d.kind === "multi");
    if (multis.length === 0) return `dimension("${m.name}"), but neither side is a multiPartitions()`;
    const without = multis.find((d) => !d.names.includes(m.name));
    if (without) return `dimension("${m.name}"), but ${partitionsLabel(without)} has no dimension "${m.name}"${didYouMean(m.name, without.names)}`;
  }
  return null;
}

/** The mapping used on the edge `down` → `up` (both partitioned, or down unpartitioned). */
export function mappingOf(down: LoadedAsset, up: LoadedAsset): PartitionMapping {
  return down.mappings[up.key] ?? defaultMapping(down.partitionsDef, up.partitionsDef!);
}

/** Validate deps and cycles and build the graph. Throws DefinitionError. */
export function buildGraph(defs: Definitions): ProjectGraph {
  const assets = new Map<string, LoadedAsset>(defs.assets.map((a) => [a.key, a]));
  const errors = [...defs.errors];
  if (defs.errors.length) {
    // A file failed to load: an asset depending (by key string) on an asset it may have defined is
    // left out with its downstream, like the broken file's own assets, so the rest still loads.
    const brokenFiles = [...new Set(defs.errors.map((e) => e.file))].map((f) => relativeTo(defs.root, f)).join(", ");
    const leftOut = new Set<string>();
    for (let changed = true; changed; ) {
      changed = false;
      for (const a of [...assets.values()]) {
        const missing = a.deps.find((d) => !assets.has(d));
        if (missing === undefined) continue;
        assets.delete(a.key);
        leftOut.add(a.key);
        changed = true;
        const line = a.location ? Number(/:(\d+)$/.exec(a.location)?.[1]) || null : null;
        errors.push({
          file: a.file,
          line,
          consequence: true,
          message: `Asset "${a.key}" at ${relativeTo(defs.root, a.location ?? a.file)} is left out: it depends on "${missing}", which ${leftOut.has(missing) ? "is left out too" : "is not defined"} (asset file(s) that failed to load: ${brokenFiles})`,
        });
      }
    }
  }
  const downstream = new Map<string, string[]>();
  const upstream = new Map<string, string[]>();
  for (const a of assets.values()) {
    downstream.set(a.key, []);
    upstream.set(a.key, a.deps);
  }
  for (const a of assets.values()) {
    for (const d of a.deps) {
      if (!assets.has(d)) {
        const broken = defs.errors.length ? ` (${defs.errors.length} asset file(s) failed to load and may define it: ${defs.errors.map((e) => e.file).join(", ")})` : "";
        throw new DefinitionError(
          "DEFINITION_UNKNOWN_DEP",
          `Asset "${a.key}" at ${a.location ?? a.file} depends on unknown asset "${d}"${didYouMean(d, assets.keys())}${broken}`,
          a.location ?? a.file,
        );
      }
      downstream.get(d)!.push(a.key);
    }
  }
  for (const list of downstream.values()) list.sort();
  const order = topoOrder(assets, upstream);
  return { assets, downstream, upstream, order, errors, instigators: defs.instigators ?? [] };
}

/** Kahn's algorithm; on a cycle, throws with the cycle's path. */
function topoOrder(assets: ReadonlyMap<string, LoadedAsset>, upstream: ReadonlyMap<string, readonly string[]>): string[] {
  const state = new Map<string, 1 | 2>();
  const out: string[] = [];
  const keys = [...assets.keys()].sort();
  for (const start of keys) {
    if (state.has(start)) continue;
    // iterative DFS keeping the path, so deep chains don't blow the stack
    const stack: { key: string; i: number }[] = [{ key: start, i: 0 }];
    state.set(start, 1);
    while (stack.length) {
      const top = stack[stack.length - 1]!;
      const ups = upstream.get(top.key) ?? [];
      if (top.i < ups.length) {
        const next = ups[top.i++]!;
        const s = state.get(next);
        if (s === 1) {
          const path = stack.map((f) => f.key);
          const cycle = [...path.slice(path.indexOf(next)), next].reverse();
          const a = assets.get(next)!;
          throw new DefinitionError("DEFINITION_CYCLE", `Dependency cycle: ${cycle.join(" → ")} (at ${a.location ?? a.file}): remove one of these dependencies`, a.location ?? a.file);
        }
        if (s === undefined) {
          state.set(next, 1);
          stack.push({ key: next, i: 0 });
        }
      } else {
        state.set(top.key, 2);
        out.push(top.key);
        stack.pop();
      }
    }
  }
  return out;
}
