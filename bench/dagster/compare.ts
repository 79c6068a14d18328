/**
 * `npm run bench:dagster`: dagx against Dagster on the same work, side by side (never part of
 * `npm test` or `npm run bench`: it needs Python and, the first time, PyPI).
 *
 *   bun bench/dagster/compare.ts [--runs N] [--only trivial,chain-100,chain-1000,list-1000,partitions,sql-1m] [--out FILE]
 *
 * Dagster runs from a pinned virtual environment cached outside the repo (bench/dagster/venv.ts),
 * with the in-process executor (its leanest setup), `DAGSTER_HOME` in a temp folder (telemetry
 * off), via its own CLI: `dagster asset materialize -f defs.py` (a `--partition-range` for the
 * single-run backfill) and `dagster asset list`. dagx runs as the compiled binary (dist/dagx).
 * The projects are bench/dagster/projects.ts. Each case: one warm-up round (it also creates each
 * side's state, so the measured runs are re-runs on both sides, and Python's bytecode cache is
 * warm), then N rounds alternating dagx and Dagster. Reported: medians of wall time, CPU
 * (user + sys of the command and every process it waited for) and the peak RSS of the largest
 * single process (bench/_measure.ts), and dagx/Dagster ratios. After the runs both sides'
 * outputs are compared (values, partition counts, row counts and checksums).
 */
import fs from "node:fs";
import path from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { measureOk, type Measured } from "../_measure.ts";
import { cliEnv, ensureBinary, formatTable, machine, makeTempDir, median, removeDir, round, writeFiles } from "../_util.ts";
import { dagxOutputs } from "../sql-floor.bench.ts";
import { checksum, ensureTradesCsv } from "../sql/pipeline.ts";
import { chain, dagsterOutputs, type Files, manyFiles, PARTITION_DAYS, PARTITION_RANGE, partitions, sql, trivial } from "./projects.ts";
import { cacheDir, ensureVenv, type Venv } from "./venv.ts";
import { extractedDuckDBLibraries, readBackFromDisk } from "../memory.bench.ts";

interface Side {
  dir: string;
  cmd: string[];
  env: Record<string, string | undefined>;
}

interface Case {
  name: string;
  what: string;
  /** Rounds for this case (the 1,000-asset chain takes Dagster minutes a run: one round). */
  runs: (n: number) => number;
  setup(root: string, tools: { dagx: string; venv: Venv }): { dagx: Side; dagster: Side; verify(): Promise<{ dagx: unknown; dagster: unknown }> };
}

const python = (venv: Venv, env: Side["env"], code: string): string => {
  const r = Bun.spawnSync([venv.python, "-c", code], { env, stdout: "pipe", stderr: "pipe" });
  if (r.exitCode !== 0) throw new Error(`python check failed: ${r.stderr.toString().slice(-2000)}`);
  return r.stdout.toString().trim();
};

function sides(root: string, files: { dagx: Files; dagster: Files }, tools: { dagx: string; venv: Venv }, dagxArgs: string[], dagsterArgs: string[]) {
  const dagxDir = path.join(root, "dagx");
  const dagsterDir = path.join(root, "dagster");
  const home = path.join(root, "dagster-home");
  writeFiles(dagxDir, files.dagx);
  writeFiles(dagsterDir, files.dagster);
  writeFiles(home, { "dagster.yaml": "telemetry:\n  enabled: false\n" });
  const dagsterEnv = { ...process.env, DAGSTER_HOME: home, PYTHONWARNINGS: "ignore" };
  return {
    dagx: { dir: dagxDir, cmd: [tools.dagx, ...dagxArgs], env: cliEnv() },
    dagster: { dir: dagsterDir, cmd: [tools.venv.dagster, ...dagsterArgs, "-f", "defs.py"], env: dagsterEnv },
    home,
  };
}

const MATERIALIZE_ALL = ["asset", "materialize", "--select", "*"];
const dagxValue = (dir: string, key: string) => JSON.parse(fs.readFileSync(path.join(dir, ".dagx", "data", key, "value.json"), "utf8"));
const dagsterValue = (venv: Venv, s: Side, home: string, key: string) => JSON.parse(python(venv, s.env, `import pickle, json; print(json.dumps(pickle.load(open(${JSON.stringify(path.join(home, "storage", key))}, "rb"))))`));

function valueCase(name: string, what: string, runs: Case["runs"], files: () => { dagx: Files; dagster: Files }, last: string): Case {
  return {
    name,
    what,
    runs,
    setup(root, tools) {
      const s = sides(root, files(), tools, ["materialize", "*"], MATERIALIZE_ALL);
      return { ...s, verify: async () => ({ dagx: dagxValue(s.dagx.dir, last), dagster: dagsterValue(tools.venv, s.dagster, s.home, last) }) };
    },
  };
}

async function withDuckDB<T>(fn: (conn: Awaited<ReturnType<DuckDBInstance["connect"]>>) => Promise<T>): Promise<T> {
  const db = await DuckDBInstance.create(":memory:");
  const conn = await db.connect();
  try {
    return await fn(conn);
  } finally {
    conn.closeSync();
    db.closeSync();
  }
}

