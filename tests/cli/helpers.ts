/**
 * Temp projects and two ways to run the CLI against them: `dagx()` spawns the real CLI (source
 * or compiled binary), `runDagx()` runs the same entry point in this process (no process start,
 * no DuckDB load: ~10× cheaper). docs/testing.md says which to use when.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { run } from "../../cli/main.ts";
import { withEnv } from "../support/env.ts";
import { type CapturedTerminal, captureTerminal } from "../support/terminal.ts";
import { dagxCommand, FROM_SOURCE } from "../support/dagx-command.ts";

export const REPO = join(import.meta.dir, "../..");
export const BUN = join(REPO, "node_modules/.bin/bun");

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

/**
 * Run `dagx ARGS` in `cwd` as a process: the compiled host binary (tests/support/dagx-command.ts;
 * from source with DAGX_TEST_FROM_SOURCE=1 or `fromSource`), or `bin` (e.g. a release binary).
 */
export async function dagx(cwd: string, args: string[], opts: { bin?: string; fromSource?: boolean; env?: Record<string, string>; timeoutMs?: number } = {}): Promise<CliResult> {
  const cmd = opts.bin ? [opts.bin, ...args] : opts.fromSource ? [...FROM_SOURCE, ...args] : [...(await dagxCommand()), ...args];
  const proc = Bun.spawn(cmd, { cwd, stdout: "pipe", stderr: "pipe", env: { ...process.env, NO_COLOR: "1", CI: "1", ...opts.env } });
  const timer = setTimeout(() => proc.kill(9), opts.timeoutMs ?? 60_000);
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  clearTimeout(timer);
  return result(code, stdout, stderr);
}

/**
 * Run `dagx ARGS` in this process as if started in `cwd`: same exit code, stdout and stderr as
 * `dagx()`, no TTY, NO_COLOR and CI set. `env` is set on process.env for the call (user code
 * reads it there), so calls that pass one must not overlap. Not for what needs a process of its
 * own: signals, exit and open handles, umask, several processes at once, or an asset file edited
 * after this process imported it (Bun caches modules: the old code would run).
 */
export async function runDagx(cwd: string, args: string[], opts: { env?: Record<string, string> } = {}): Promise<CliResult> {
  return startDagx(cwd, args, opts).done;
}

/** `runDagx()` that hands back the terminal while the command runs (to read stderr so far, or to `interrupt()` it). */
export function startDagx(cwd: string, args: string[], opts: { env?: Record<string, string> } = {}): { terminal: CapturedTerminal; done: Promise<CliResult> } {
  const terminal = captureTerminal(cwd, { NO_COLOR: "1", CI: "1", ...opts.env });
  const done = withEnv(opts.env ?? {}, () => run(args, terminal));
  return { terminal, done: done.then((code) => result(code, terminal.stdoutText(), terminal.stderrText())) };
}

function result(code: number, stdout: string, stderr: string): CliResult {
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
