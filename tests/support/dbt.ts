/**
 * A real dbt for the tests: `dbt-core` and `dbt-duckdb` from PyPI in a virtual environment cached
 * outside the repository (~/.cache/dagx-tests/dbt-<hash of the pins>-py<x.y>), built on first use
 * under a lock (~40 s, once per machine) and reused afterwards.
 *
 *   const skip = dbtUnavailable();            // a message, or undefined
 *   describe.skipIf(skip !== undefined)(…, () => { const dbt = await dbtExecutable(); … });
 *
 * Pins that matter here (docs/dbt.md): `dbt-core<1.12` (1.12's parser package downloads at build
 * time and cannot install offline) and Python `duckdb` at dagx's own DuckDB version — a newer one
 * writes a database file format dagx's DuckDB cannot open.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { buildOnce, buildPipVenv, cachedVenvPath, pythonOnPath } from "./venv-cache.ts";

/** What pip installs into the venv (the venv folder is named after a hash of this list). */
export const DBT_PINS: readonly string[] = ["dbt-core==1.11.16", "dbt-duckdb==1.11.1", "duckdb==1.5.5"];

/** Environment every test dbt call runs with: no usage statistics, no version check, no .pyc files. */
export const DBT_ENV: Readonly<Record<string, string>> = {
  DBT_SEND_ANONYMOUS_USAGE_STATS: "false",
  DBT_VERSION_CHECK: "false",
  PYTHONDONTWRITEBYTECODE: "1",
};

/** Why dbt cannot run here (for `describe.skipIf`), or undefined when it can. */
export function dbtUnavailable(): string | undefined {
  return pythonOnPath() ? undefined : "no python3 on PATH: install Python 3 (with its venv module) to run the dbt tests";
}

/** The venv's `dbt` executable; builds the venv on first use (one builder per machine, the others wait). */
export async function dbtExecutable(): Promise<string> {
  const venv = await dbtVenv();
  return join(venv, process.platform === "win32" ? "Scripts/dbt.exe" : "bin/dbt");
}

/** The venv's python (to read a DuckDB file the way dbt-duckdb does, e.g. in a failing test's message). */
export async function dbtPython(): Promise<string> {
  return join(await dbtVenv(), process.platform === "win32" ? "Scripts/python.exe" : "bin/python");
}

/** Runs the venv's dbt with `args` in `cwd`; resolves with its exit code and output. */
export async function runDbt(
  cwd: string,
  args: readonly string[],
  env: Record<string, string> = {},
): Promise<{ exitCode: number; stdout: string; stderr: string }> {
  const dbt = await dbtExecutable();
  const child = Bun.spawn([dbt, ...args], { cwd, stdout: "pipe", stderr: "pipe", env: { ...process.env, ...DBT_ENV, ...env } });
  const [stdout, stderr, exitCode] = await Promise.all([
    new Response(child.stdout).text(),
    new Response(child.stderr).text(),
    child.exited,
  ]);
  return { exitCode, stdout, stderr };
}

async function dbtVenv(): Promise<string> {
  const system = pythonOnPath();
  if (!system) throw new Error(`Cannot run dbt: ${dbtUnavailable()}`);
  const pinsHash = new Bun.CryptoHasher("sha256").update(DBT_PINS.join("\n")).digest("hex").slice(0, 12);
  const venv = cachedVenvPath(system, `dbt-${pinsHash}`);
  const marker = join(venv, ".dagx-complete"); // written once pip has installed everything
  await buildOnce(venv, () => existsSync(marker), () => buildPipVenv(system, venv, DBT_PINS, "dbt"), 900_000);
  return venv;
}
