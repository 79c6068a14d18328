/**
 * Daemon election on a Postgres state (issue 17 item 3), on a real Postgres from
 * tests/support/postgres.ts and real `dagx daemon` processes (from the sources), each in its own
 * copy of a small project (one asset, one schedule that does not fire while measured):
 *
 *   bun bench/daemon-election.bench.ts [--trials 7] [--idle-ms 20000] [--leader-timeout 15s] [--frozen-timeout 3s]
 *
 * - takeover: a leader and a standby run; the leader is killed with SIGKILL; the time until the
 *   standby prints "elected leader" (stderr polled every 10 ms). Chained: the new leader gets a
 *   new standby, and is killed in turn, at a random moment against the standby's poll (every
 *   min(1 s, timeout / 5)). Median, min and max of `trials`.
 * - frozen leader: the same chain, but the leader is stopped with SIGSTOP (its socket stays open:
 *   what a machine that vanished without closing its connections looks like to Postgres), with
 *   `--leader-timeout` set to `frozen-timeout`; the standby deposes it once its heartbeat is older
 *   than that. The frozen process is then killed.
 * - idle cost: over `idle-ms`, the CPU time (utime + stime from /proc/<pid>/stat) and the RSS
 *   (median of samples every 500 ms) of a standby and of the leader it stands by for.
 */
import fs from "node:fs";
import os from "node:os";
import { BUN, CLI, cliEnv, makeTempProject, median, removeDir, sleep } from "./_util.ts";
import { startPostgres } from "../tests/support/postgres.ts";

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : fallback;
};
const TRIALS = Number(arg("trials", "7"));
const IDLE_MS = Number(arg("idle-ms", "20000"));
const TIMEOUT = arg("leader-timeout", "15s");
const FROZEN_TIMEOUT = arg("frozen-timeout", "3s");

const FILES = {
  "a.asset.ts": `import { asset, schedule } from "dagx";\nexport const a = asset(() => [{ x: 1 }]);\nexport const yearly = schedule({ cron: "0 0 1 1 *", select: "a" });\n`,
};

interface Daemon {
  proc: ReturnType<typeof Bun.spawn>;
  text(): string;
  until(needle: string, timeoutMs?: number): Promise<number>;
}

const pg = await startPostgres();
const dirs: string[] = [];
const procs: Daemon[] = [];
const envOf = (schema: string) => cliEnv({ DAGX_STATE_URL: `${pg.url}?schema=${schema}`, NO_COLOR: "1" });

function start(timeout = TIMEOUT, env = envOf("bench")): Daemon {
  const dir = makeTempProject(FILES, "dagx-election-bench-");
  dirs.push(dir);
  const proc = Bun.spawn([BUN, "--no-env-file", CLI, "daemon", "--leader-timeout", timeout], { cwd: dir, env, stdout: "ignore", stderr: "pipe" });
  let err = "";
  void (async () => {
    const decoder = new TextDecoder();
    for await (const chunk of proc.stderr as ReadableStream<Uint8Array>) err += decoder.decode(chunk, { stream: true });
  })();
  const d: Daemon = {
    proc,
    text: () => err,
    async until(needle, timeoutMs = 60_000) {
      const t0 = performance.now();
      while (!err.includes(needle)) {
        if (performance.now() - t0 > timeoutMs) throw new Error(`timed out waiting for "${needle}":\n${err}`);
        if (proc.exitCode !== null) throw new Error(`daemon exited (${proc.exitCode}):\n${err}`);
        await sleep(10);
      }
      return performance.now();
    },
  };
  procs.push(d);
  return d;
}

const TICKS = Number(Bun.spawnSync(["getconf", "CLK_TCK"]).stdout.toString().trim()) || 100;
/** CPU ms (user + system) of a process so far. */
function cpuMs(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return ((Number(f[11]) + Number(f[12])) * 1000) / TICKS;
}
const rssMb = (pid: number) => Number(/^VmRSS:\s+(\d+) kB/m.exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? Number.NaN) / 1024;

