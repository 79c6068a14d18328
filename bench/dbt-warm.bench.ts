/**
 * The dbt worker (io/dbt/_worker.ts) where it pays: several dbt runs in one dagx process, as in
 * `dagx dev`, the daemon or `dagx ui`'s launches. examples/dbt-shop's four dbt nodes (and six tests)
 * are materialized over and over in this process (the CLI's `run()`, as the tests call it), with the
 * worker (started by a warm-up run) and with `DAGX_DBT_WORKER=0` (dbt spawned per command), next to
 * a plain `dbt build` of the same selection; interleaved, medians, and the load.
 *
 *   bun bench/dbt-warm.bench.ts [repetitions=7]
 */
import { cpSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runDagx } from "../tests/cli/helpers.ts";
import { dbtExecutable } from "../tests/support/dbt.ts";

const reps = Number(process.argv[2] ?? 7);
const root = join(import.meta.dir, "..");
const dir = mkdtempSync(join(tmpdir(), "dagx-dbt-warm-"));
cpSync(join(root, "examples/dbt-shop"), dir, { recursive: true, filter: (s) => !/\/(\.dagx|target|logs)(\/|$)|\.duckdb$|\.parquet$|country_(revenue|share)/.test(s) });
const dbt = await dbtExecutable();
const env = { DAGX_DBT_EXECUTABLE: dbt, DBT_SEND_ANONYMOUS_USAGE_STATS: "false" };
const KEYS = ["customers", "stg_customers", "stg_orders", "marts/customer_revenue"];
const selectors = ["fqn:shop.customers", "fqn:shop.staging.stg_customers", "fqn:shop.staging.stg_orders", "fqn:shop.marts.customer_revenue"];

async function dagx(extra: Record<string, string>): Promise<number> {
  const t0 = performance.now();
  const r = await runDagx(dir, ["materialize", ...KEYS], { env: { ...env, ...extra } });
  if (r.code !== 0) throw new Error(`materialize failed: ${r.stderr}`);
  return performance.now() - t0;
}

function plain(): number {
  const t0 = performance.now();
  const r = Bun.spawnSync([dbt, "build", "--select", ...selectors, "--target-path", join(dir, ".bench-target"), "--profiles-dir", "."], {
    cwd: join(dir, "dbt"),
    env: { ...process.env, ...env, DAGX_PROJECT_ROOT: dir },
    stdout: "pipe",
    stderr: "pipe",
  });
  if (r.exitCode !== 0) throw new Error(`dbt build failed: ${r.stdout.toString()}`);
  return performance.now() - t0;
}

const warmup = await runDagx(dir, ["materialize", "*"], { env }); // orders, the parse cache, the worker
if (warmup.code !== 0) throw new Error(`warm-up failed: ${warmup.stderr}`);
plain();
const worker: number[] = [];
const spawn: number[] = [];
const dbtBuild: number[] = [];
for (let i = 0; i < reps; i++) {
  worker.push(await dagx({}));
  spawn.push(await dagx({ DAGX_DBT_WORKER: "0" }));
  dbtBuild.push(plain());
}
const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;
const load = (await Bun.file("/proc/loadavg").text().catch(() => "")).split(" ").slice(0, 3).join(" ");
console.log(
  JSON.stringify({
    reps,
    load,
    dagx_worker_ms: Math.round(median(worker)),
    dagx_spawn_ms: Math.round(median(spawn)),
    dbt_build_ms: Math.round(median(dbtBuild)),
    worker_vs_dbt: +(median(worker) / median(dbtBuild)).toFixed(2),
    spawn_vs_dbt: +(median(spawn) / median(dbtBuild)).toFixed(2),
    worker: worker.map(Math.round),
    spawn: spawn.map(Math.round),
    dbt: dbtBuild.map(Math.round),
  }),
);
rmSync(dir, { recursive: true, force: true });
process.exit(0);
