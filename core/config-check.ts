/** Load-time validation of `dagx.config.ts`'s default export: types, ranges and unknown keys. */
import { parseAlerts } from "./alerts/index.ts";
import { describeValue } from "./describe.ts";
import { isEnvRef } from "./env.ts";
import type { DagxConfig } from "./config.ts";
import { duckdbTableOptionsOf, duckdbTableProblem } from "./duckdb-table.ts";
import { postgresTableOptionsOf, postgresTableProblem } from "./postgres-table.ts";
import { s3ParquetOptionsOf, s3ParquetProblem } from "./s3-parquet.ts";
import { BUILTIN_IO_MANAGERS, type IOManager, ioManagerProblem, ioOptionProblem, NO_OUTPUT, parquetWriterProblem } from "./io-manager.ts";
import { didYouMean } from "./suggest.ts";
import { dbtProjectOptionsProblem } from "./dbt/project.ts";

/** Keys of DagxConfig, in the order the docs list them. */
export const CONFIG_KEYS = ["concurrency", "pools", "workers", "resources", "ioManagers", "parquetWriter", "io", "alerts", "dbt", "python", "state"] as const;

/** Keys a user may expect from other tools or older docs, with where the setting lives instead. */
const MOVED: Record<string, string> = {};

/** A problem with the config: the key it is about (null for the whole value) and what is wrong with it. */
export interface ConfigProblem {
  key: string | null;
  problem: string;
}

/** The config, or its first problem. Reads each value once (a getter that throws is reported by the caller). */
export function checkConfig(value: unknown): { config: DagxConfig } | ConfigProblem {
  if (value === undefined) return { config: {} };
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return { key: null, problem: `the default export must be an object like defineConfig({ concurrency: 4 }) (got ${describeValue(value)})` };
  }
  const raw = value as Record<string, unknown>;
  for (const key of Object.keys(raw)) {
    if ((CONFIG_KEYS as readonly string[]).includes(key)) continue;
    const fix = MOVED[key] ? `: ${MOVED[key]}` : didYouMean(key, CONFIG_KEYS) || ` — known keys: ${CONFIG_KEYS.join(", ")}`;
    return { key, problem: `unknown key "${key}"${fix}` };
  }
  const config: DagxConfig = {};
  const concurrency = raw.concurrency;
  if (concurrency !== undefined) {
    if (typeof concurrency !== "number" || !Number.isInteger(concurrency) || concurrency < 1) {
      return { key: "concurrency", problem: `concurrency must be a whole number ≥ 1, the most steps running at once (got ${describeValue(concurrency)})` };
    }
    config.concurrency = concurrency;
  }
  if (raw.pools !== undefined) {
    const problem = poolsProblem(raw.pools);
    if (problem) return { key: "pools", problem };
    config.pools = { ...(raw.pools as Record<string, number>) };
  }
  if (raw.workers !== undefined) {
    const problem = workersProblem(raw.workers);
    if (problem) return { key: "workers", problem };
    config.workers = { ...(raw.workers as DagxConfig["workers"]) };
  }
  const resources = raw.resources;
  if (resources !== undefined) {
    if (typeof resources !== "object" || resources === null || Array.isArray(resources)) {
      return { key: "resources", problem: `resources must be an object of named values, like resources: { apiUrl: "https://example.com" } (got ${describeValue(resources)})` };
    }
    config.resources = resources as Record<string, unknown>;
  }
  if (raw.ioManagers !== undefined) {
    const checked = checkIOManagers(raw.ioManagers);
    if ("problem" in checked) return { key: "ioManagers", problem: checked.problem };
    config.ioManagers = checked.managers;
  }
  const writer = parquetWriterProblem(raw.parquetWriter);
  if (writer) return { key: "parquetWriter", problem: writer };
  if (raw.parquetWriter !== undefined) config.parquetWriter = raw.parquetWriter as DagxConfig["parquetWriter"];
  if (raw.io !== undefined) {
    // the project default: what an asset's io may be, and a name of its own when given inline
    const problem = ioOptionProblem(raw.io, config.ioManagers ?? {});
    if (problem) return { key: "io", problem: `${problem.replace(/^io /, "the project default io ")} (the default IO manager of table outputs)` };
    config.io = raw.io as DagxConfig["io"];
  }
  if (raw.alerts !== undefined) {
    const alerts = parseAlerts(raw.alerts);
    if ("problem" in alerts) return { key: "alerts", problem: alerts.problem };
    config.alerts = raw.alerts as DagxConfig["alerts"];
  }
  if (raw.dbt !== undefined) {
    const problem = dbtConfigProblem(raw.dbt);
    if (problem) return { key: "dbt", problem };
    config.dbt = raw.dbt as DagxConfig["dbt"];
  }
  if (raw.python !== undefined) {
    const problem = pythonConfigProblem(raw.python);
    if (problem) return { key: "python", problem };
    config.python = raw.python as DagxConfig["python"];
  }
  if (raw.state !== undefined) {
    const problem = stateProblem(raw.state);
    if (problem) return { key: "state", problem };
    config.state = raw.state as DagxConfig["state"];
  }
  return { config };
}

