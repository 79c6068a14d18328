/**
 * One measured command: wall time, CPU (user + sys) and peak RSS, for a process that may spawn
 * others (Dagster does, depending on its executor and log capture).
 *
 * - **Largest single process** (`peakMB`): `/usr/bin/time -f %M` around the command. `time`
 *   waits for its child, and the kernel's `ru_maxrss` of a waited child is the maximum over that
 *   child and every descendant it waited for — the largest one, not a sum. Exact, no sampling.
 *   (Bun's `resourceUsage().maxRSS` is not used: after a `Bun.build` in the bench process it
 *   reported the build's RSS for every later child; see bench/status-1m.bench.ts.)
 * - **Process tree** (`treeMB`, `processes`): `/proc/<pid>/task/<tid>/children` walked every
 *   `pollMs`; the largest sum of PSS (`smaps_rollup`) over the tree seen in one sample — PSS, not
 *   RSS, because a child that was forked but has not yet exec'd shows all its parent's pages as
 *   its own RSS (a sum of RSS double-counted Dagster's 110 MB process). A lower bound (a peak
 *   between two samples is missed), never below `peakMB`.
 * - **CPU** (`cpuMs`): `time`'s %U + %S: the child and its waited descendants.
 *
 * Without `/usr/bin/time` the polled VmHWM of each process stands in for %M and CPU is NaN.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

const TIME = "/usr/bin/time";

export interface Measured {
  ms: number;
  cpuMs: number;
  /** Peak RSS of the largest single process, MB. */
  peakMB: number;
  /** Largest sampled sum of PSS over the process tree, MB (never below peakMB). */
  treeMB: number;
  /** Distinct processes seen in the tree (1 = the command alone). */
  processes: number;
  code: number;
  stdout: string;
  stderr: string;
}

export interface MeasureOptions {
  cwd: string;
  env: Record<string, string | undefined>;
  timeoutMs?: number;
  pollMs?: number;
}

function readKb(pid: number, file: "status" | "smaps_rollup", field: "VmHWM" | "Pss"): number {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(fs.readFileSync(`/proc/${pid}/${file}`, "utf8"));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

/** The pid's descendants (children of every thread, recursively). */
function descendants(pid: number, out: number[] = []): number[] {
  let tasks: string[];
  try {
    tasks = fs.readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const tid of tasks) {
    let text = "";
    try {
      text = fs.readFileSync(`/proc/${pid}/task/${tid}/children`, "utf8");
    } catch {
      continue;
    }
    for (const c of text.split(" ").filter(Boolean).map(Number)) {
      out.push(c);
      descendants(c, out);
    }
  }
  return out;
}

export const hasTime = (): boolean => fs.existsSync(TIME);

/** Run `cmd` to its end and measure it (see the file head). */
export async function measure(cmd: string[], opts: MeasureOptions): Promise<Measured> {
  const timeFile = path.join(os.tmpdir(), `dagx-bench-time-${process.pid}-${Math.random().toString(36).slice(2)}.txt`);
  const wrapped = hasTime() ? [TIME, "-o", timeFile, "-f", "%M %U %S", ...cmd] : cmd;
  const t0 = performance.now();
  const proc = Bun.spawn(wrapped, { cwd: opts.cwd, env: opts.env, stdin: "ignore", stdout: "pipe", stderr: "pipe" });
  const timer = setTimeout(() => proc.kill(9), opts.timeoutMs ?? 600_000);
  const hwm = new Map<number, number>();
  let treeKb = 0;
  let done = false;
  const poll = (async () => {
    while (!done) {
      // under `time`, the measured tree is time's descendants; without it, the command itself
      const pids = hasTime() ? descendants(proc.pid) : [proc.pid, ...descendants(proc.pid)];
      let sum = 0;
      for (const p of pids) {
        sum += readKb(p, "smaps_rollup", "Pss");
        hwm.set(p, Math.max(hwm.get(p) ?? 0, readKb(p, "status", "VmHWM")));
      }
      treeKb = Math.max(treeKb, sum);
      await Bun.sleep(opts.pollMs ?? 10);
    }
  })();
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  const ms = performance.now() - t0;
  done = true;
  await poll;
  clearTimeout(timer);
  let peakKb = Math.max(0, ...hwm.values());
  let cpuMs = Number.NaN;
  if (hasTime()) {
    const [maxKb, user, sys] = fs.readFileSync(timeFile, "utf8").trim().split("\n").at(-1)!.split(" ").map(Number);
    fs.rmSync(timeFile, { force: true });
    peakKb = maxKb!;
    cpuMs = (user! + sys!) * 1000;
  }
  return { ms, cpuMs, peakMB: peakKb / 1024, treeMB: Math.max(treeKb, peakKb) / 1024, processes: Math.max(1, hwm.size), code, stdout, stderr };
}

/** Like measure, but throws with the output when the exit code is not 0. */
export async function measureOk(cmd: string[], opts: MeasureOptions): Promise<Measured> {
  const m = await measure(cmd, opts);
  if (m.code !== 0) {
    throw new Error(`\`${cmd.slice(0, 4).map((c) => path.basename(c)).join(" ")} …\` exited with ${m.code}\nstderr:\n${m.stderr.slice(-3000)}\nstdout:\n${m.stdout.slice(-2000)}`);
  }
  return m;
}
