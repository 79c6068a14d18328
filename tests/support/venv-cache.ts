/**
 * Python virtual environments the integration suites need (moto for S3, dbt), built once per machine
 * under `~/.cache/dagx-tests` (or `$XDG_CACHE_HOME/dagx-tests`), outside the repository.
 */
import { mkdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";

/** `<cache>/dagx-tests/<name>-py<major.minor of system>`: one venv per pins and Python version. */
export function cachedVenvPath(system: string, name: string): string {
  const pyVersion = Bun.spawnSync([system, "-c", "import sys; print(f'{sys.version_info[0]}.{sys.version_info[1]}')"]).stdout.toString().trim();
  const cacheRoot = join(process.env.XDG_CACHE_HOME ?? join(homedir(), ".cache"), "dagx-tests");
  mkdirSync(cacheRoot, { recursive: true });
  return join(cacheRoot, `${name}-py${pyVersion}`);
}

/**
 * Run `build` unless `ready()`, one builder per machine: other processes wait on a lock folder beside
 * `venv` until the builder is done (a lock older than `staleMs` is from a builder that died).
 */
export async function buildOnce(venv: string, ready: () => boolean, build: () => unknown, staleMs: number): Promise<void> {
  if (ready()) return;
  const lock = `${venv}.lock`;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      if (ready()) return;
      try {
        if (Date.now() - statSync(lock).mtimeMs > staleMs) rmSync(lock, { recursive: true, force: true });
      } catch {
        // the builder just finished
      }
      await Bun.sleep(500);
    }
  }
  try {
    if (!ready()) await build();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

/** The system Python that builds the test venvs, or undefined when there is none on PATH. */
export function pythonOnPath(): string | undefined {
  return Bun.which("python3") ?? Bun.which("python") ?? undefined;
}

/**
 * Build `venv` in place with `system -m venv` and pip-install `pins` into it, then write the
 * `.dagx-complete` marker (the pins). Built in place, not renamed: pip's console scripts (bin/dbt)
 * name their venv's python in #!. A failure removes the half-built folder. `what` names it in errors.
 */
export async function buildPipVenv(system: string, venv: string, pins: readonly string[], what: string): Promise<void> {
  rmSync(venv, { recursive: true, force: true });
  const run = async (cmd: string[]) => {
    const child = Bun.spawn(cmd, { stdout: "pipe", stderr: "pipe" });
    const [out, err, code] = await Promise.all([new Response(child.stdout).text(), new Response(child.stderr).text(), child.exited]);
    if (code !== 0) {
      rmSync(venv, { recursive: true, force: true });
      throw new Error(`Cannot build the ${what} venv (${cmd.join(" ")}): ${err}${out}`);
    }
  };
  await run([system, "-m", "venv", venv]);
  const python = join(venv, process.platform === "win32" ? "Scripts/python.exe" : "bin/python");
  await run([python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", ...pins]);
  writeFileSync(join(venv, ".dagx-complete"), `${pins.join("\n")}\n`);
}
