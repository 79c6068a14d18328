/**
 * Throughput of the work queue (issue 17; docs/workers.md, docs/benchmarks.md):
 *
 *   bun bench/queue-throughput.bench.ts [--steps 100] [--rounds 3]
 *
 * A real Postgres state (fsync off, as in the tests), one project copied per worker (one shared
 * `.dagx/data`). The run: `steps` daily partitions of a trivial asset (one JSON row each). Timed
 * from the run's own record (`ended_at - started_at`: planning to last commit, no CLI start-up):
 * a local run with -j 1 and -j 4, and queued runs on 1, 2 and 4 idle workers of concurrency 1
 * (queues q1, q2, q4, all workers started before the first round), interleaved per round.
 * Prints steps/s per case (median over rounds) and the queue's per-step overhead: (1 worker −
 * local -j 1) / steps.
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { SQL, type Subprocess } from "bun";
import { startPostgres } from "../tests/support/postgres.ts";
import { median } from "./_util.ts";

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const STEPS = arg("steps", 100);
const ROUNDS = arg("rounds", 3);
const REPO = join(import.meta.dir, "..");
const BUN = join(REPO, "node_modules/.bin/bun");
const CLI = join(REPO, "cli/main.ts");
const ASSET = `import { asset, daily } from "dagx";\nexport const events = asset({ partitions: daily({ start: "2020-01-01" }) }, (ctx) => [{ day: ctx.partition!.key }]);\n`;

const root = mkdtempSync(join(tmpdir(), "dagx-queue-bench-"));
const data = join(root, "data");
mkdirSync(data);
let n = 0;
const machine = () => {
  const dir = join(root, `m${++n}`);
  mkdirSync(join(dir, ".dagx"), { recursive: true });
  writeFileSync(join(dir, "events.asset.ts"), ASSET);
  symlinkSync(data, join(dir, ".dagx", "data"));
  return dir;
};
const pg = await startPostgres();
const url = `${pg.url}?schema=bench`;
const env = { ...process.env, NO_COLOR: "1", CI: "1", DAGX_STATE_URL: url, DAGX_WORKERS_SHARED_STORAGE: "1" };
const workers: Subprocess[] = [];
for (const [queue, count] of [["q1", 1], ["q2", 2], ["q4", 4]] as const) {
  for (let i = 0; i < count; i++) workers.push(Bun.spawn([BUN, "--no-env-file", CLI, "worker", "--concurrency", "1", "--queue", queue], { cwd: machine(), env, stdout: "ignore", stderr: "ignore" }));
}
const submitter = machine();
const db = new SQL(pg.url, { max: 1 });
const range = `2020-01-01..${new Date(Date.UTC(2020, 0, 1) + (STEPS - 1) * 86_400_000).toISOString().slice(0, 10)}`;
const cases: Record<string, string[]> = {
  "local -j 1": ["-j", "1"],
  "local -j 4": ["-j", "4"],
  "queue, 1 worker": ["--queue-name", "q1"],
  "queue, 2 workers": ["--queue-name", "q2"],
  "queue, 4 workers": ["--queue-name", "q4"],
};
const times = new Map<string, number[]>(Object.keys(cases).map((k) => [k, []]));
const loads: number[] = [];
try {
  await Bun.sleep(3_000); // the workers load the project
  for (let r = 0; r < ROUNDS + 1; r++) {
    for (const [name, flags] of Object.entries(cases)) {
      const p = Bun.spawnSync([BUN, "--no-env-file", CLI, "materialize", "events", "--partitions", range, "--json", ...flags], { cwd: submitter, env });
      if (p.exitCode !== 0) throw new Error(`${name}: ${p.stderr.toString()}`);
      const { runId } = JSON.parse(p.stdout.toString()) as { runId: string };
      const [row] = await db.unsafe("SELECT ended_at - started_at AS ms FROM bench.runs WHERE run_id = $1", [runId]);
      if (r > 0) times.get(name)!.push(Number(row?.ms)); // round 0 warms caches
      loads.push(loadavg()[0]!);
    }
  }
} finally {
  for (const w of workers) w.kill("SIGTERM");
  await Promise.all(workers.map((w) => w.exited));
  await db.close();
  await pg.stop();
  rmSync(root, { recursive: true, force: true });
}
console.log(`${STEPS} trivial steps, ${ROUNDS} rounds (medians), load average ${median(loads).toFixed(1)} during the runs`);
const localOne = median(times.get("local -j 1")!);
for (const [name, ms] of times) {
  const m = median(ms);
  console.log(`${name.padEnd(18)} ${String(Math.round(m)).padStart(6)} ms  ${(STEPS / (m / 1000)).toFixed(1).padStart(6)} steps/s  [${ms.map((x) => Math.round(x)).join(", ")}]`);
}
console.log(`queue overhead per step (1 worker − local -j 1): ${((median(times.get("queue, 1 worker")!) - localOne) / STEPS).toFixed(1)} ms`);
