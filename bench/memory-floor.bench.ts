/**
 * The memory floor of dagx's stack (issue 12, target 1: peak RSS ≤ 0.7× Dagster's). dagx must be
 * one Bun binary with an embedded DuckDB holding its state; this bench measures what that stack
 * alone costs, layer by layer, with small programs compiled exactly as dist/dagx is
 * (scripts/build.ts: `bun build --compile`, bytecode, DuckDB embedded and loaded through
 * io/platform/duckdb-embedded.ts with its allocator tuning), beside dagx's own figure on the same
 * cases and Dagster's:
 *
 *   empty     (a) bench/memory-floor/empty.ts: a compiled Bun program that does nothing
 *   load          bench/memory-floor/stack.ts load: + import @duckdb/node-api (libduckdb loaded)
 *   select1   (b) + an in-memory DuckDB instance (1 thread, as dagx's state host) and `select 1`
 *   state     (c) + one state session: ATTACH a file with dagx's schema and the block size dagx
 *                   gives a new state file (64 KiB, io/state/_session.ts), a run record in a
 *                   transaction, DETACH (checkpoint) — a re-run on a file a warm-up created
 *   defs-*    (d) + the definitions of the dagx case imported (not run) before the state session,
 *                   whose transaction also holds the least the run records (one materialization and
 *                   two events per step, in SQL); for the daily asset × 366 also the work, 366 one-day
 *                   COPY … TO Parquet in a second instance (default threads), without dagx's extras
 *   *@16k         the same stages on a state file created with 16 KiB blocks, DuckDB's smallest (its
 *                 default, which dagx used before, is 256 KiB)
 *   direct    (e) bench/sql/direct.ts compiled the same way: the 1M-row SQL pipeline's three
 *                   COPY statements in one in-memory DuckDB, nothing else (allocator decay 0 throughout)
 *   direct@work   the same with the allocator a dagx run uses for its own DuckDB (1 s decay, buffers
 *                 ≥ 8 MiB returned at once: io/platform/allocator.ts), which is faster than decay 0
 *
 * dagx's figure per case is bench/memory.bench.ts's (`dagx materialize`, re-runs), measured in the
 * same interleaved rounds. Dagster's is the last `npm run bench:dagster` (docs/benchmarks.md) unless
 * `--dagster` measures it again (slow: the chain of 1,000 takes Dagster over a minute a run).
 *
 * Peak RSS is `/usr/bin/time -f %M` (ru_maxrss: anonymous and file-backed pages, as for Dagster);
 * `--breakdown` also samples /proc/<pid>/status every ms for the largest RssAnon and RssFile.
 *
 *   bun bench/memory-floor.bench.ts [--runs N] [--cases trivial,chain100,…] [--no-dagx] [--dagster] [--breakdown]
 */
import fs from "node:fs";
import path from "node:path";
import { ensureBinary, type Figures, machineFigures, makeTempDir, median, printFigures, removeDir, round } from "./_util.ts";
import { cacheDir } from "./dagster/venv.ts";
import { CASES, measure, type Measured } from "./memory.bench.ts";
import { directBinary } from "./sql-floor.bench.ts";
import { ensureTradesCsv } from "./sql/pipeline.ts";
import { NEW_FILE_BLOCK_SIZE } from "../io/state/_session.ts";
import { DUCKDB_MALLOC_CONF_ENV, DUCKDB_OVERSIZE_BYTES, DUCKDB_WORK_DECAY_MS } from "../io/platform/allocator.ts";
import { dropPageCache } from "../io/platform/page-cache.ts";

const TIME = "/usr/bin/time";
/** The smaller state-file block size the `@16k` stages create their files with (bytes). */
const SMALL_BLOCK = 16_384;
const HERE = path.join(import.meta.dir, "memory-floor");

/**
 * Dagster 1.13.28's largest process (in-process executor, re-runs, Python duckdb 1.5.5), MB:
 * `npm run bench:dagster`, 5 Dec 2026 08:22–09:04 UTC (docs/benchmarks.md, "Memory: second cut and
 * the floor for every case").
 */
