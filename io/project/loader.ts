/**
 * Loads a project's definitions: discover `*.asset.ts`, import each (errors are kept per file so
 * the other files' assets still list), resolve keys and code versions, build the graph.
 */
import { readFileSync } from "node:fs";
import { join, relative, sep } from "node:path";
import { isMultiAssetDef, type MultiAssetDef, multiOutOf } from "../../core/multi-asset.ts";
import { refKey } from "../../core/ref.ts";
import { type DbtProjectDef, type DbtProjectOptions, isDbtProjectDef } from "../../core/dbt/project.ts";
import type { DbtConfig, PythonConfig } from "../../core/config.ts";
import { dbtSourceAssets, dbtSteps, type LoadedDbtProject, loadDbtProject } from "../dbt/assets.ts";
import { isAssetDef, type AnyAssetDef } from "../../core/asset.ts";
import type { Definitions, LoadError, RawInstigator } from "../../core/definitions.ts";
import { isScheduleDef, isSensorDef } from "../../core/automation/index.ts";
import { isCheckDef } from "../../core/checks/define.ts";
import type { IOManager } from "../../core/io-manager.ts";
import { stackFrames } from "../../core/location.ts";
import { callUserCode, thrownValue } from "../../core/user-code.ts";
import type { RawCheckExport } from "../../core/checks/types.ts";
import { type RawExport, resolveDefinitions } from "../../core/graph.ts";
import { type CodeVersioner, createCodeVersioner } from "./code-version.ts";
import { discoverProjectFiles } from "./discover.ts";
import { pyAssets } from "../pipes/index.ts";
import { registerDagxModule } from "./virtual-module.ts";
import { dbtTableNames, parseSqlAssetFiles, sqlAssetExports } from "./sql-asset.ts";

/**
 * Import the project's asset files; `ioManagers` are those the config declares (what `io:` may
 * name); `dbt` is the config's dbt entry (its executable, and projects declared there); `python`
 * the config's python entry (what runs `*.asset.py` files).
 */
export async function loadDefinitions(root: string, ioManagers: Readonly<Record<string, IOManager>> = {}, dbt?: DbtConfig, python?: PythonConfig, pools: Readonly<Record<string, number>> = {}): Promise<Definitions & { versioner: CodeVersioner }> {
  registerDagxModule();
  const { ts: files, sql: sqlFiles, py: pyFiles } = discoverProjectFiles(root);
  const raw: RawExport[] = [];
  const instigators: RawInstigator[] = [];
  const checks: RawCheckExport[] = [];
  const errors: LoadError[] = [];
  const versioner = createCodeVersioner(root);
  const multiSteps = new Set<MultiAssetDef<Record<string, RawExport["def"]>>>();
  const dbtProjects: { file: string; name: string; options: DbtProjectOptions }[] = [];
  for (const file of files) {
    let mod: Record<string, unknown>;
    versioner.prime(file);
    try {
      mod = await importUserModule(root, file);
    } catch (e) {
      errors.push(describeLoadError(root, file, e));
      continue;
    }
    for (const exportName of Object.keys(mod)) {
      const name = exportName === "default" ? fileStem(file) : exportName;
      let value = definitionOf(mod, exportName);
      if (value === null && isDbtProjectDef(mod[exportName])) {
        // a dbt project: split into steps once every asset is known (dbtStepsOf below)
        dbtProjects.push({ file, name, options: (mod[exportName] as DbtProjectDef).options });
        continue;
      }
      if (value === null) continue;
      // a multi-asset registers all its outs once, whether the step, some outs (`export const { a } = shop.outs`) or both are exported
      const step = value.kind === "multi" ? value.def : value.kind === "asset" ? (multiOutOf(value.def)?.step ?? null) : null;
      if (step !== null) {
        if (!multiSteps.has(step)) for (const [out, def] of Object.entries(step.outs)) raw.push({ file, exportName: value.kind === "multi" ? `${name}.outs.${out}` : `${name} (out "${out}")`, def });
        multiSteps.add(step);
      } else if (value.kind === "asset") raw.push({ file, exportName: name, def: value.def });
      else if (value.kind === "check") checks.push({ file, exportName: name, def: value.def });
      else if (value.kind !== "multi") instigators.push({ file, exportName: name, def: value.def, kind: value.kind });
    }
  }
  const configFile = join(root, "dagx.config.ts");
  for (const [i, options] of (dbt?.projects ?? []).entries()) dbtProjects.push({ file: configFile, name: `dbt.projects[${i}]`, options });
  const py = pyFiles.length > 0 ? pyAssets(root, pyFiles, errors, python) : null;
  if (py) raw.push(...py.exports);
  const sql = sqlFiles.length > 0 ? await parseSqlAssetFiles(root, sqlFiles) : { parsed: [], errors: [] };
  errors.push(...sql.errors);
  if (dbtProjects.length > 0) raw.push(...(await dbtStepsOf(root, dbtProjects, dbt, raw, sql.parsed, errors)));
  if (sql.parsed.length > 0) {
    const byKey = new Map<string, RawExport["def"]>();
    for (const r of raw) if (typeof (r.def.options.key ?? r.exportName) === "string") byKey.set((r.def.options.key ?? r.exportName) as string, r.def);
    raw.push(...sqlAssetExports(root, sql.parsed, byKey, errors));
  }
  // *.asset.py: Pipes assets defined by their header (io/pipes/py-asset.ts); inputs once every key is known
  if (py) for (const drop of py.resolveInputs(raw)) raw.splice(raw.findIndex((r) => r.def === drop), 1);
  return { ...resolveDefinitions(root, raw, errors, versioner, files.length + sqlFiles.length + pyFiles.length, checks, ioManagers, pools), instigators, versioner };
}

