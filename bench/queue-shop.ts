/**
 * The shop example (examples/shop) on a worker pool against a local run (issue 17, "Done when"):
 *
 *   bun bench/queue-shop.ts [--workers 2]
 *
 * Copies the example once per machine (a submitter and `workers` workers sharing one `.dagx/data`,
 * DAGX_WORKERS_SHARED_STORAGE=1) on a real Postgres state, and once more for a local run on its
 * own DuckDB state; materializes everything both ways and compares each asset's data version.
 * Exits 1 when one differs.
 */
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Subprocess } from "bun";
import { startPostgres } from "../tests/support/postgres.ts";

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const WORKERS = arg("workers", 2);
const REPO = join(import.meta.dir, "..");
const BUN = join(REPO, "node_modules/.bin/bun");
const CLI = join(REPO, "cli/main.ts");
const root = mkdtempSync(join(tmpdir(), "dagx-queue-shop-"));
const data = join(root, "data");
mkdirSync(data);
let n = 0;
const copy = (shared: boolean) => {
  const dir = join(root, `m${++n}`);
  cpSync(join(REPO, "examples/shop"), dir, { recursive: true, filter: (src) => !src.includes("/.dagx") });
  if (shared) {
    mkdirSync(join(dir, ".dagx"), { recursive: true });
    symlinkSync(data, join(dir, ".dagx", "data"));
  }
  return dir;
};
const dagx = (dir: string, args: string[], env: Record<string, string | undefined>) => {
  const p = Bun.spawnSync([BUN, "--no-env-file", CLI, ...args], { cwd: dir, env: { ...process.env, NO_COLOR: "1", CI: "1", ...env } });
  if (p.exitCode !== 0) throw new Error(`dagx ${args.join(" ")} (exit ${p.exitCode}): ${p.stderr.toString()}`);
  return p.stdout.toString();
};
const versions = (dir: string, env: Record<string, string | undefined>) =>
  new Map((JSON.parse(dagx(dir, ["status", "--json"], env)) as { key: string; lastMaterialization: { dataVersion: string } | null }[]).map((s) => [s.key, s.lastMaterialization?.dataVersion ?? null]));

const pg = await startPostgres();
const env = { DAGX_STATE_URL: `${pg.url}?schema=shop`, DAGX_WORKERS_SHARED_STORAGE: "1" };
const workers: Subprocess[] = [];
let differ = 0;
try {
  for (let i = 0; i < WORKERS; i++) workers.push(Bun.spawn([BUN, "--no-env-file", CLI, "worker"], { cwd: copy(true), env: { ...process.env, ...env }, stdout: "ignore", stderr: "ignore" }));
  const submitter = copy(true);
  const t0 = performance.now();
  dagx(submitter, ["materialize", "--queue"], env);
  const queuedMs = performance.now() - t0;
  const local = copy(false);
  const t1 = performance.now();
  dagx(local, ["materialize"], { DAGX_STATE_URL: undefined });
  const localMs = performance.now() - t1;
  const q = versions(submitter, env);
  const l = versions(local, { DAGX_STATE_URL: undefined });
  for (const [key, v] of l) {
    const same = q.get(key) === v;
    if (!same) differ++;
    console.log(`${key.padEnd(22)} local ${v ?? "-"}  queued ${q.get(key) ?? "-"}${same ? "" : "  <-- DIFFERS"}`);
  }
  console.log(`\n${l.size - differ}/${l.size} assets with the same data version; queued run ${Math.round(queuedMs)} ms on ${WORKERS} workers, local ${Math.round(localMs)} ms (wall, CLI start-up included)`);
} finally {
  for (const w of workers) w.kill("SIGTERM");
  await Promise.all(workers.map((w) => w.exited));
  await pg.stop();
  rmSync(root, { recursive: true, force: true });
}
process.exit(differ ? 1 : 0);
