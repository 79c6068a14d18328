/**
 * dbt through its CLI: `dbt parse` (cached by a hash of the project's files) → dagx definitions,
 * and `dbt build --select …` streaming its JSON log into per-node results, then `run_results.json`.
 *
 * dbt always runs with `DBT_SEND_ANONYMOUS_USAGE_STATS=false` and a private `--target-path`
 * under `<project>/.dagx/dbt/<dbt project name hash>/`, so dagx never touches the dbt project's
 * own `target/`. See docs/dbt.md.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { DagxError } from "../../core/errors.ts";
import { type DbtDefinitions, type DbtManifest, definitionsFromManifest } from "../../core/dbt/manifest.ts";
import { type DbtNodeResult, parseDbtLogLine } from "../../core/dbt/log.ts";
import { dbtInterpreter, runInWorker, workerUsable } from "./_worker.ts";

export type { DbtAssetSpec, DbtCheckSpec, DbtDefinitions, DbtSourceSpec } from "../../core/dbt/manifest.ts";
export type { DbtNodeResult } from "../../core/dbt/log.ts";

/** Where and how to run dbt for one project. */
export interface DbtInvocation {
  /** The dbt project folder (holds dbt_project.yml). */
  readonly dir: string;
  /** `--profiles-dir`; default: `dir` when it holds profiles.yml, else dbt's own default (~/.dbt). */
  readonly profilesDir?: string;
  /** `--target`. */
  readonly target?: string;
  /** The dbt command, a path or an argv (`["uv", "run", "dbt"]`); default `dbt` on PATH (`dbt: { executable }` in dagx.config.ts). */
  readonly executable?: string | readonly string[];
  /** The folder dagx keeps dbt's target paths in (normally `<project>/.dagx/dbt`). */
  readonly workDir: string;
  /** Extra environment for dbt (e.g. where a dagx asset's Parquet is). */
  readonly env?: Readonly<Record<string, string>>;
}

/** What `dbt parse` produced, and whether it came from the cache. */
export interface ParsedDbtProject {
  readonly definitions: DbtDefinitions;
  readonly manifestPath: string;
  readonly cached: boolean;
}

/** Error of a dbt call: what failed, dbt's own words, how to fix. */
export class DbtError extends DagxError {
  constructor(message: string) {
    super("DEFINITION_LOAD", message); // a dbt project that cannot be parsed or run is a definitions problem (exit 2)
    this.name = "DbtError";
  }
}

/**
 * `dbt parse` → definitions. Cached: the manifest is reused while the hash of the project's files
 * (models, seeds, snapshots, macros, tests, *.yml, dbt_project.yml, profiles.yml) and of the
 * invocation (target, executable) is unchanged.
 */
export async function parseDbtProject(inv: DbtInvocation): Promise<ParsedDbtProject> {
  const dir = resolve(inv.dir);
  if (!existsSync(join(dir, "dbt_project.yml"))) {
    throw new DbtError(`Cannot load the dbt project at ${dir}: there is no dbt_project.yml — point dbtProject({ dir }) at the folder that holds it`);
  }
  const hash = projectHash(dir, inv);
  const target = targetPath(inv);
  const manifestPath = join(target, "manifest.json");
  const stamp = join(target, "dagx-parse.hash");
  let cached = false;
  if (existsSync(manifestPath) && existsSync(stamp) && readFileSync(stamp, "utf8") === hash) {
    cached = true;
  } else {
    const r = await runDbt(inv, ["parse"], undefined);
    if (r.exitCode !== 0 || !existsSync(manifestPath)) {
      throw new DbtError(`dbt parse failed for ${dir} (exit ${r.exitCode}): ${lastErrors(r.output)} — fix the dbt project (run \`dbt parse\` there to see the whole message)`);
    }
    writeFileSync(stamp, hash);
  }
  const manifest = JSON.parse(readFileSync(manifestPath, "utf8")) as DbtManifest;
  return { definitions: definitionsFromManifest(manifest, relative(process.cwd(), manifestPath) || manifestPath), manifestPath, cached };
}

/**
 * The unique ids of the models, seeds and snapshots a dbt selection names (`dbt ls --select …
 * --exclude … --resource-type model seed snapshot`), cached like `dbt parse`: dbt runs again only
 * when the project's files, the options or the selection change. An invalid selector is a DbtError
 * with dbt's own message.
 */