export const DAGSTER_MB: Record<string, number> = { trivial: 109.6, chain100: 114.2, chain1000: 152.3, daily366: 158.4, sql1m: 261.9 };
/** bench:dagster's name of each case. */
const DAGSTER_CASE: Record<string, string> = { trivial: "trivial", chain100: "chain-100", chain1000: "chain-1000", daily366: "partitions", sql1m: "sql-1m" };
/** Steps of each case: the run records the floor writes (`--records`). */
const STEPS: Record<string, number> = { trivial: 1, chain100: 100, chain1000: 1000, daily366: 366 };
/** The floor stage that carries each dagx case (its definitions on the stack, or the direct SQL script). */
export const FLOOR_OF: Record<string, string> = { trivial: "defs-trivial", chain100: "defs-chain100", chain1000: "defs-chain1000", daily366: "defs-daily366", sql1m: "direct" };

/** Compile the floor programs with scripts/build.ts into `dir` (~1 s each). */
async function buildPrograms(dir: string): Promise<{ empty: string; stack: string; direct: string }> {
  const { buildBinary } = await import("../scripts/build.ts");
  const out = { empty: path.join(dir, "empty"), stack: path.join(dir, "stack"), direct: await directBinary() };
  for (const name of ["empty", "stack"] as const) await buildBinary({ entry: path.join(HERE, `${name}.ts`), outfile: out[name], quiet: true });
  // read back from disk, as an installed program is: a file just written maps more pages (io/platform/page-cache.ts)
  for (const file of Object.values(out)) dropPageCache(file);
  return out;
}