/** What is wrong with `pools: { name: limit }`, or undefined. */
function poolsProblem(value: unknown): string | undefined {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return `pools must be an object of limits by pool name, like pools: { warehouse: 2 } (got ${describeValue(value)})`;
  for (const [name, limit] of Object.entries(value)) {
    if (!/^[A-Za-z0-9_-]{1,64}$/.test(name)) return `pool name ${JSON.stringify(name)} must be letters, digits, "_" or "-" (at most 64)`;
    if (typeof limit !== "number" || !Number.isInteger(limit) || limit < 1) return `pools.${name} must be a whole number ≥ 1, the most steps of the pool running at once (got ${describeValue(limit)})`;
  }
  return undefined;
}

/** What is wrong with `workers: { enqueue, queue, maxSteps }`, or undefined. */
function workersProblem(value: unknown): string | undefined {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return `workers must be an object like workers: { enqueue: true } (got ${describeValue(value)})`;
  const w = value as Record<string, unknown>;
  const keys = ["enqueue", "queue", "maxSteps"];
  for (const k of Object.keys(w)) if (!keys.includes(k)) return `unknown key "workers.${k}"${didYouMean(k, keys) || " — workers takes enqueue, queue and maxSteps"}`;
  if (w.enqueue !== undefined && typeof w.enqueue !== "boolean") return `workers.enqueue must be true or false (got ${describeValue(w.enqueue)})`;
  if (w.queue !== undefined && (typeof w.queue !== "string" || !/^[A-Za-z0-9_.-]{1,64}$/.test(w.queue))) return `workers.queue must be a queue name: letters, digits, "_", "." or "-" (got ${describeValue(w.queue)})`;
  if (w.maxSteps !== undefined && (typeof w.maxSteps !== "number" || !Number.isInteger(w.maxSteps) || w.maxSteps < 1)) return `workers.maxSteps must be a whole number ≥ 1, the most queued steps running at once across all workers (got ${describeValue(w.maxSteps)})`;
  return undefined;
}

/** What is wrong with `state:` (a postgres:// URL or an env() reference to one), or undefined. The URL itself never enters the message. */
function stateProblem(value: unknown): string | undefined {
  if (isEnvRef(value)) return undefined;
  if (typeof value === "string" && /^postgres(ql)?:\/\/[^\s]+$/i.test(value.trim())) return undefined;
  const got = typeof value === "string" ? `a string that is not a postgres:// URL` : describeValue(value);
  return `state must be a Postgres URL, like state: env("DAGX_STATE_URL") or state: "postgres://user:password@host:5432/db" (got ${got}); leave it out to keep the state in .dagx/state.duckdb`;
}

