/**
 * A real Python for the Pipes tests: the unmodified `dagster-pipes` client, `pyarrow` (to write
 * Parquet) and `uv` (for PEP 723 scripts) from PyPI, in a virtual environment cached outside the repository
 * (~/.cache/dagx-tests/pipes-<hash of the pins>-py<x.y>), built on first use under a lock (a few
 * seconds to a minute, once per machine) and reused afterwards.
 *
 *   const skip = pipesUnavailable();          // a message, or undefined
 *   describe.skipIf(skip !== undefined)(…, () => { const python = await pipesPython(); … });
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { buildOnce, buildPipVenv, cachedVenvPath, pythonOnPath } from "./venv-cache.ts";

/** What pip installs into the venv (the venv folder is named after a hash of this list). */
export const PIPES_PINS: readonly string[] = ["dagster-pipes==1.13.28", "pyarrow==22.0.0", "uv==0.13.8"];

/** Why the Pipes tests cannot run here (for `describe.skipIf`), or undefined when they can. */
export function pipesUnavailable(): string | undefined {
  return pythonOnPath() ? undefined : "no python3 on PATH: install Python 3 (with its venv module) to run the Pipes tests";
}

/** The venv's python; builds the venv on first use (one builder per machine, the others wait). */
export async function pipesPython(): Promise<string> {
  const system = pythonOnPath();
  if (!system) throw new Error(`Cannot run Pipes scripts: ${pipesUnavailable()}`);
  const pinsHash = new Bun.CryptoHasher("sha256").update(PIPES_PINS.join("\n")).digest("hex").slice(0, 12);
  const venv = cachedVenvPath(system, `pipes-${pinsHash}`);
  const marker = join(venv, ".dagx-complete"); // written once pip has installed everything
  await buildOnce(venv, () => existsSync(marker), () => buildPipVenv(system, venv, PIPES_PINS, "Pipes"), 600_000);
  return join(venv, process.platform === "win32" ? "Scripts/python.exe" : "bin/python");
}

/** The venv's `uv` (runs `*.asset.py` files that carry a PEP 723 block). */
export async function pipesUv(): Promise<string> {
  const python = await pipesPython();
  return join(python, "..", process.platform === "win32" ? "uv.exe" : "uv");
}
