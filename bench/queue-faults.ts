/**
 * Fault test of the work queue (issue 17; docs/workers.md), not part of `npm test`:
 *
 *   bun bench/queue-faults.ts [--trials 30] [--partitions 12] [--workers 3] [--lease-ms 500]
 *
 * A real Postgres, `workers` real `dagx worker` processes, each in its own copy of a project (one
 * shared `.dagx/data`, DAGX_WORKERS_SHARED_STORAGE=1). Each trial enqueues a run of `partitions`
 * daily partitions of an asset that sleeps 50–300 ms (retry: 3), kills one worker with SIGKILL at
 * a random moment of the run and starts a replacement (`--restart-postgres`: crashes Postgres
 * instead and starts it again), then checks: the run succeeded, and every
 * partition has exactly one materialization in the run — in the history table, in the events and
 * as the latest row — none twice, none lost.
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SQL, type Subprocess } from "bun";
import { startPostgres } from "../tests/support/postgres.ts";

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const TRIALS = arg("trials", 30);
const PARTS = arg("partitions", 12);
const WORKERS = arg("workers", 3);
const LEASE_MS = arg("lease-ms", 500);
/** `--restart-postgres`: instead of killing a worker, crash Postgres (SIGKILL) mid-run and start it again. */
const RESTART = process.argv.includes("--restart-postgres");
const REPO = join(import.meta.dir, "..");
const BUN = join(REPO, "node_modules/.bin/bun");
const CLI = join(REPO, "cli/main.ts");

const ASSET = `import { asset, daily } from "dagx";
export const events = asset({ partitions: daily({ start: "2020-01-01" }), retry: { maxRetries: 3, delay: "0s" } }, async (ctx) => {
  await Bun.sleep(50 + Math.floor(Math.random() * 250));
  return [{ day: ctx.partition!.key }];
});
`;

const root = mkdtempSync(join(tmpdir(), "dagx-queue-faults-"));
const data = join(root, "data");
mkdirSync(data);
let machines = 0;
const machine = () => {
  const dir = join(root, `m${++machines}`);
  mkdirSync(join(dir, ".dagx"), { recursive: true });
  writeFileSync(join(dir, "events.asset.ts"), ASSET);
  symlinkSync(data, join(dir, ".dagx", "data"));
  return dir;
};

// a crash loses what synchronous_commit=off acknowledged but had not written: the restart trials run durable
const pg = await startPostgres({ durable: RESTART });
const url = `${pg.url}?schema=faults`;
const env = { ...process.env, NO_COLOR: "1", CI: "1", DAGX_STATE_URL: url, DAGX_WORKERS_SHARED_STORAGE: "1", DAGX_LEASE_MS: String(LEASE_MS) };
const spawnWorker = (): Subprocess => Bun.spawn([BUN, "--no-env-file", CLI, "worker", "--concurrency", "2"], { cwd: machine(), env, stdout: "ignore", stderr: "ignore" });
const submitter = machine();
const db = new SQL(pg.url, { max: 1 });
const workers: Subprocess[] = Array.from({ length: WORKERS }, spawnWorker);
const day = (n: number) => new Date(Date.UTC(2020, 0, 1) + n * 86_400_000).toISOString().slice(0, 10);
let failures = 0;
const durations: number[] = [];
try {
  for (let t = 0; t < TRIALS; t++) {
    const range = `${day(t * PARTS)}..${day(t * PARTS + PARTS - 1)}`;
    const t0 = performance.now();
    const sub = Bun.spawnSync([BUN, "--no-env-file", CLI, "materialize", "events", "--partitions", range, "--queue", "--detach"], { cwd: submitter, env });
    const runId = sub.stdout.toString().trim();
    if (sub.exitCode !== 0 || !runId) throw new Error(`submit failed: ${sub.stderr.toString()}`);
    // kill one worker at a random moment of the run (its expected length: partitions × ~175 ms / (workers × 2))
    await Bun.sleep(Math.random() * ((PARTS * 175) / (WORKERS * 2)));
    if (RESTART) await pg.restart({ crash: true });
    else {
      const victim = Math.floor(Math.random() * workers.length);
      workers[victim]!.kill(9);
      workers[victim] = spawnWorker();
    }
    let status = "running";
    while (status === "running") {
      await Bun.sleep(100);
      const [r] = await db.unsafe("SELECT status FROM faults.runs WHERE run_id = $1", [runId]).catch(() => [] as never[]);
      status = String((r as { status?: string } | undefined)?.status ?? "running");
      if (performance.now() - t0 > 120_000) throw new Error(`trial ${t}: run ${runId} did not end`);
    }
    durations.push(performance.now() - t0);
    const history = await db.unsafe("SELECT partition_key, count(*)::int AS n FROM faults.materializations WHERE run_id = $1 GROUP BY 1", [runId]);
    const events = await db.unsafe("SELECT partition_key, count(*)::int AS n FROM faults.events WHERE run_id = $1 AND type = 'materialization' GROUP BY 1", [runId]);
    const latest = await db.unsafe("SELECT count(*)::int AS n FROM faults.latest_materializations WHERE run_id = $1", [runId]);
    const retries = await db.unsafe("SELECT count(*)::int AS n FROM faults.events WHERE run_id = $1 AND type = 'step_retry'", [runId]);
    const once = (rows: { n: number }[]) => rows.length === PARTS && rows.every((r) => r.n === 1);
    const good = status === "success" && once(history as never) && once(events as never) && Number(latest[0]?.n) === PARTS;
    if (!good) failures++;
    console.log(`trial ${t + 1}/${TRIALS}: ${status}, ${history.length} partitions materialized (each once: ${once(history as never)}), ${retries[0]?.n} retried after the ${RESTART ? "restart" : "kill"}, ${Math.round(performance.now() - t0)} ms${good ? "" : "  <-- FAILED"}`);
  }
} finally {
  for (const w of workers) w.kill(9);
  await db.close();
  await pg.stop();
  rmSync(root, { recursive: true, force: true });
}
durations.sort((a, b) => a - b);
console.log(`\n${TRIALS - failures}/${TRIALS} trials exactly once; median trial ${Math.round(durations[Math.floor(durations.length / 2)] ?? 0)} ms (${PARTS} partitions, ${WORKERS} workers, lease ${LEASE_MS} ms${RESTART ? ", Postgres crashed and restarted in each" : ""})`);
process.exit(failures ? 1 : 0);