export async function listDbtNodes(inv: DbtInvocation, selection: { readonly select?: string; readonly exclude?: string }): Promise<Set<string>> {
  const dir = resolve(inv.dir);
  const hash = new Bun.CryptoHasher("sha256")
    .update(projectHash(dir, inv))
    .update(`\0${selection.select ?? ""}\0${selection.exclude ?? ""}`)
    .digest("hex");
  const cache = join(targetPath(inv), `dagx-ls-${hash.slice(0, 16)}.json`);
  if (existsSync(cache)) {
    try {
      return new Set(JSON.parse(readFileSync(cache, "utf8")) as string[]);
    } catch {
      // a torn cache file: list again
    }
  }
  const args = ["ls", "--resource-type", "model", "seed", "snapshot", "--output", "json", "--output-keys", "unique_id"];
  if (selection.select) args.push("--select", ...selection.select.trim().split(/\s+/));
  if (selection.exclude) args.push("--exclude", ...selection.exclude.trim().split(/\s+/));
  const r = await runDbt(inv, args, undefined);
  const ids: string[] = [];
  let failed = r.exitCode !== 0;
  for (const line of r.output) {
    try {
      const e = JSON.parse(line) as { info?: { name?: string; level?: string; msg?: string } };
      if (e.info?.level === "error") failed = true;
      if (e.info?.name !== "PrintEvent" || !e.info.msg) continue;
      const node = JSON.parse(e.info.msg) as { unique_id?: unknown };
      if (typeof node.unique_id === "string") ids.push(node.unique_id);
    } catch {
      // not a node line
    }
  }
  if (failed) {
    const what = [selection.select ? `select "${selection.select}"` : "", selection.exclude ? `exclude "${selection.exclude}"` : ""].filter(Boolean).join(", ");
    throw new DbtError(`dbt could not resolve the selection (${what}) of the dbt project ${dir}: ${lastErrors(r.output)} — write it in dbt's selection syntax (e.g. "tag:nightly +customer_revenue"; \`dbt ls --select …\` there shows what it picks)`);
  }
  writeFileSync(cache, JSON.stringify(ids.sort()));
  return new Set(ids);
}

/** One node's line in `run_results.json`. */
export interface DbtRunResult {
  readonly uniqueId: string;
  readonly status: string;
  readonly message?: string;
  readonly executionTime?: number;
  readonly failures?: number;
}

/** The outcome of one `dbt build`. */
export interface DbtBuildOutcome {
  readonly exitCode: number;
  /** Per node, from run_results.json (empty when dbt stopped before writing it). */
  readonly results: readonly DbtRunResult[];
  /** The last lines dbt wrote at error level (for a failure's message). */
  readonly errors: string;
}

/** Options of one build. */
export interface DbtBuildOptions {
  /** `--select` arguments (the nodes' selectors). */
  readonly select: readonly string[];
  /** `--vars` (e.g. dagx_partition_key). */
  readonly vars?: Readonly<Record<string, string>>;
  /** Called as each node finishes, while dbt still runs. */
  readonly onResult?: (result: DbtNodeResult) => void;
  /** Stops dbt (SIGTERM) when aborted. */
  readonly signal?: AbortSignal;
}

/** Runs `dbt build --select …` and reads its run_results.json. Never throws for a failed node: see `results`. */
export async function buildDbt(inv: DbtInvocation, options: DbtBuildOptions): Promise<DbtBuildOutcome> {
  if (options.select.length === 0) return { exitCode: 0, results: [], errors: "" };
  // one build at a time per dbt project and target: they share the target path (run_results.json)
  // and, with dbt-duckdb, a database file that one process holds read-write during a build
  const lockKey = targetPath(inv);
  const before = buildLocks.get(lockKey) ?? Promise.resolve();
  let release!: () => void;
  const mine = new Promise<void>((r) => (release = r));
  const tail = before.then(() => mine);
  buildLocks.set(lockKey, tail);
  await before;
  try {
    if (options.signal?.aborted) return { exitCode: 1, results: [], errors: "cancelled before dbt started" };
    return await buildDbtNow(inv, options);
  } finally {
    release();
    if (buildLocks.get(lockKey) === tail) buildLocks.delete(lockKey);
  }
}

const buildLocks = new Map<string, Promise<void>>();

async function buildDbtNow(inv: DbtInvocation, options: DbtBuildOptions): Promise<DbtBuildOutcome> {
  const args = ["build", "--select", ...options.select];
  if (options.vars && Object.keys(options.vars).length > 0) args.push("--vars", JSON.stringify(options.vars));
  const resultsPath = join(targetPath(inv), "run_results.json");
  const before = existsSync(resultsPath) ? statSync(resultsPath).mtimeMs : -1;
  const r = await runDbt(inv, args, options.onResult, options.signal);
  let results: DbtRunResult[] = [];
  if (existsSync(resultsPath) && statSync(resultsPath).mtimeMs !== before) {
    const raw = JSON.parse(readFileSync(resultsPath, "utf8")) as {
      results?: { unique_id: string; status: string; message?: string | null; execution_time?: number; failures?: number | null }[];
    };
    results = (raw.results ?? []).map((x) => ({
      uniqueId: x.unique_id,
      status: String(x.status).toLowerCase(),
      ...(x.message ? { message: x.message } : {}),
      ...(typeof x.execution_time === "number" ? { executionTime: x.execution_time } : {}),
      ...(typeof x.failures === "number" ? { failures: x.failures } : {}),
    }));
  }
  return { exitCode: r.exitCode, results, errors: lastErrors(r.output) };
}

/**
 * dagx's private `--target-path` of a dbt project and target: `<workDir>/<12 hex of dir + target>`
 * (manifest.json, run_results.json, compiled SQL). The UI reads compiled SQL from it.
 */