try {
  const load0 = os.loadavg()[0]!;
  let leader = start();
  await leader.until("elected leader");
  const takeovers: number[] = [];
  let idle: { standbyCpu: number; leaderCpu: number; standbyRss: number; leaderRss: number } | null = null;
  for (let t = 0; t < TRIALS; t++) {
    const standby = start();
    await standby.until("standby: leader is");
    if (idle === null) {
      await sleep(3000); // past start-up
      const c0 = [cpuMs(standby.proc.pid), cpuMs(leader.proc.pid)];
      const rss: [number[], number[]] = [[], []];
      for (const t0 = performance.now(); performance.now() - t0 < IDLE_MS;) {
        rss[0].push(rssMb(standby.proc.pid));
        rss[1].push(rssMb(leader.proc.pid));
        await sleep(500);
      }
      const per = (ms: number) => (ms / IDLE_MS) * 1000; // CPU ms per wall second
      idle = {
        standbyCpu: per(cpuMs(standby.proc.pid) - c0[0]!), leaderCpu: per(cpuMs(leader.proc.pid) - c0[1]!),
        standbyRss: median(rss[0]), leaderRss: median(rss[1]),
      };
    } else {
      await sleep(1500 + Math.random() * 1000); // a random phase against the standby's 1 s poll
    }
    const killed = performance.now();
    leader.proc.kill("SIGKILL");
    const elected = await standby.until("elected leader");
    takeovers.push(elected - killed);
    console.error(`trial ${t + 1}: takeover ${(elected - killed).toFixed(0)} ms`);
    leader = standby;
  }
  const frozen: number[] = [];
  const frozenEnv = envOf("frozen");
  leader = start(FROZEN_TIMEOUT, frozenEnv);
  await leader.until("elected leader");
  for (let t = 0; t < TRIALS; t++) {
    const standby = start(FROZEN_TIMEOUT, frozenEnv);
    await standby.until("standby: leader is");
    await sleep(1500 + Math.random() * 1000);
    const stopped = performance.now();
    leader.proc.kill("SIGSTOP");
    const elected = await standby.until("elected leader");
    frozen.push(elected - stopped);
    console.error(`frozen trial ${t + 1}: takeover ${(elected - stopped).toFixed(0)} ms`);
    leader.proc.kill("SIGKILL");
    leader = standby;
  }
  const load1 = os.loadavg()[0]!;
  const sorted = [...takeovers].sort((a, b) => a - b);
  console.log(`${new Date().toISOString()} · ${os.cpus().length} cores · load ${load0.toFixed(1)} → ${load1.toFixed(1)} · leader timeout ${TIMEOUT} · ${TRIALS} trials`);
  console.log("| figure | value |\n|---|---|");
  console.log(`| takeover after kill -9 of the leader (median) | ${median(takeovers).toFixed(0)} ms |`);
  console.log(`| takeover min … max | ${sorted[0]!.toFixed(0)} … ${sorted[sorted.length - 1]!.toFixed(0)} ms |`);
  const fs2 = [...frozen].sort((a, b) => a - b);
  console.log(`| takeover from a frozen leader (SIGSTOP), --leader-timeout ${FROZEN_TIMEOUT} (median) | ${median(frozen).toFixed(0)} ms |`);
  console.log(`| frozen: min … max | ${fs2[0]!.toFixed(0)} … ${fs2[fs2.length - 1]!.toFixed(0)} ms |`);
  if (idle) {
    console.log(`| standby idle CPU | ${idle.standbyCpu.toFixed(1)} ms/s |`);
    console.log(`| leader idle CPU (1 schedule, not firing) | ${idle.leaderCpu.toFixed(1)} ms/s |`);
    console.log(`| standby RSS (median) | ${idle.standbyRss.toFixed(0)} MB |`);
    console.log(`| leader RSS (median) | ${idle.leaderRss.toFixed(0)} MB |`);
  }
} finally {
  for (const d of procs) if (d.proc.exitCode === null) d.proc.kill("SIGKILL");
  await Promise.all(procs.map((d) => d.proc.exited));
  await pg.stop();
  for (const d of dirs) removeDir(d);
}
