/**
 * Runs launched from the UI execute in a child `dagx` process (fresh code; a crash in user code
 * never takes the server down): the compiled binary itself, or bun + cli/main.ts from source, as
 * `dagx dev` starts its workers. The server picks the run id first (env `DAGX_RUN_ID`) so it can
 * answer at once; `DAGX_TRIGGER=ui` records the trigger. The child's output goes to a log file
 * under `.dagx/ui/` (its events are in the state), never to the server's terminal.
 */
import { spawn, type Subprocess } from "bun";
import fs from "node:fs";
import path from "node:path";

/** Starts child `dagx` processes for the UI's actions. */
export interface Launcher {
  /** Start `dagx ARGS` in the project with the UI's trigger (and `runId` when given); resolves once spawned. */
  start(args: string[], o?: { runId?: string; backfillId?: string }): { pid: number; exited: Promise<number> };
  /** Children still running. */
  readonly running: number;
  /** Why the launch of `id` (a run or backfill id) ended without a zero exit: the last lines of its output; null while running or after success. */
  failure(id: string): string | null;
  /** Ask every child to stop (SIGINT: they cancel gracefully), then wait up to `ms`. */
  close(ms?: number): Promise<void>;
}

/** The command that runs `dagx`: the compiled binary itself, or bun + the CLI entry from source. */
export function dagxCommand(): string[] {
  // from source, Bun must not load the cwd's .env: dagx reads the project's (io/secrets/dotenv.ts)
  const entry = Bun.main.startsWith("/$bunfs") ? [] : ["--no-env-file", cliEntry()];
  return [process.execPath, ...entry];
}

function cliEntry(): string {
  // tests and `bun cli/main.ts` run from source: the entry beside this folder
  return path.resolve(import.meta.dir, "../../cli/main.ts");
}

/** A launcher for the project at `root`. */
export function createLauncher(root: string, o: { trigger?: string } = {}): Launcher {
  const children = new Set<Subprocess>();
  const failures = new Map<string, string>();
  const logDir = path.join(root, ".dagx", "ui");
  pruneLogs(logDir, KEEP_LOGS);
  return {
    start(args, opts = {}) {
      fs.mkdirSync(logDir, { recursive: true, mode: 0o700 });
      const log = path.join(logDir, `${opts.runId ?? opts.backfillId ?? `launch-${Date.now()}`}.log`);
      const fd = fs.openSync(log, "a", 0o600);
      const env: Record<string, string> = { ...(process.env as Record<string, string>), DAGX_TRIGGER: o.trigger ?? "ui", NO_COLOR: "1" };
      delete env.DAGX_RUN_ID;
      delete env.DAGX_BACKFILL_ID;
      if (opts.runId) env.DAGX_RUN_ID = opts.runId;
      if (opts.backfillId) env.DAGX_BACKFILL_ID = opts.backfillId;
      const proc = spawn([...dagxCommand(), "-C", root, ...args], { cwd: root, env, stdio: ["ignore", fd, fd] });
      fs.closeSync(fd);
      children.add(proc);
      const id = opts.runId ?? opts.backfillId;
      const exited = proc.exited.then((code) => {
        children.delete(proc);
        if (code !== 0 && id) failures.set(id, tailOf(log));
        return code;
      });
      return { pid: proc.pid, exited };
    },
    get running() {
      return children.size;
    },
    failure: (id) => failures.get(id) ?? null,
    async close(ms = 5000) {
      const all = [...children];
      for (const c of all) c.kill("SIGINT");
      const t = setTimeout(() => all.forEach((c) => c.kill(9)), ms);
      await Promise.all(all.map((c) => c.exited));
      clearTimeout(t);
    },
  };
}

/** Launch logs kept in `.dagx/ui/` (the oldest go first). */
const KEEP_LOGS = 200;

/** Delete all but the newest `keep` logs of the folder. */
function pruneLogs(dir: string, keep: number): void {
  try {
    const logs = fs.readdirSync(dir).filter((n) => n.endsWith(".log")).map((n) => ({ n, t: fs.statSync(path.join(dir, n)).mtimeMs })).sort((a, b) => b.t - a.t);
    for (const { n } of logs.slice(keep)) fs.rmSync(path.join(dir, n), { force: true });
  } catch {
    // no folder yet
  }
}

/** The last lines of a launch's output (what the user needs to see why it did not start). */
function tailOf(file: string): string {
  try {
    const lines = fs.readFileSync(file, "utf8").split("\n").map((l) => l.trimEnd()).filter(Boolean);
    // the error lines (`error …`, `note …`) say why; else the end of the output
    const errors = lines.filter((l) => /^(error|note)\b/.test(l));
    return (errors.length ? errors.slice(0, 5) : lines.slice(-5)).join("\n") || "it exited without output";
  } catch {
    return "its output is gone";
  }
}
