/**
 * `dagx daemon` idle with 1,000 assets (DESIGN §10: < 150 MB RSS; the Dagster daemon is reported
 * at GBs, dagster#26287). A temp project outside the repo holds 1,000 trivial assets in 100 files
 * (10 each, chained through `ins` inside a file, the first one of each file taking `ins` from the
 * previous file) and 10 schedules whose cron does not fire during the measurement
 * (`0 0 1 1 *`). The project is materialized once, so state has 1,000 latest rows. Then
 * `dagx daemon` starts; once it printed "daemon started", it idles for `idleMs` (its loop reads
 * the instigators once a second), and VmRSS is sampled from /proc/<pid>/status every 500 ms for
 * `sampleMs`: median and max, plus VmHWM (peak) at the end. The same is measured for the compiled
 * binary and from the sources (`bun cli/main.ts daemon`), and, for scale, the binary on a
 * 10-asset project with one schedule, a bare idle `bun`, and an idle `bun` holding an open
 * in-memory DuckDB instance (what the runtime alone costs).
 *
 *   bun bench/daemon-rss.bench.ts [--idle-ms 10000] [--no-small] [--no-baselines]
 */
import fs from "node:fs";
import {
  BUN, CLI, cliEnv, ensureBinary, type Figures, machineFigures, makeTempProject, median, printFigures, printTargets, REPO, removeDir, round, sleep,
  spawnOk, type Target,
} from "./_util.ts";

export const targets: Target[] = [
  { figure: "binary.rss.median", label: "`dagx daemon` idle, 1,000 assets + 10 schedules (binary, RSS median)", op: "<", value: 150, unit: "MB" },
];

/** `files` × `perFile` trivial assets and `schedules` schedules that never fire in the measurement. */
export function daemonProject(files = 100, perFile = 10, schedules = 10): Record<string, string> {
  const out: Record<string, string> = { "dagx.config.ts": `import { defineConfig } from "dagx";\nexport default defineConfig({});\n` };
  for (let f = 0; f < files; f++) {
    const lines = [`import { asset } from "dagx";`];
    if (f > 0) lines.push(`import { a${f - 1}_${perFile - 1} } from "./f${f - 1}.asset.ts";`);
    for (let j = 0; j < perFile; j++) {
      const up = j > 0 ? `a${f}_${j - 1}` : f > 0 ? `a${f - 1}_${perFile - 1}` : null;
      lines.push(up ? `export const a${f}_${j} = asset({ ins: { ${up} } }, (_ctx, { ${up} }) => ${up} + 1);` : `export const a${f}_${j} = asset(() => 1);`);
    }
    out[`f${f}.asset.ts`] = `${lines.join("\n")}\n`;
  }
  const sched = [`import { schedule } from "dagx";`];
  for (let s = 0; s < schedules; s++) sched.push(`export const yearly_${s} = schedule({ cron: "0 0 1 1 *", select: "a${(s * 10) % files}_0+" });`);
  out["schedules.asset.ts"] = `${sched.join("\n")}\n`;
  return out;
}

/** VmRSS / VmHWM of a process, MB. */
function memOf(pid: number): { rss: number; hwm: number } | null {
  try {
    const s = fs.readFileSync(`/proc/${pid}/status`, "utf8");
    const kb = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, "m").exec(s)?.[1] ?? Number.NaN);
    return { rss: kb("VmRSS") / 1024, hwm: kb("VmHWM") / 1024 };
  } catch {
    return null;
  }
}

interface Measure {
  startMs: number;
  rssAtStart: number;
  samples: number[];
  hwm: number;
}

