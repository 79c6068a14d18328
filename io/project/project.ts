/** The project context every command builds first: root, storage, config, definitions, graph. */
import { existsSync, readFileSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { checkConfig } from "../../core/config-check.ts";
import type { DagxConfig } from "../../core/config.ts";
import type { LoadError } from "../../core/definitions.ts";
import type { CodeVersionAdoption } from "../../core/state-store.ts";
import { DagxError, DefinitionError } from "../../core/errors.ts";
import { buildGraph, type ProjectGraph } from "../../core/graph.ts";
import { attachLoadErrors } from "../../core/load-errors.ts";
import { callUserCode, thrownMessage, thrownValue } from "../../core/user-code.ts";
import { codeFrame, describeLoadError, importUserModule, loadDefinitions } from "./loader.ts";
import { createStorage, type Storage } from "../storage/index.ts";
import { registerDagxModule } from "./virtual-module.ts";
import { type ProjectInstigators, validateInstigators } from "../../core/instigators.ts";
import { croner } from "../daemon/index.ts";
import { createIOManagers, type IOManagers } from "../iomanagers/index.ts";
import { relativeTo, userFrame } from "../../core/location.ts";
import { assertResourceGraph, assertResourceRequests, type ResourceRequest } from "../../core/resources.ts";
import { declareSecrets, projectEnv } from "../secrets/index.ts";
import { assertAlertSelections, declareAlertSecrets } from "../alerts/index.ts";

export interface Project {
  root: string;
  storage: Storage;
  config: DagxConfig;
  graph: ProjectGraph;
  /** Schedules, sensors and automation conditions, validated. */
  instigators: ProjectInstigators;
  /** The IO managers outputs go through: built-ins, declared, inline. */
  ioManagers: IOManagers;
  loadMs: number;
  /** Every asset's code version with what code-version scheme 1 (up to state schema 6) computed for the same code (for `adoptCodeVersions`). */
  codeVersionCandidates(): CodeVersionAdoption[];
}

const CONFIG_FILE = "dagx.config.ts";

/** Nearest folder upward holding dagx.config.ts or .dagx/, else `start` — without the trust check: commands use resolveProjectRoot. */
export function findProjectRoot(start: string): string {
  return findMarkedFolder(start) ?? resolve(start);
}

function findMarkedFolder(start: string): string | null {
  let dir = resolve(start);
  for (;;) {
    if (existsSync(join(dir, CONFIG_FILE)) || existsSync(join(dir, ".dagx"))) return dir;
    const up = dirname(dir);
    if (up === dir) return null;
    dir = up;
  }
}

/**
 * The project root: `cwd` (from -C) exactly as given, or else the nearest folder upward from
 * `start` holding dagx.config.ts or .dagx/ — refused unless this user owns it and no other user
 * can write it (its config is code dagx runs) — or else `start` itself.
 */
export function resolveProjectRoot(cwd: string | undefined, start: string = process.cwd()): string {
  if (cwd !== undefined) {
    const dir = resolve(start, cwd);
    let isDir = false;
    try {
      isDir = statSync(dir).isDirectory();
    } catch {
      throw new DagxError("USAGE", `Project folder "${dir}" (from -C) does not exist: check the path, or create the project with \`dagx init ${cwd}\``);
    }
    if (!isDir) throw new DagxError("USAGE", `Project folder "${dir}" (from -C) is a file: give the folder that holds dagx.config.ts`);
    return dir;
  }
  const found = findMarkedFolder(start);
  if (found === null) return resolve(start);
  assertTrusted(found, `the project root found above "${resolve(start)}"`);
  const config = join(found, CONFIG_FILE);
  if (existsSync(config)) assertTrusted(config, "the project config");
  return found;
}

/** Throw unless `path` belongs to this user and no other user may write it. */
function assertTrusted(path: string, what: string): void {
  const uid = process.getuid?.();
  if (uid === undefined) return;
  const st = statSync(path);
  const fix = `or, if you trust it, name the project root explicitly with -C "${st.isDirectory() ? path : dirname(path)}"`;
  if (st.uid !== uid) {
    throw new DagxError("PROJECT_UNTRUSTED", `Refusing to use "${path}" (${what}): it belongs to another user (uid ${st.uid}), who could put code there that dagx would run: run dagx inside your own project, ${fix}`);
  }
  if (st.mode & 0o002) {
    const mode = (st.mode & 0o777).toString(8);
    throw new DagxError("PROJECT_UNTRUSTED", `Refusing to use "${path}" (${what}): any user may write to it (mode ${mode}), so anyone could put code there that dagx would run: run \`chmod o-w "${path}"\`, ${fix}`);
  }
}

/** Import and check dagx.config.ts (optional: no file, or a file without exports, is an empty config). */
export async function loadConfig(root: string): Promise<DagxConfig> {
  const file = join(root, CONFIG_FILE);
  if (!existsSync(file)) return {};
  registerDagxModule();
  let mod: Record<string, unknown>;
  try {
    mod = await importUserModule(root, file);
  } catch (e) {
    const le = describeLoadError(root, file, e);
    throw new DefinitionError("DEFINITION_LOAD", `${le.message}${le.frame ? `\n${le.frame}` : ""}`, file, { cause: thrownValue(e) });
  }
  const names = Object.keys(mod);
  if (names.length === 0) return {};
  const invalid = (key: string | null, problem: string, cause?: unknown) => {
    const line = lineOf(file, key);
    // no code frame for `state`: its line may hold a database password
    const frame = line && key !== "state" ? codeFrame(file, line) : undefined;
    return new DagxError("CONFIG_INVALID", `Invalid config at ${CONFIG_FILE}${line ? `:${line}` : ""}: ${problem}${frame ? `\n${frame}` : ""}`, { cause });
  };
  if (!names.includes("default")) throw invalid(null, `it has no default export (it exports ${names.map((n) => `"${n}"`).join(", ")}): write export default defineConfig({ … })`);
  let checked: ReturnType<typeof checkConfig>;
  try {
    // reading the exported value runs the user's getters
    checked = callUserCode({ root }, () => checkConfig(mod.default));
  } catch (e) {
    throw invalid(null, `reading it threw: ${thrownMessage(e)}`, thrownValue(e));
  }
  if ("config" in checked) return checked.config;
  throw invalid(checked.key, checked.problem);
}

/** Line of `key:` in the config file (or of `export default` for the whole value), for messages. */
function lineOf(file: string, key: string | null): number | null {
  let lines: string[];
  try {
    lines = readFileSync(file, "utf8").split("\n");
  } catch {
    return null;
  }
  const pattern = key === null ? /\bexport\s+default\b/ : new RegExp(`(^|[\\s{,])["']?${key.replace(/[^\w$]/g, "\\$&")}["']?\\s*:`);
  const i = lines.findIndex((l) => pattern.test(l));
  return i === -1 ? null : i + 1;
}

/** Load config, definitions and the validated graph of the project at `cwd` (-C) or found upward from it. */
export async function loadProject(cwd: string, options: { exactRoot?: boolean; now: () => number }): Promise<Project> {
  const t0 = options.now();
  const root = options.exactRoot ? resolveProjectRoot(cwd) : resolveProjectRoot(undefined, cwd);
  // .env first: the config may read process.env; then the secrets it declares are known to this process's redactor
  const env = projectEnv(root);
  const config = await loadConfig(root);
  declareSecrets([config.resources, config.ioManagers, config.io], env);
  declareAlertSecrets(config, root);
  let loadErrors: readonly LoadError[] = [];
  try {
    const defs = await loadDefinitions(root, config.ioManagers, config.dbt, config.python, config.pools);
    loadErrors = defs.errors;
    const built = buildGraph(defs);
    const instigators = validateInstigators(built, croner, root);
    const graph: ProjectGraph = instigators.leftOut.length ? { ...built, errors: [...built.errors, ...instigators.leftOut] } : built;
    const ioManagers = createIOManagers(config, graph.assets.values());
    assertAlertSelections(config, graph);
    assertResourceRequests(resourceRequests(root, graph, config, instigators), config.resources);
    assertResourceGraph(config.resources, (loc) => (loc ? relativeTo(root, loc) : null));
    const codeVersionCandidates = (): CodeVersionAdoption[] =>
      [...graph.assets].map(([assetKey, a]) => ({ assetKey, codeVersion: a.codeVersion, legacy: defs.versioner.legacy({ file: a.file, exportName: a.exportName, def: a.def }) }));
    return { root, storage: createStorage(root), config, graph, instigators, ioManagers, loadMs: options.now() - t0, codeVersionCandidates };
  } catch (e) {
    throw definitionFailure(e, root, loadErrors);
  }
}

/**
 * A failure while resolving definitions: a DagxError keeps the files' load errors to report first;
 * anything thrown from the user's own code (a getter, a Proxy) becomes a definition error at its line.
 */
function definitionFailure(e: unknown, root: string, loadErrors: readonly LoadError[]): unknown {
  if (e instanceof DagxError) {
    attachLoadErrors(e, loadErrors);
    return e;
  }
  const at = userFrame((e as Error)?.stack, root);
  if (at === null) return e;
  const where = at.replace(/:\d+$/, "");
  const failure = new DefinitionError("DEFINITION_INVALID", `Reading a definition threw at ${where}: ${(e as Error)?.message ?? String(e)}: dagx reads definitions when it loads the project; make their options plain values`, join(root, where), { cause: e });
  attachLoadErrors(failure, loadErrors);
  return failure;
}

/** What each asset, `check()` and IO manager asks for with `resources: [...]`, with its file:line. */
function resourceRequests(root: string, graph: ProjectGraph, config: DagxConfig, instigators: ProjectInstigators): ResourceRequest[] {
  const out: ResourceRequest[] = [];
  const at = (loc: string | null) => (loc ? relativeTo(root, loc) : null);
  for (const a of graph.assets.values()) {
    out.push({ what: `Asset "${a.key}"`, names: a.def.options.resources, location: at(a.location ?? a.file) });
    for (const c of a.checks) if (c.kind === "function") out.push({ what: `Check "${c.name}" of "${a.key}"`, names: c.resources, location: at(c.location) });
    if (a.io !== null && typeof a.io === "object") out.push({ what: `The IO manager of asset "${a.key}"`, names: a.io.resources, location: at(a.location ?? a.file) });
  }
  for (const s of instigators.sensors) out.push({ what: `Sensor "${s.name}"`, names: s.def.options.resources, location: at(s.location) });
  for (const [name, m] of Object.entries(config.ioManagers ?? {})) out.push({ what: `IO manager "${name}"`, names: m.resources, location: "dagx.config.ts" });
  return out;
}