/** One program under /usr/bin/time (and /proc sampling with `breakdown`); stdout must be its JSON line. */
async function measureProgram(cmd: string[], cwd: string, breakdown: boolean, env: Record<string, string | undefined> = process.env): Promise<Measured & { stdout: string }> {
  const report = path.join(cwd, ".time");
  const t0 = performance.now();
  const p = Bun.spawn([TIME, "-o", report, "-f", "%M", ...cmd], { cwd, env, stdout: "pipe", stderr: "pipe" });
  let anon = 0;
  let file = 0;
  const timer = breakdown
    ? setInterval(() => {
        try {
          const child = fs.readFileSync(`/proc/${p.pid}/task/${p.pid}/children`, "utf8").trim();
          const s = fs.readFileSync(`/proc/${child}/status`, "utf8");
          anon = Math.max(anon, Number(/^RssAnon:\s+(\d+)/m.exec(s)?.[1] ?? 0));
          file = Math.max(file, Number(/^RssFile:\s+(\d+)/m.exec(s)?.[1] ?? 0));
        } catch {}
      }, 1)
    : null;
  const [stdout, stderr, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
  const ms = performance.now() - t0;
  if (timer) clearInterval(timer);
  if (code !== 0) throw new Error(`${cmd.join(" ")} exited with ${code}:\n${stderr.slice(-2000)}`);
  const peakMB = Number(fs.readFileSync(report, "utf8").trim().split("\n").at(-1)) / 1024;
  return breakdown ? { ms, peakMB, anonMB: anon / 1024, fileMB: file / 1024, stdout } : { ms, peakMB, stdout };
}

export interface Options {
  runs?: number;
  /** dagx cases (bench/memory.bench.ts names); their floor stages are measured with them. */
  cases?: string[];
  /** Also run `dagx materialize` on each case (default true). */
  dagx?: boolean;
  /** Measure Dagster again through bench/dagster instead of quoting {@link DAGSTER_MB}. */
  dagster?: boolean;
  breakdown?: boolean;
}

export async function run(o: Options = {}): Promise<Figures> {
  if (!fs.existsSync(TIME)) throw new Error(`${TIME} is needed (apt-get install time)`);
  const runs = o.runs ?? 5;
  const cases = o.cases ?? Object.keys(FLOOR_OF);
  const root = makeTempDir("dagx-mem-floor-");
  const figures: Figures = { ...machineFigures(), runs };
  try {
    const bins = await buildPrograms(path.join(root, "bin"));
    const dagxBin = o.dagx === false ? null : (await ensureBinary()).path;
    if (dagxBin) dropPageCache(dagxBin);
    // one folder per dagx case: its asset files (the floor's `defs` stage imports the same file) and its `.dagx`
    const projects: Record<string, { dir: string; args: string[]; assetFile: string }> = {};
    for (const name of cases) {
      const dir = path.join(root, name);
      fs.mkdirSync(dir);
      const c = CASES[name]!(dir);
      const files = { "dagx.config.ts": `import { defineConfig } from "dagx";\nexport default defineConfig({});\n`, ...c.files };
      for (const [f, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, f), text);
      projects[name] = { dir, args: c.args, assetFile: path.join(dir, Object.keys(c.files)[0]!) };
    }
    const work = path.join(root, "work");
    fs.mkdirSync(work);
    const state = path.join(work, "state.duckdb");
    const csv = ensureTradesCsv(path.join(cacheDir(), "trades-1000000.csv")).file;
    const sqlOut = path.join(work, "sql-out");
    fs.mkdirSync(sqlOut);

    const small = { ...process.env, MEMORY_FLOOR_BLOCK_SIZE: String(SMALL_BLOCK) };
    const dagxBlocks = { ...process.env, MEMORY_FLOOR_BLOCK_SIZE: String(NEW_FILE_BLOCK_SIZE) };
    const workAllocator = { ...process.env, [DUCKDB_MALLOC_CONF_ENV]: `dirty_decay_ms:${DUCKDB_WORK_DECAY_MS},muzzy_decay_ms:${DUCKDB_WORK_DECAY_MS},oversize_threshold:${DUCKDB_OVERSIZE_BYTES}` };
    const stages: { name: string; run: () => Promise<Measured> }[] = [
      { name: "empty", run: () => measureProgram([bins.empty], work, !!o.breakdown) },
      { name: "load", run: () => measureProgram([bins.stack, "load"], work, !!o.breakdown) },
      { name: "select1", run: () => measureProgram([bins.stack, "select1"], work, !!o.breakdown) },
      { name: "state", run: () => measureProgram([bins.stack, "state", state], work, !!o.breakdown, dagxBlocks) },
      { name: "state@16k", run: () => measureProgram([bins.stack, "state", `${state}.16k`], work, !!o.breakdown, small) },
    ];
    for (const name of cases) {
      const floor = FLOOR_OF[name]!;
      if (floor === "direct") {
        stages.push({ name: "direct", run: () => measureProgram([bins.direct, csv, sqlOut], work, !!o.breakdown) });
        // the same statements with the allocator a dagx run switches to for its own DuckDB (1 s decay,
        // big buffers returned at once): the floor at dagx's speed; `direct` keeps decay 0 throughout
        stages.push({ name: "direct@work", run: () => measureProgram([bins.direct, csv, sqlOut], work, !!o.breakdown, workAllocator) });
      }
      else {
        // each case its own state file (its records accumulate over the rounds, as dagx's do)
        const args = (file: string) => ["defs", file, projects[name]!.assetFile, "--records", String(STEPS[name]), ...(name === "daily366" ? ["--copies", "366", path.join(work, `${name}-out`)] : [])];
        const file = path.join(work, `${name}.duckdb`);
        stages.push({ name: floor, run: () => measureProgram([bins.stack, ...args(file)], work, !!o.breakdown, dagxBlocks) });
        stages.push({ name: `${floor}@16k`, run: () => measureProgram([bins.stack, ...args(`${file}.16k`)], work, !!o.breakdown, small) });
      }
      if (dagxBin) stages.push({ name: `dagx-${name}`, run: () => measure(dagxBin, projects[name]!.dir, projects[name]!.args, o.breakdown) });
    }

    // warm-up: extracts DuckDB, creates the state files (measured runs are re-runs, as for dagx and Dagster)
    for (const s of stages) await s.run();
    const got = new Map<string, Measured[]>(stages.map((s) => [s.name, []]));
    for (let r = 0; r < runs; r++) {
      const order = r % 2 ? [...stages].reverse() : stages;
      for (const s of order) got.get(s.name)!.push(await s.run());
      console.error(`  round ${r + 1}/${runs} (load ${machineFigures()["machine.load1"]})`);
    }
    for (const [name, xs] of got) {
      figures[`${name}.peakMB.median`] = round(median(xs.map((x) => x.peakMB)));
      figures[`${name}.ms.median`] = round(median(xs.map((x) => x.ms)));
      if (o.breakdown) {
        figures[`${name}.anonMB.median`] = round(median(xs.map((x) => x.anonMB!)));
        figures[`${name}.fileMB.median`] = round(median(xs.map((x) => x.fileMB!)));
      }
    }
    figures["machine.load1.end"] = machineFigures()["machine.load1"]!;

    const dagster: Record<string, number> = { ...DAGSTER_MB };
    if (o.dagster) {
      const { run: compare } = await import("./dagster/compare.ts");
      const { results } = await compare({ runs: Math.min(runs, 3), only: cases.map((c) => DAGSTER_CASE[c]!) });
      for (const c of cases) {
        const r = results.find((x) => x.name === DAGSTER_CASE[c]);
        if (r) dagster[c] = r.dagster.peakMB;
      }
    }
    for (const c of cases) {
      figures[`dagster-${c}.peakMB`] = dagster[c]!;
      figures[`${c}.floor.ratio`] = round((figures[`${FLOOR_OF[c]}.peakMB.median`] as number) / dagster[c]!, 3);
      if (dagxBin) figures[`${c}.dagx.ratio`] = round((figures[`dagx-${c}.peakMB.median`] as number) / dagster[c]!, 3);
    }
  } finally {
    removeDir(root);
  }
  return figures;
}

/** The floor table of docs/benchmarks.md. */
export function markdown(f: Figures, cases: string[]): string {
  const mb = (k: string) => (typeof f[`${k}.peakMB.median`] === "number" ? `${f[`${k}.peakMB.median`]}` : "–");
  const lines = ["| stage | floor peak MB (64 KiB state blocks, as dagx) | 16 KiB blocks |", "|---|---:|---:|"];
  for (const s of ["empty", "load", "select1"]) lines.push(`| ${s} | ${mb(s)} | |`);
  lines.push(`| state | ${mb("state")} | ${mb("state@16k")} |`);
  lines.push("", "| case | floor stage | floor MB (64 KiB) | floor, 16 KiB blocks | dagx MB | Dagster MB | 0.7 × Dagster | floor ÷ Dagster | floor 16k ÷ Dagster | dagx ÷ Dagster |", "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|");
  for (const c of cases) {
    const d = f[`dagster-${c}.peakMB`] as number;
    const k = FLOOR_OF[c]!;
    const small = f[`${k}@16k.peakMB.median`];
    lines.push(`| ${c} | ${k} | ${mb(k)} | ${mb(`${k}@16k`)} | ${mb(`dagx-${c}`)} | ${d} | ${round(0.7 * d)} | ${f[`${c}.floor.ratio`]}× | ${typeof small === "number" ? `${round(small / d, 3)}×` : "–"} | ${f[`${c}.dagx.ratio`] ?? "–"}× |`);
  }
  const work = f["direct@work.peakMB.median"];
  if (typeof work === "number" && typeof f["dagster-sql1m.peakMB"] === "number") {
    lines.push("", `sql1m at the run's allocator (direct@work): ${work} MB, ${round(work / (f["dagster-sql1m.peakMB"] as number), 3)}× Dagster`);
  }
  return lines.join("\n");
}

if (import.meta.main) {
  const argv = process.argv.slice(2);
  const val = (flag: string) => (argv.includes(flag) ? argv[argv.indexOf(flag) + 1] : undefined);
  const cases = val("--cases")?.split(",") ?? Object.keys(FLOOR_OF);
  const figures = await run({ runs: val("--runs") ? Number(val("--runs")) : undefined, cases, dagx: !argv.includes("--no-dagx"), dagster: argv.includes("--dagster"), breakdown: argv.includes("--breakdown") });
  printFigures("memory floor: peak RSS of the stack's layers, dagx and Dagster (MB)", figures);
  console.log(`\n${markdown(figures, cases)}`);
}