async function measureDaemon(cmd: string[], dir: string, env: Record<string, string | undefined>, idleMs: number, sampleMs: number): Promise<Measure> {
  const t0 = performance.now();
  const proc = Bun.spawn(cmd, { cwd: dir, env, stdin: "ignore", stdout: "pipe", stderr: "pipe" });
  let text = "";
  const read = async (s: ReadableStream<Uint8Array>) => {
    for await (const chunk of s) text += new TextDecoder().decode(chunk);
  };
  void read(proc.stderr as ReadableStream<Uint8Array>);
  void read(proc.stdout as ReadableStream<Uint8Array>);
  try {
    const deadline = Date.now() + 60_000;
    while (!/daemon started/.test(text)) {
      if (proc.exitCode !== null || Date.now() > deadline) throw new Error(`daemon did not start (exit ${proc.exitCode}):\n${text.slice(-2000)}`);
      await sleep(20);
    }
    const startMs = performance.now() - t0;
    const rssAtStart = memOf(proc.pid)?.rss ?? Number.NaN;
    await sleep(idleMs);
    const samples: number[] = [];
    for (let t = 0; t <= sampleMs; t += 500) {
      const m = memOf(proc.pid);
      if (!m) throw new Error(`daemon exited while sampled:\n${text.slice(-2000)}`);
      samples.push(m.rss);
      await sleep(500);
    }
    const hwm = memOf(proc.pid)?.hwm ?? Number.NaN;
    if (/evaluation failed|error/i.test(text)) throw new Error(`daemon logged an error:\n${text.slice(-2000)}`);
    return { startMs, rssAtStart, samples, hwm };
  } finally {
    proc.kill("SIGINT");
    const t = setTimeout(() => proc.kill(9), 10_000);
    await proc.exited;
    clearTimeout(t);
  }
}

export async function run(options: { idleMs?: number; sampleMs?: number; source?: boolean; small?: boolean; baselines?: boolean } = {}): Promise<Figures> {
  const idleMs = options.idleMs ?? 10_000;
  const sampleMs = options.sampleMs ?? 5_000;
  const bin = await ensureBinary();
  const env = cliEnv();
  const big = makeTempProject(daemonProject(), "dagx-bench-daemon-");
  const small = options.small === false ? null : makeTempProject(daemonProject(5, 2, 1), "dagx-bench-daemon-small-");
  try {
    const setup = await spawnOk([bin.path, "materialize", "--json"], { cwd: big, env, timeoutMs: 300_000, stdoutFile: `${big}/.setup.json` });
    const setupRun = JSON.parse(setup.stdout) as { status: string; steps: unknown[] };
    if (setupRun.status !== "success") throw new Error(`setup run ${setupRun.status}`);
    fs.rmSync(`${big}/.setup.json`);
    const cases: { name: string; cmd: string[]; dir: string }[] = [{ name: "binary", cmd: [bin.path, "daemon"], dir: big }];
    if (options.source !== false) cases.push({ name: "source", cmd: [BUN, CLI, "daemon"], dir: big });
    if (small) cases.push({ name: "binary10", cmd: [bin.path, "daemon"], dir: small });
    if (options.baselines !== false) {
      // what the runtime alone holds: an idle bun, and an idle bun with a DuckDB instance open
      const idle = `setInterval(() => {}, 1000); console.error("daemon started");`;
      const duck = `const { DuckDBInstance } = await import("@duckdb/node-api"); const db = await DuckDBInstance.create(":memory:"); const c = await db.connect(); await c.run("select 42"); ${idle}`;
      cases.push({ name: "baseline.bun", cmd: [BUN, "-e", idle], dir: REPO }, { name: "baseline.bunDuckdb", cmd: [BUN, "-e", duck], dir: REPO });
    }
    const figures: Figures = { ...machineFigures(), assets: 1000, files: 100, schedules: 10, idleMs, sampleMs, setupRunSteps: setupRun.steps.length };
    for (const c of cases) {
      const m = await measureDaemon(c.cmd, c.dir, env, idleMs, sampleMs);
      figures[`${c.name}.rss.median`] = round(median(m.samples));
      figures[`${c.name}.rss.max`] = round(Math.max(...m.samples));
      figures[`${c.name}.rss.atStart`] = round(m.rssAtStart);
      figures[`${c.name}.rss.hwm`] = round(m.hwm);
      figures[`${c.name}.rss.n`] = m.samples.length;
      figures[`${c.name}.startMs`] = round(m.startMs);
    }
    return figures;
  } finally {
    removeDir(big);
    if (small) removeDir(small);
  }
}

if (import.meta.main) {
  const i = process.argv.indexOf("--idle-ms");
  const figures = await run({ idleMs: i > 0 ? Number(process.argv[i + 1]) : undefined, small: !process.argv.includes("--no-small"), baselines: !process.argv.includes("--no-baselines") });
  printFigures("dagx daemon idle: RSS (MB)", figures);
  process.exitCode = printTargets(figures, targets) ? 0 : 1;
}
