/**
 * `dagx materialize` of a dbt project's assets vs a plain `dbt build` of the same selection
 * (examples/dbt-shop, the dbt of tests/support/dbt.ts). Both runs build the same 4 nodes and 6
 * tests into the same DuckDB file; interleaved, medians and the ratio (goal ≤ 1.1×).
 *
 *   bun bench/dbt.bench.ts [repetitions=5]
 */
import { cpSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { dbtExecutable } from "../tests/support/dbt.ts";

const reps = Number(process.argv[2] ?? 5);
const root = join(import.meta.dir, "..");
const dir = mkdtempSync(join(tmpdir(), "dagx-dbt-bench-"));
cpSync(join(root, "examples/dbt-shop"), dir, { recursive: true, filter: (s) => !/\/(\.dagx|target|logs)(\/|$)|\.duckdb$|\.parquet$/.test(s) });
const dbt = await dbtExecutable();
const env = { ...process.env, DAGX_DBT_EXECUTABLE: dbt, DBT_SEND_ANONYMOUS_USAGE_STATS: "false", DAGX_PROJECT_ROOT: dir, NO_COLOR: "1" };
const dagxCmd = (args: string[]) => [process.execPath, "--no-env-file", join(root, "cli/main.ts"), ...args];

function time(cmd: string[], cwd: string): number {
  const t0 = performance.now();
  const r = Bun.spawnSync(cmd, { cwd, env, stdout: "pipe", stderr: "pipe" });
  if (r.exitCode !== 0) throw new Error(`${cmd.join(" ")} failed: ${r.stderr.toString()}${r.stdout.toString()}`);
  return performance.now() - t0;
}

const DBT_KEYS = ["customers", "stg_customers", "stg_orders", "marts/customer_revenue"];
time(dagxCmd(["materialize", "*"]), dir); // warm: orders, the parse cache, the venv
const selectors = ["fqn:shop.customers", "fqn:shop.staging.stg_customers", "fqn:shop.staging.stg_orders", "fqn:shop.marts.customer_revenue"];
const plain = [dbt, "build", "--select", ...selectors, "--target-path", join(dir, ".bench-target"), "--profiles-dir", "."];
const a: number[] = [];
const b: number[] = [];
for (let i = 0; i < reps; i++) {
  a.push(time(dagxCmd(["materialize", ...DBT_KEYS]), dir));
  b.push(time(plain, join(dir, "dbt")));
}
const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;
const ma = median(a);
const mb = median(b);
console.log(JSON.stringify({ reps, dagx_ms: Math.round(ma), dbt_build_ms: Math.round(mb), ratio: +(ma / mb).toFixed(2), dagx: a.map(Math.round), dbt: b.map(Math.round) }));
rmSync(dir, { recursive: true, force: true });
