/** Long-running CLI processes (`dagx dev`, `dagx daemon`) in tests: stderr read as it comes, polling helpers. */
import { readdirSync, readFileSync } from "node:fs";
import { makeProject, removeProject } from "./helpers.ts";
import { dagxCommandSync } from "../support/dagx-command.ts";

export interface Live {
  proc: ReturnType<typeof Bun.spawn>;
  readonly pid: number;
  /** stderr so far. */
  text(): string;
  /** Resolve with the index just past the first match of `pattern` in stderr at or after `from`. */
  waitFor(pattern: string | RegExp, opts?: { from?: number; timeoutMs?: number }): Promise<number>;
  /** Current length of stderr, to wait for something printed after now. */
  mark(): number;
  /** Send `signal` and wait for the exit code (SIGKILL after `timeoutMs`). */
  stop(signal?: NodeJS.Signals | number, timeoutMs?: number): Promise<number>;
  exited: Promise<number>;
}

/** Spawn `dagx ARGS` in `cwd`, reading stderr incrementally. */
export function startLive(cwd: string, args: string[], env: Record<string, string> = {}): Live {
  const proc = Bun.spawn([...dagxCommandSync(), ...args], { cwd, stdout: "pipe", stderr: "pipe", env: { ...process.env, NO_COLOR: "1", CI: "1", ...env } });
  let err = "";
  const decoder = new TextDecoder();
  void (async () => {
    const reader = proc.stderr.getReader();
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      err += decoder.decode(value, { stream: true });
    }
  })();
  void new Response(proc.stdout).text();
  const live: Live = {
    proc,
    pid: proc.pid,
    text: () => err,
    mark: () => err.length,
    async waitFor(pattern, opts = {}) {
      const from = opts.from ?? 0;
      const deadline = Date.now() + (opts.timeoutMs ?? 30_000);
      let exitedAt: number | null = null;
      void proc.exited.then(() => (exitedAt = Date.now()));
      for (;;) {
        const rest = err.slice(from);
        if (typeof pattern === "string") {
          const i = rest.indexOf(pattern);
          if (i >= 0) return from + i + pattern.length;
        } else {
          const m = new RegExp(pattern.source, pattern.flags.replace("g", "")).exec(rest);
          if (m) return from + m.index + m[0].length;
        }
        // give the reader a moment to drain stderr after an exit
        if (exitedAt !== null && Date.now() - exitedAt > 300) throw new Error(`dagx ${args.join(" ")} exited (${proc.exitCode}) before printing ${pattern}; stderr:\n${err}`);
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${pattern} in the stderr of dagx ${args.join(" ")}:\n${err}`);
        await Bun.sleep(20);
      }
    },
    async stop(signal = "SIGTERM", timeoutMs = 15_000) {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
      const t = setTimeout(() => proc.kill(9), timeoutMs);
      const code = await proc.exited;
      clearTimeout(t);
      return code;
    },
    exited: proc.exited,
  };
  return live;
}

/**
 * The pause before the next poll of a condition that took `tookMs`: 50 ms for a cheap one (a file,
 * the output so far), three times its own cost for an expensive one (a CLI command in this process,
 * a state read: ~20-60 ms of CPU each), at most 500 ms. A wait of seconds polled every 50 ms spent
 * most of a core in the test process, slowing the processes it waits for (docs/testing.md, "tb4").
 */
export function pollPause(tookMs: number): number {
  return Math.min(500, Math.max(50, 3 * tookMs));
}

/** Poll `cond` until true (paced by `pollPause`); fail with `label` after `ms`. */
export async function until(cond: () => boolean | Promise<boolean>, label: string, ms = 30_000, detail?: () => string): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    const t0 = performance.now();
    if (await cond()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${label}${detail ? `\n${detail()}` : ""}`);
    await Bun.sleep(pollPause(performance.now() - t0));
  }
}

/** Pids of the live children of `pid` (Linux /proc). */
export function childPids(pid: number): number[] {
  const out: number[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, "utf8");
      // pid (comm) state ppid …: comm may contain spaces, so split after the last ")"
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (Number(fields[1]) === pid && fields[0] !== "Z") out.push(Number(name));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** True while a process with this pid exists (and is not a zombie). */
export function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
  } catch {
    return false;
  }
}

/**
 * Per-file bookkeeping of temp projects and live processes: `project()` makes a temp project,
 * `track()` registers a live process; `cleanup()` (pass it to afterAll) kills what a failed test
 * left running, workers included, and removes the projects.
 */
export function liveFixtures(prefix: string): { project(files: Record<string, string>): string; track(l: Live): Live; cleanup(): Promise<void> } {
  const dirs: string[] = [];
  const lives: Live[] = [];
  return {
    project(files) {
      const dir = makeProject({ ".dagx/.keep": "", ...files }, prefix);
      dirs.push(dir);
      return dir;
    },
    track(l) {
      lives.push(l);
      return l;
    },
    async cleanup() {
      for (const l of lives) {
        const kids = childPids(l.pid);
        await l.stop("SIGKILL");
        for (const k of kids) if (alive(k)) process.kill(k, "SIGKILL");
      }
      dirs.forEach(removeProject);
    },
  };
}