/**
 * The steps of the dbt projects (exported with `dbtProject()` or declared in the config), made once
 * every TS and SQL asset is known: a dagx asset between two dbt nodes splits the project into
 * several `dbt build` steps (io/dbt/assets.ts). A project that fails to load is a load error of
 * the file that declares it; the other assets still load.
 */
async function dbtStepsOf(
  root: string,
  projects: readonly { file: string; name: string; options: DbtProjectOptions }[],
  config: DbtConfig | undefined,
  raw: readonly RawExport[],
  sql: Awaited<ReturnType<typeof parseSqlAssetFiles>>["parsed"],
  errors: LoadError[],
): Promise<RawExport[]> {
  const loaded: { file: string; name: string; project: LoadedDbtProject }[] = [];
  for (const p of projects) {
    try {
      loaded.push({ ...p, project: await loadDbtProject(root, p.options, config) });
    } catch (e) {
      errors.push(describeLoadError(root, p.file, e));
    }
  }
  // upstream keys of every asset that is not a node of the project being split
  const upstream = new Map<string, readonly string[]>();
  const keyOfDef = new Map<AnyAssetDef, string>();
  for (const r of raw) if (typeof (r.def.options.key ?? r.exportName) === "string") keyOfDef.set(r.def, (r.def.options.key ?? r.exportName) as string);
  const keyOf = (d: unknown): string | undefined => (typeof d === "string" ? d : isAssetDef(d) ? (keyOfDef.get(d) ?? refKey(d) ?? undefined) : undefined);
  for (const r of raw) {
    const key = keyOfDef.get(r.def);
    if (key === undefined) continue;
    const ups = [...Object.values(r.def.options.ins ?? {}), ...(r.def.options.deps ?? [])].map(keyOf).filter((k): k is string => k !== undefined);
    upstream.set(key, ups);
  }
  for (const l of loaded) for (const a of l.project.definitions.assets) upstream.set(a.key, a.deps);
  const lower = new Map<string, string>();
  for (const k of [...upstream.keys(), ...sql.map((p) => p.key)]) lower.set(k.toLowerCase(), k);
  // a SQL asset may name a dbt model by its table (io/project/sql-asset.ts dbtTableNames)
  const dbtTables = dbtTableNames(loaded.flatMap((l) => l.project.definitions.assets.map((a) => [a.key, a.relation] as const)));
  for (const p of sql) upstream.set(p.key, p.refs.tables.map((t) => lower.get(t.key.toLowerCase()) ?? dbtTables.get(t.key.toLowerCase()) ?? t.key));
  const out: RawExport[] = [];
  const externalKeys = new Set<string>();
  for (const l of loaded) {
    const own = new Set(l.project.definitions.assets.map((a) => a.key));
    try {
      // sources tied to no dagx asset are external assets, upstream of the models that read them
      const sources = dbtSourceAssets(l.project, (k) => upstream.has(k) || lower.has(k.toLowerCase()) || externalKeys.has(k));
      for (const def of sources) {
        externalKeys.add(def.options.key as string);
        out.push({ file: l.file, exportName: `${l.name}.sources.${def.options.key as string}`, def: def as RawExport["def"] });
      }
      for (const step of dbtSteps(l.project, (k) => (own.has(k) ? undefined : upstream.get(k)), externalKeys)) {
        for (const [o, def] of Object.entries(step.outs)) out.push({ file: l.file, exportName: `${l.name}.outs.${o}`, def: def as RawExport["def"] });
      }
    } catch (e) {
      errors.push(describeLoadError(root, l.file, e));
    }
  }
  return out;
}

type Definition =
  | { kind: "asset"; def: RawExport["def"] }
  | { kind: "multi"; def: MultiAssetDef<Record<string, RawExport["def"]>> }
  | { kind: "check"; def: RawCheckExport["def"] }
  | { kind: "schedule" | "sensor"; def: unknown };