const CASES: Case[] = [
  valueCase("trivial", "one trivial asset", (n) => n, trivial, "a"),
  valueCase("chain-100", "chain of 100 trivial assets", (n) => n, () => chain(100), "a99"),
  valueCase("chain-1000", "chain of 1,000 trivial assets", (n) => Math.min(n, 1), () => chain(1000), "a999"),
  {
    name: "list-1000",
    what: "list 1,000 assets in 100 files (`dagx list --json` / `dagster asset list`)",
    runs: (n) => n,
    setup(root, tools) {
      const s = sides(root, manyFiles(100, 10), tools, ["list", "--json"], ["asset", "list"]);
      return {
        ...s,
        verify: async () => {
          const dagxKeys = (JSON.parse(runText(s.dagx)) as { key: string }[]).map((a) => a.key).sort();
          const dagsterKeys = runText(s.dagster).split("\n").map((l) => l.trim()).filter((l) => /^a\d+_\d+$/.test(l)).sort();
          return { dagx: { assets: dagxKeys.length, keys: Bun.hash(dagxKeys.join()).toString(16) }, dagster: { assets: dagsterKeys.length, keys: Bun.hash(dagsterKeys.join()).toString(16) } };
        },
      };
    },
  },
  {
    name: "partitions",
    what: `daily asset × ${PARTITION_DAYS} partitions, one single-run backfill (\`dagx backfill\` / \`dagster asset materialize --partition-range\`)`,
    runs: (n) => n,
    setup(root, tools) {
      const out = path.join(root, "dagster-out", "days");
      fs.mkdirSync(path.dirname(out), { recursive: true });
      const s = sides(root, partitions(out), tools, ["backfill", "days", "--partitions", PARTITION_RANGE.dagx], ["asset", "materialize", "--select", "days", "--partition-range", PARTITION_RANGE.dagster]);
      return {
        ...s,
        verify: async () => {
          const count = (glob: string) => withDuckDB(async (c) => Number((await c.runAndReadAll(`select count(*)::BIGINT n, sum(v)::BIGINT s, count(distinct filename) f from read_parquet('${glob}', filename = true)`)).getRowObjectsJS()[0]!.f));
          const status = JSON.parse(runText({ ...s.dagx, cmd: [tools.dagx, "status", "--json"] })) as { key: string; partitions?: { materialized: number } }[];
          const dagxParts = (Array.isArray(status) ? status : (status as { assets: typeof status }).assets).find((a) => a.key === "days")?.partitions?.materialized;
          const dagsterParts = Number(python(tools.venv, s.dagster.env, `import dagster as dg; print(len(dg.DagsterInstance.get().get_materialized_partitions(dg.AssetKey("days"))))`));
          return {
            dagx: { partitions: dagxParts, files: await count(path.join(s.dagx.dir, ".dagx", "data", "days", "*", "data.parquet")) },
            dagster: { partitions: dagsterParts, files: await count(path.join(out, "*", "*.parquet")) },
          };
        },
      };
    },
  },
  {
    name: "sql-1m",
    what: "the 1M-row trades pipeline (CSV → Parquet → daily aggregate → top-N join), bench/sql",
    runs: (n) => n,
    setup(root, tools) {
      const csv = ensureTradesCsv(path.join(cacheDir(), "trades-1000000.csv")).file;
      const out = path.join(root, "dagster-out");
      fs.mkdirSync(out, { recursive: true });
      const s = sides(root, sql(csv, out), tools, ["materialize", "*"], MATERIALIZE_ALL);
      const sums = (files: Record<string, string>) => withDuckDB(async (c) => Object.fromEntries(await Promise.all(Object.entries(files).map(async ([k, f]) => [k, await checksum(c, f)]))));
      return { ...s, verify: async () => ({ dagx: await sums(dagxOutputs(s.dagx.dir)), dagster: await sums(dagsterOutputs(out)) }) };
    },
  },
];

function runText(s: Side): string {
  const r = Bun.spawnSync(s.cmd, { cwd: s.dir, env: s.env, stdout: "pipe", stderr: "pipe" });
  if (r.exitCode !== 0) throw new Error(`${s.cmd.join(" ")} failed: ${r.stderr.toString().slice(-2000)}`);
  return r.stdout.toString();
}

export interface CaseResult {
  name: string;
  what: string;
  runs: number;
  dagx: { ms: number; cpuMs: number; peakMB: number; processes: number };
  dagster: { ms: number; cpuMs: number; peakMB: number; processes: number };
  ratio: { wall: number; cpu: number; rss: number };
  same: { dagx: unknown; dagster: unknown };
}

const summarize = (ms: Measured[]) => ({
  ms: round(median(ms.map((m) => m.ms))),
  cpuMs: round(median(ms.map((m) => m.cpuMs))),
  peakMB: round(median(ms.map((m) => m.peakMB))),
  processes: Math.max(...ms.map((m) => m.processes)),
});