export function dbtTargetPath(dir: string, target: string | undefined, workDir: string): string {
  const key = new Bun.CryptoHasher("sha256").update(resolve(dir)).update("\0").update(target ?? "").digest("hex").slice(0, 12);
  return join(workDir, key);
}

function targetPath(inv: DbtInvocation): string {
  const path = dbtTargetPath(inv.dir, inv.target, inv.workDir);
  mkdirSync(path, { recursive: true });
  return path;
}

function profilesDir(inv: DbtInvocation): string | undefined {
  if (inv.profilesDir) return resolve(inv.profilesDir);
  return existsSync(join(inv.dir, "profiles.yml")) ? resolve(inv.dir) : undefined;
}

async function runDbt(
  inv: DbtInvocation,
  args: string[],
  onResult: ((r: DbtNodeResult) => void) | undefined,
  signal?: AbortSignal,
): Promise<{ exitCode: number; output: string[] }> {
  const argv = typeof inv.executable === "string" ? [inv.executable] : inv.executable && inv.executable.length > 0 ? [...inv.executable] : ["dbt"];
  const exe = argv.join(" ");
  const dbtArgs = [...args, "--log-format", "json", "--target-path", targetPath(inv)];
  const profiles = profilesDir(inv);
  if (profiles) dbtArgs.push("--profiles-dir", profiles);
  if (inv.target) dbtArgs.push("--target", inv.target);
  const env: Record<string, string | undefined> = { ...process.env, ...inv.env, DBT_SEND_ANONYMOUS_USAGE_STATS: "false", DBT_VERSION_CHECK: "false" };
  const output: string[] = [];
  const handle = (line: string) => {
    if (line.trim() === "") return;
    output.push(line);
    if (output.length > 400) output.shift();
    const result = parseDbtLogLine(line);
    if (result && onResult) onResult(result);
  };
  // a Python dbt: one long-lived worker runs the commands (io/dbt/_worker.ts); else `dbt` per command
  const python = dbtInterpreter(argv, env.PATH);
  if (workerUsable(python)) {
    const r = await runInWorker(python, dbtArgs, resolve(inv.dir), env, handle, signal);
    if (r) return { exitCode: r.exitCode, output };
  }
  const full = [...argv, ...dbtArgs];
  let child: ReturnType<typeof Bun.spawn>;
  try {
    child = Bun.spawn(full, {
      cwd: resolve(inv.dir),
      stdout: "pipe",
      stderr: "pipe",
      env,
    });
  } catch (error) {
    throw new DbtError(
      `Cannot start dbt (${exe}): ${(error as Error).message} — install dbt-core and an adapter, or set dbt: { executable } in dagx.config.ts`,
    );
  }
  const onAbort = () => child.kill("SIGTERM");
  signal?.addEventListener("abort", onAbort, { once: true });
  const readLines = async (stream: ReadableStream<Uint8Array>) => {
    const decoder = new TextDecoder();
    let pending = "";
    for await (const chunk of stream) {
      pending += decoder.decode(chunk, { stream: true });
      let nl = pending.indexOf("\n");
      while (nl >= 0) {
        const line = pending.slice(0, nl);
        pending = pending.slice(nl + 1);
        handle(line);
        nl = pending.indexOf("\n");
      }
    }
    if (pending) handle(pending);
  };
  await Promise.all([readLines(child.stdout as ReadableStream<Uint8Array>), readLines(child.stderr as ReadableStream<Uint8Array>)]);
  const exitCode = await child.exited;
  signal?.removeEventListener("abort", onAbort);
  return { exitCode, output };
}

/** dbt's error-level messages among the last lines (plain text lines kept as they are). */
function lastErrors(lines: readonly string[]): string {
  const out: string[] = [];
  for (const line of lines) {
    try {
      const e = JSON.parse(line) as { info?: { level?: string; msg?: string } };
      if (e.info?.level === "error" && e.info.msg) out.push(e.info.msg.replace(/\u001b\[[0-9;]*m/g, ""));
    } catch {
      out.push(line);
    }
  }
  return out.slice(-8).join("\n").trim() || "(dbt printed no error)";
}

const HASHED_EXT = /\.(sql|yml|yaml|csv|py|md|jinja)$/;

/** A hash of the files dbt parses (paths and contents), skipping target/, dbt_packages/, logs/ and dot folders. */
function projectHash(dir: string, inv: DbtInvocation): string {
  const h = new Bun.CryptoHasher("sha256");
  h.update(`${JSON.stringify(inv.executable ?? "dbt")}\0${inv.target ?? ""}\0${inv.profilesDir ?? ""}\0`);
  const walk = (folder: string) => {
    for (const entry of readdirSync(folder, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      if (entry.name.startsWith(".") || entry.name === "target" || entry.name === "logs" || entry.name === "dbt_packages") continue;
      const path = join(folder, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (HASHED_EXT.test(entry.name)) h.update(`${relative(dir, path)}\0`).update(readFileSync(path)).update("\0");
    }
  };
  walk(dir);
  const profiles = profilesDir(inv);
  if (profiles && profiles !== dir && existsSync(join(profiles, "profiles.yml"))) h.update(readFileSync(join(profiles, "profiles.yml")));
  return h.digest("hex");
}
