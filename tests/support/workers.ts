/**
 * What the `dagx worker` journeys share (tests/cli/worker*.test.ts): temp folders removed after the
 * file, project copies standing in for machines (their `.dagx/data` optionally one shared folder,
 * a network filesystem's stand-in), real worker processes killed after the file, and a wait.
 * Call `workerFixtures()` at the top of a test file.
 */
import { afterAll } from "bun:test";
import { mkdirSync, mkdtempSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Subprocess } from "bun";
import { makeProject, removeProject } from "../cli/helpers.ts";
import { pollPause } from "../cli/live.ts";
import { dagxCommandSync } from "./dagx-command.ts";

/** A started `dagx worker`: its process, and what it printed on stderr so far. */
export interface Worker {
  proc: Subprocess<"ignore", "pipe", "pipe">;
  log(): string;
}

export function workerFixtures(prefix: string) {
  const dirs: string[] = [];
  const procs: Subprocess[] = [];
  afterAll(() => {
    for (const p of procs) p.kill(9);
    for (const d of dirs) removeProject(d);
  });
  const temp = (name = "dagx-shared-data-"): string => {
    const d = mkdtempSync(join(tmpdir(), name));
    dirs.push(d);
    return d;
  };
  return {
    /** A new temp folder, removed after the file (a shared data folder by default). */
    temp,
    /** A shared data folder for machines. */
    sharedFolder: () => temp(),
    /** A copy of the project (a machine); `data`: its .dagx/data is this shared folder. */
    machine(files: Record<string, string>, data: string | null): string {
      const dir = makeProject(files, prefix);
      dirs.push(dir);
      if (data) {
        mkdirSync(join(dir, ".dagx"), { recursive: true });
        symlinkSync(data, join(dir, ".dagx", "data"));
      }
      return dir;
    },
    /** Start `dagx worker --concurrency N [args]` in `dir`, killed after the file. */
    startWorker(dir: string, env: Record<string, string>, o: { concurrency?: number; args?: string[] } = {}): Worker {
      const proc = Bun.spawn([...dagxCommandSync(), "worker", "--concurrency", String(o.concurrency ?? 2), ...(o.args ?? [])], {
        cwd: dir,
        stdout: "pipe",
        stderr: "pipe",
        env: { ...process.env, NO_COLOR: "1", CI: "1", ...env },
      });
      procs.push(proc);
      let text = "";
      void (async () => {
        const decoder = new TextDecoder();
        for await (const chunk of proc.stderr) text += decoder.decode(chunk);
      })();
      return { proc, log: () => text };
    },
    /** Track a process started by hand (killed after the file). */
    track<P extends Subprocess>(p: P): P {
      procs.push(p);
      return p;
    },
  };
}

/** Wait until `fn` says yes, polling paced by `pollPause` (50 ms when `fn` is cheap); throws naming `what` after `ms`. */
export async function until(what: string, fn: () => boolean | Promise<boolean>, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  for (;;) {
    const t0 = performance.now();
    if (await fn()) return;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(pollPause(performance.now() - t0));
  }
}
