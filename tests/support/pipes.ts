/**
 * A real Python for the Pipes tests: the unmodified `dagster-pipes` client, `pyarrow` (to write
 * Parquet) and `uv` (for PEP 723 scripts) from PyPI, in a virtual environment cached outside the repository
 * (~/.cache/dagx-tests/pipes-<hash of the pins>-py<x.y>), built on first use under a lock (a few
 * seconds to a minute, once per machine) and reused afterwards.
 *
 *   const skip = pipesUnavailable();          // a message, or undefined
 *   describe.skipIf(skip !== undefined)(…, () => { const python = await pipesPython(); … });
 */
import { existsSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { buildOnce, cachedVenvPath } from "./venv-cache.ts";

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
  await buildOnce(venv, () => existsSync(marker), () => buildVenv(system, venv), 600_000);
  return join(venv, process.platform === "win32" ? "Scripts/python.exe" : "bin/python");
}

/** The venv's `uv` (runs `*.asset.py` files that carry a PEP 723 block). */
export async function pipesUv(): Promise<string> {
  const python = await pipesPython();
  return join(python, "..", process.platform === "win32" ? "uv.exe" : "uv");
}

async function buildVenv(system: string, venv: string): Promise<void> {
  rmSync(venv, { recursive: true, force: true });
  const run = async (cmd: string[]) => {
    const child = Bun.spawn(cmd, { stdout: "pipe", stderr: "pipe" });
    const [out, err, code] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text(), child.exited]);
    if (code !== 0) {
      rmSync(venv, { recursive: true, force: true });
      throw new Error(`Cannot build the Pipes venv (${cmd.join(" ")}): ${err}${out}`);
    }
  };
  await run([system, "-m", "venv", venv]);
  const python = join(venv, process.platform === "win32" ? "Scripts/python.exe" : "bin/python");
  await run([python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", ...PIPES_PINS]);
  writeFileSync(join(venv, ".dagx-complete"), `${PIPES_PINS.join("\n")}\n`);
}

function pythonOnPath(): string | undefined {
  return Bun.which("python3") ?? Bun.which("python") ?? undefined;
}