/** What is wrong with `dbt: { executable, projects }`, or undefined. */
function dbtConfigProblem(value: unknown): string | undefined {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return `dbt must be an object like dbt: { executable: "dbt", projects: [{ dir: "dbt" }] } (got ${describeValue(value)})`;
  const d = value as Record<string, unknown>;
  for (const k of Object.keys(d)) if (k !== "executable" && k !== "projects") return `unknown key "dbt.${k}"${didYouMean(k, ["executable", "projects"]) || " — dbt takes executable and projects"}`;
  const exe = d.executable;
  if (exe !== undefined) {
    const ok = (typeof exe === "string" && exe.trim() !== "") || (Array.isArray(exe) && exe.length > 0 && exe.every((x) => typeof x === "string" && x !== ""));
    if (!ok) return `dbt.executable must be a path ("dbt", "/opt/venv/bin/dbt") or a non-empty argv list (["uv", "run", "dbt"]) (got ${describeValue(exe)})`;
  }
  if (d.projects !== undefined) {
    if (!Array.isArray(d.projects)) return `dbt.projects must be a list like [{ dir: "dbt" }] (got ${describeValue(d.projects)})`;
    for (const [i, p] of d.projects.entries()) {
      const problem = dbtProjectOptionsProblem(p);
      if (problem) return `dbt.projects[${i}]: ${problem}`;
    }
  }
  return undefined;
}

/** What is wrong with `python: { executable, uv }`, or undefined. */
function pythonConfigProblem(value: unknown): string | undefined {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return `python must be an object like python: { executable: ".venv/bin/python" } (got ${describeValue(value)})`;
  const d = value as Record<string, unknown>;
  for (const k of Object.keys(d)) if (k !== "executable" && k !== "uv") return `unknown key "python.${k}"${didYouMean(k, ["executable", "uv"]) || " — python takes executable and uv"}`;
  for (const [k, example] of [["executable", '(".venv/bin/python", "python3") or a non-empty argv list (["uv", "run", "python"])'], ["uv", '("uv", "/opt/uv/bin/uv") or a non-empty argv list (["pipx", "run", "uv"])']] as const) {
    const exe = d[k];
    if (exe === undefined) continue;
    const ok = (typeof exe === "string" && exe.trim() !== "") || (Array.isArray(exe) && exe.length > 0 && exe.every((x) => typeof x === "string" && x !== ""));
    if (!ok) return `python.${k} must be a path ${example} (got ${describeValue(exe)})`;
  }
  return undefined;
}

/** A name an asset can give as `io:`, recorded in state as the output's format. */
const IO_NAME = /^[A-Za-z][A-Za-z0-9_-]*$/;

function checkIOManagers(value: unknown): { managers: Record<string, IOManager> } | { problem: string } {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return { problem: `ioManagers must be an object of IO managers by name, like ioManagers: { ndjson: defineIOManager({ … }) } (got ${describeValue(value)})` };
  }
  for (const [name, manager] of Object.entries(value)) {
    if (!IO_NAME.test(name)) return { problem: `IO manager name ${JSON.stringify(name)} must start with a letter and hold only letters, digits, "_" or "-"` };
    if ((BUILTIN_IO_MANAGERS as readonly string[]).includes(name) || name === NO_OUTPUT) return { problem: `IO manager name "${name}" is taken by dagx's built-in: choose another name` };
    const options = duckdbTableOptionsOf(manager);
    const pg = postgresTableOptionsOf(manager);
    const s3 = s3ParquetOptionsOf(manager);
    const problem = options ? duckdbTableProblem(options) : s3 ? s3ParquetProblem(s3) : pg ? postgresTableProblem(pg) : ioManagerProblem(manager);
    if (problem) return { problem: `IO manager "${name}" is invalid: ${problem}` };
  }
  return { managers: value as Record<string, IOManager> };
}
