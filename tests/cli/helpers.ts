/** Temp projects and a way to run the real CLI (source or compiled binary) against them. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";

export const REPO = join(import.meta.dir, "../..");
export const BUN = join(REPO, "node_modules/.bin/bun");
export const CLI = join(REPO, "cli/main.ts");

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
  json<T = unknown>(): T;
}

/** Make a temp project from a map of relative path → content. */
export function makeProject(files: Record<string, string>, prefix = "dagx-test-"): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  for (const [rel, text] of Object.entries(files)) writeFile(dir, rel, text);
  return dir;
}

export function writeFile(dir: string, rel: string, text: string): void {
  const p = join(dir, rel);
  mkdirSync(dirname(p), { recursive: true });
  writeFileSync(p, text);
}

export function removeProject(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/** Run `dagx ARGS` in `cwd` (from source, or with `bin` e.g. the compiled binary). */
export async function dagx(cwd: string, args: string[], opts: { bin?: string; env?: Record<string, string>; timeoutMs?: number } = {}): Promise<CliResult> {
  const cmd = opts.bin ? [opts.bin, ...args] : [BUN, CLI, ...args];
  const proc = Bun.spawn(cmd, { cwd, stdout: "pipe", stderr: "pipe", env: { ...process.env, NO_COLOR: "1", CI: "1", ...opts.env } });
  const timer = setTimeout(() => proc.kill(9), opts.timeoutMs ?? 60_000);
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  clearTimeout(timer);
  return {
    code,
    stdout,
    stderr,
    json<T>() {
      try {
        return JSON.parse(stdout) as T;
      } catch {
        throw new Error(`stdout is not JSON (exit ${code}):\n${stdout}\nstderr:\n${stderr}`);
      }
    },
  };
}

/** Exit 0, or fail showing what the CLI said. */
export function ok(r: CliResult): CliResult {
  if (r.code !== 0) throw new Error(`exit ${r.code}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`);
  return r;
}

/** One step of `materialize --json` / `backfill --json`. */
export interface StepJson {
  key: string;
  partition: string | null;
  status: string;
  error?: string;
}