export async function run(options: { runs?: number; only?: string[] } = {}): Promise<{ venv: Venv; results: CaseResult[] }> {
  const venv = ensureVenv();
  const dagx = (await ensureBinary()).path;
  // both sides' files read back from disk, as installed ones are: a file just written (the build, pip)
  // maps more pages into RSS (docs/benchmarks.md, "Memory: one DuckDB instance or two, and the oversize arena")
  readBackFromDisk([dagx, ...extractedDuckDBLibraries(), venv.dir]);
  const results: CaseResult[] = [];
  for (const c of CASES.filter((x) => !options.only || options.only.includes(x.name))) {
    const root = makeTempDir(`dagx-vs-dagster-${c.name}-`);
    try {
      const s = c.setup(root, { dagx, venv });
      const runs = c.runs(options.runs ?? 5);
      const samples = { dagx: [] as Measured[], dagster: [] as Measured[] };
      for (let r = 0; r <= runs; r++) {
        for (const side of ["dagx", "dagster"] as const) {
          const m = await measureOk(s[side].cmd, { cwd: s[side].dir, env: s[side].env, timeoutMs: 900_000 });
          if (r > 0) samples[side].push(m);
        }
        console.error(`  ${c.name}: round ${r}/${runs} (dagx ${round(samples.dagx.at(-1)?.ms ?? 0)} ms, Dagster ${round(samples.dagster.at(-1)?.ms ?? 0)} ms)`);
      }
      const same = await s.verify();
      if (JSON.stringify(same.dagx) !== JSON.stringify(same.dagster)) throw new Error(`${c.name}: dagx and Dagster disagree: ${JSON.stringify(same)}`);
      const a = summarize(samples.dagx);
      const b = summarize(samples.dagster);
      results.push({ name: c.name, what: c.what, runs, dagx: a, dagster: b, same, ratio: { wall: round(a.ms / b.ms, 3), cpu: round(a.cpuMs / b.cpuMs, 3), rss: round(a.peakMB / b.peakMB, 3) } });
    } finally {
      removeDir(root);
    }
  }
  return { venv, results };
}

const fmtMs = (ms: number) => (ms >= 10_000 ? `${round(ms / 1000, 1)} s` : ms >= 1000 ? `${round(ms / 1000, 2)} s` : `${Math.round(ms)} ms`);

/** The results as the markdown table docs/benchmarks.md shows. */
export function markdownTable(results: CaseResult[]): string {
  const rows = results.map((r) =>
    `| ${r.what} | ${fmtMs(r.dagx.ms)} / ${fmtMs(r.dagx.cpuMs)} / ${Math.round(r.dagx.peakMB)} MB | ${fmtMs(r.dagster.ms)} / ${fmtMs(r.dagster.cpuMs)} / ${Math.round(r.dagster.peakMB)} MB | ${r.ratio.wall}× / ${r.ratio.cpu}× / ${r.ratio.rss}× |`,
  );
  return ["| case | dagx wall / CPU / RSS | Dagster wall / CPU / RSS | dagx ÷ Dagster (wall / CPU / RSS) |", "|---|---:|---:|---:|", ...rows].join("\n");
}

if (import.meta.main) {
  const arg = (name: string) => {
    const i = process.argv.indexOf(name);
    return i > 0 ? process.argv[i + 1] : undefined;
  };
  const m0 = machine();
  const { venv, results } = await run({ runs: arg("--runs") ? Number(arg("--runs")) : undefined, only: arg("--only")?.split(",") });
  const m1 = machine();
  console.log(`\ndagx vs Dagster ${venv.versions.dagster} (Python ${venv.versions.python}, duckdb ${venv.versions.duckdb}, in-process executor) — ${m0.cpus} CPUs, load ${m0.load1} → ${m1.load1}\n`);
  console.log(
    formatTable(
      ["case", "runs", "dagx wall", "CPU", "RSS MB", "Dagster wall", "CPU", "RSS MB", "procs", "wall ×", "CPU ×", "RSS ×"],
      results.map((r) => [r.name, r.runs, fmtMs(r.dagx.ms), fmtMs(r.dagx.cpuMs), r.dagx.peakMB, fmtMs(r.dagster.ms), fmtMs(r.dagster.cpuMs), r.dagster.peakMB, r.dagster.processes, r.ratio.wall, r.ratio.cpu, r.ratio.rss]),
    ),
  );
  console.log(`\n${markdownTable(results)}\n\nSame outputs: ${results.map((r) => `${r.name} ${JSON.stringify(r.same.dagx)}`).join("; ")}`);
  const out = arg("--out") ?? path.join(import.meta.dir, "..", "dagster-results.json");
  fs.writeFileSync(out, `${JSON.stringify({ at: new Date().toISOString(), machine: { ...m0, load1AtEnd: m1.load1 }, versions: venv.versions, results }, null, 2)}\n`);
  console.log(`All figures: ${out}`);
}
