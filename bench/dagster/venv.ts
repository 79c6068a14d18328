/**
 * The Dagster side's Python environment: a virtual environment OUTSIDE the repo
 * (`~/.cache/dagx-bench/dagster-venv`, or `$DAGX_BENCH_CACHE/dagster-venv`), created once with
 * pinned requirements and reused while they do not change (a marker file holds them).
 *
 *   bun bench/dagster/venv.ts            # create or check it, print the installed versions
 *
 * Pins: Dagster 1.13.28 (the release issue 12's earlier measurement used) and Python `duckdb` at
 * exactly the DuckDB that @duckdb/node-api 1.5.5-r.5 embeds (`select version()` → v1.5.5), so
 * both sides run the same engine on the SQL case. `dagster-duckdb` is not installed: its last
 * release (0.29.27) pins `dagster==1.13.27`, and the SQL case's Dagster assets call `duckdb`
 * directly (what its `DuckDBResource` wraps), the leanest Dagster form of the pipeline.
 * `$DAGX_BENCH_PYTHON` picks the interpreter (default `python3`).
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

export const REQUIREMENTS = ["dagster==1.13.28", "duckdb==1.5.5"];

/**
 * The dbt comparison's venv (bench/dbt.bench.ts --dagster): dagster-dbt's newest release (0.29.27)
 * pins `dagster==1.13.27`; dbt at the tests' pins (tests/support/dbt.ts) so both sides run the same dbt.
 */
export const DBT_REQUIREMENTS = ["dagster==1.13.27", "dagster-dbt==0.29.27", "dbt-core==1.11.16", "dbt-duckdb==1.11.1", "duckdb==1.5.5"];

/** Which venv: its folder name under the cache and what pip installs. */
export interface VenvSpec {
  name: string;
  requirements: readonly string[];
}

/** Folder for the bench's caches (venv, generated CSV): never inside the repo. */
export function cacheDir(): string {
  const dir = process.env.DAGX_BENCH_CACHE ?? path.join(os.homedir(), ".cache", "dagx-bench");
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

export interface Venv {
  dir: string;
  python: string;
  /** The `dagster` console script of the venv. */
  dagster: string;
  /** Installed versions: python, dagster, duckdb. */
  versions: Record<string, string>;
  /** Minutes spent creating it now (0 when reused). */
  createdMin: number;
}

function run(cmd: string[], what: string): string {
  const r = Bun.spawnSync(cmd, { stdout: "pipe", stderr: "pipe", env: { ...process.env, PIP_DISABLE_PIP_VERSION_CHECK: "1" } });
  if (r.exitCode !== 0) throw new Error(`${what} failed (exit ${r.exitCode}): ${cmd.join(" ")}\n${r.stderr.toString().slice(-3000)}`);
  return r.stdout.toString();
}

function versionsOf(python: string, requirements: readonly string[]): Record<string, string> {
  const names = requirements.map((r) => r.split(/[=<>]/)[0]!);
  const script = [
    "import json, sys, importlib.metadata as m",
    `print(json.dumps({'python': sys.version.split()[0], **{p: m.version(p) for p in ${JSON.stringify(names)}}}))`,
  ].join("\n");
  return JSON.parse(run([python, "-c", script], "reading the venv's versions").trim().split("\n").at(-1)!) as Record<string, string>;
}

/** The venv, created (pip install, a few minutes the first time) when missing or when the pins changed. */
export function ensureVenv(log: (line: string) => void = (l) => console.error(l), spec: VenvSpec = { name: "dagster-venv", requirements: REQUIREMENTS }): Venv {
  const { requirements } = spec;
  const dir = path.join(cacheDir(), spec.name);
  const python = path.join(dir, "bin", "python");
  const marker = path.join(dir, "dagx-bench-requirements.txt");
  const wanted = `${requirements.join("\n")}\n`;
  let createdMin = 0;
  if (!fs.existsSync(python) || !fs.existsSync(marker) || fs.readFileSync(marker, "utf8") !== wanted) {
    const t0 = performance.now();
    const base = process.env.DAGX_BENCH_PYTHON ?? "python3";
    log(`creating ${dir} (${base}; pip install ${requirements.join(" ")}; a few minutes, cached afterwards)`);
    fs.rmSync(dir, { recursive: true, force: true });
    run([base, "-m", "venv", dir], "python -m venv");
    run([python, "-m", "pip", "install", "--quiet", "--upgrade", "pip"], "pip upgrade");
    run([python, "-m", "pip", "install", "--quiet", ...requirements], "pip install");
    fs.writeFileSync(marker, wanted);
    createdMin = (performance.now() - t0) / 60_000;
  }
  return { dir, python, dagster: path.join(dir, "bin", "dagster"), versions: versionsOf(python, requirements), createdMin };
}

if (import.meta.main) {
  const v = ensureVenv();
  console.log(JSON.stringify(v, null, 2));
}