/**
 * What dagx defines among a module's exports, or null for anything else. An export that throws
 * when read (a Proxy, a getter) cannot be one of dagx's plain definition objects: it is skipped.
 */
function definitionOf(mod: Record<string, unknown>, name: string): Definition | null {
  try {
    const value = mod[name];
    if (refKey(value) !== null) return null;
    if (isAssetDef(value)) return { kind: "asset", def: value };
    if (isMultiAssetDef(value)) return { kind: "multi", def: value };
    if (isScheduleDef(value)) return { kind: "schedule", def: value };
    if (isSensorDef(value)) return { kind: "sensor", def: value };
    if (isCheckDef(value)) return { kind: "check", def: value };
  } catch {
    // not a definition
  }
  return null;
}

function fileStem(file: string): string {
  return file.slice(file.lastIndexOf("/") + 1).replace(/\.asset\.ts$/, "");
}

/** Import a file of the user's (an asset file, the config): its top level is user code, run through the boundary. */
export async function importUserModule(root: string, file: string): Promise<Record<string, unknown>> {
  return (await callUserCode({ root }, () => import(file))) as Record<string, unknown>;
}

/**
 * Make the next load import the project's code afresh (a long-lived process that reloads
 * definitions: `dagx ui`): every module under `root` outside `node_modules` — asset files, the
 * config, helper modules — leaves Bun's module registry, so asset files that import each other get
 * one consistent set of new modules (a per-file cache-busting specifier would import the new file
 * but keep the old module it imports, whose assets the graph then does not know). Modules of dagx
 * and of packages stay loaded.
 */
export function freshAssetImports(root: string): void {
  const prefix = root.endsWith(sep) ? root : root + sep;
  for (const id of Object.keys(require.cache)) {
    if (id.startsWith(prefix) && !id.slice(prefix.length).split(/[\\/]/).includes("node_modules")) delete require.cache[id];
  }
}

/**
 * file:line and a code frame for an import failure (syntax error or a throw at module top level).
 * A build error has its position; a throw is located by its first frame outside dagx.
 */
export function describeLoadError(root: string, file: string, e: unknown): LoadError {
  type Err = { name?: string; message?: string; position?: { file?: string; line?: number; column?: number } | null; stack?: string; errors?: unknown[] };
  let err = thrownValue(e) as Err;
  // Bun reports several syntax errors of one file as an AggregateError ("3 errors building …")
  // of BuildMessages: point at the first one, which has the position
  const inner = Array.isArray(err?.errors) ? (err.errors as Err[]).find((x) => x?.position?.line) : undefined;
  if (inner) err = { name: inner.name, position: inner.position, message: `${inner.message}${err.errors!.length > 1 ? ` (and ${err.errors!.length - 1} more error(s))` : ""}` };
  let line: number | null = null;
  let at = file;
  if (err?.position?.line) {
    line = err.position.line;
    at = err.position.file ?? file;
  } else if (typeof err?.stack === "string") {
    // the first frame in user code: a DefinitionError thrown by dagx's own API (staticPartitions(),
    // daily() …) at module top level must point at the user's call, not at dagx's source
    const frame = stackFrames(err.stack).find((f) => f.file.startsWith("/") && !isDagxSource(f.file));
    if (frame) {
      at = frame.file;
      line = frame.line;
    }
  }
  // the header names the user's file, never a file of dagx itself
  if (isDagxSource(at)) {
    at = file;
    line = null;
  }
  const kind = err?.name === "BuildMessage" || err?.name === "ResolveMessage" ? "syntax error" : "error";
  const importer = at !== file ? ` (imported by ${relative(root, file) || file})` : "";
  const message = `${kind === "syntax error" ? "Syntax error" : "Error"} in ${relative(root, at) || at}${line ? `:${line}` : ""}${importer}: ${err?.message ?? String(err)}`;
  return { file: at, line, message, frame: line ? codeFrame(at, line) : undefined, stack: typeof err?.stack === "string" ? err.stack : undefined };
}

const DAGX_DIRS = ["core", "io", "cli"].map((d) => join(import.meta.dir, "../..", d) + sep);

/** A file of dagx itself (from source, or inside the compiled binary). */
function isDagxSource(path: string): boolean {
  return path.startsWith("/$bunfs/") || DAGX_DIRS.some((d) => path.startsWith(d));
}

/** Two lines either side of `line`, numbered, with a marker. */
export function codeFrame(file: string, line: number): string | undefined {
  try {
    const lines = readFileSync(file, "utf8").split("\n");
    const from = Math.max(1, line - 2);
    const to = Math.min(lines.length, line + 2);
    const width = String(to).length;
    const out: string[] = [];
    for (let i = from; i <= to; i++) out.push(`${i === line ? ">" : " "} ${String(i).padStart(width)} | ${lines[i - 1]}`);
    return out.join("\n");
  } catch {
    return undefined;
  }
}
