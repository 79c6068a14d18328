/**
 * `dagx materialize` of a dbt project's assets vs a plain `dbt build` of the same selection
 * (examples/dbt-shop, the dbt of tests/support/dbt.ts). Both runs build the same 4 nodes and 6
 * tests into the same DuckDB file; interleaved, medians and the ratio (goal ≤ 1.1×).
 *
 * A third side, always: dagx with `DAGX_DBT_WORKER=0` (dbt spawned per command, as before the dbt
 * worker of io/dbt/_worker.ts) — in one CLI process the worker only saves the commands after the
 * first, so this is the cost of starting it.
 *
 * With `--dagster`, another side: Dagster's dbt integration (`@dbt_assets` + `DbtCliResource`,
 * `dagster asset materialize --select '*'`) on the same project and selection, from a pinned venv
 * cached outside the repo (bench/dagster/venv.ts DBT_REQUIREMENTS; same dbt-core and dbt-duckdb).
 *
 *   bun bench/dbt.bench.ts [repetitions=5] [--dagster]
 */
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { dbtExecutable } from "../tests/support/dbt.ts";
import { DBT_REQUIREMENTS, ensureVenv } from "./dagster/venv.ts";

const withDagster = process.argv.includes("--dagster");
const reps = Number(process.argv.slice(2).find((a) => /^\d+$/.test(a)) ?? 5);
const root = join(import.meta.dir, "..");
const dir = mkdtempSync(join(tmpdir(), "dagx-dbt-bench-"));
// the measured selection (4 nodes, 6 tests): the example's country_revenue → country_share pair is left out, so Dagster's `--select '*'` builds the same nodes
cpSync(join(root, "examples/dbt-shop"), dir, { recursive: true, filter: (s) => !/\/(\.dagx|target|logs)(\/|$)|\.duckdb$|\.parquet$|country_(revenue|share)/.test(s) });
const dbt = await dbtExecutable();
const env: Record<string, string | undefined> = { ...process.env, DAGX_DBT_EXECUTABLE: dbt, DBT_SEND_ANONYMOUS_USAGE_STATS: "false", DAGX_PROJECT_ROOT: dir, NO_COLOR: "1" };
const dagxCmd = (args: string[]) => [process.execPath, "--no-env-file", join(root, "cli/main.ts"), ...args];

function time(cmd: string[], cwd: string, extra: Record<string, string> = {}): number {
  const t0 = performance.now();
  const r = Bun.spawnSync(cmd, { cwd, env: { ...env, ...extra }, stdout: "pipe", stderr: "pipe" });
  if (r.exitCode !== 0) throw new Error(`${cmd.join(" ")} failed: ${r.stderr.toString()}${r.stdout.toString()}`);
  return performance.now() - t0;
}

const DBT_KEYS = ["customers", "stg_customers", "stg_orders", "marts/customer_revenue"];
time(dagxCmd(["materialize", "*"]), dir); // warm: orders, the parse cache, the venv
const selectors = ["fqn:shop.customers", "fqn:shop.staging.stg_customers", "fqn:shop.staging.stg_orders", "fqn:shop.marts.customer_revenue"];
const plain = [dbt, "build", "--select", ...selectors, "--target-path", join(dir, ".bench-target"), "--profiles-dir", "."];
// Dagster's side: the manifest comes from one `dbt parse` before timing (dagx's parse is cached too)
let dagster: string[] | undefined;
if (withDagster) {
  const venv = ensureVenv(undefined, { name: "dagster-dbt-venv", requirements: DBT_REQUIREMENTS });
  const vdbt = join(venv.dir, "bin", "dbt");
  writeFileSync(
    join(dir, "dagster_defs.py"),
    [
      "from pathlib import Path",
      "from dagster import Definitions",
      "from dagster_dbt import DbtCliResource, dbt_assets",
      "DBT = Path(__file__).parent / 'dbt'",
      "@dbt_assets(manifest=DBT / 'target' / 'manifest.json')",
      "def shop(context, dbt: DbtCliResource):",
      "    yield from dbt.cli(['build'], context=context).stream()",
      `defs = Definitions(assets=[shop], resources={'dbt': DbtCliResource(project_dir=str(DBT), profiles_dir=str(DBT), dbt_executable=${JSON.stringify(vdbt)})})`,
      "",
    ].join("\n"),
  );
  time([vdbt, "parse", "--profiles-dir", "."], join(dir, "dbt"));
  mkdirSync(join(dir, "dagster-home"), { recursive: true });
  env.DAGSTER_HOME = join(dir, "dagster-home");
  dagster = [venv.dagster, "asset", "materialize", "-f", "dagster_defs.py", "--select", "*"];
  time(dagster, dir); // warm
  console.error(`dagster side: ${JSON.stringify(venv.versions)}`);
}
const a: number[] = [];
const b: number[] = [];
const c: number[] = [];
const d: number[] = [];
for (let i = 0; i < reps; i++) {
  a.push(time(dagxCmd(["materialize", ...DBT_KEYS]), dir));
  d.push(time(dagxCmd(["materialize", ...DBT_KEYS]), dir, { DAGX_DBT_WORKER: "0" }));
  b.push(time(plain, join(dir, "dbt")));
  if (dagster) c.push(time(dagster, dir));
}
const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;
const ma = median(a);
const mb = median(b);
const dagsterPart = dagster ? { dagster_ms: Math.round(median(c)), dagx_vs_dagster: +(ma / median(c)).toFixed(2), dagster_vs_dbt: +(median(c) / mb).toFixed(2), dagster: c.map(Math.round) } : {};
const load = (await Bun.file("/proc/loadavg").text().catch(() => "")).split(" ").slice(0, 3).join(" ");
console.log(
  JSON.stringify({
    reps,
    load,
    dagx_ms: Math.round(ma),
    dagx_spawn_ms: Math.round(median(d)),
    dbt_build_ms: Math.round(mb),
    ratio: +(ma / mb).toFixed(2),
    ratio_spawn: +(median(d) / mb).toFixed(2),
    ...dagsterPart,
    dagx: a.map(Math.round),
    dagx_spawn: d.map(Math.round),
    dbt: b.map(Math.round),
  }),
);
rmSync(dir, { recursive: true, force: true });
