/**
 * Python virtual environments the integration suites need (moto for S3, dbt), built once per machine
 * under `~/.cache/dagx-tests` (or `$XDG_CACHE_HOME/dagx-tests`), outside the repository.
 */
import { existsSync, mkdirSync, rmSync, statSync } from "node:fs";
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
