/**
 * Peak memory of `dagx materialize` (issue 12, target 1: ≤ 0.7× Dagster's peak RSS), compiled
 * binary, one fresh process and a fresh `.dagx` per run, on the cases bench/dagster measures Dagster on:
 *
 *   trivial    one trivial asset
 *   chain100   a chain of 100 trivial assets (JSON values)
 *   chain1000  a chain of 1,000
 *   daily366   one daily `ctx.sql` asset × 366 partitions in one single-run backfill (`--partitions 2024-01-01..2024-12-31`)
 *   sql1m      the 1M-row SQL pipeline: CSV → Parquet → aggregate → top-N join (three `ctx.sql` assets)
 *   sqlfiles1m the same pipeline as three `.asset.sql` files (no TypeScript in the project)
 *
 * Like bench/dagster, a warm-up run creates the state and the measured runs are re-runs on it
 * (`--fresh`: a fresh `.dagx` every run instead).
 *
 * Peak RSS is `/usr/bin/time -f %M` (the kernel's ru_maxrss of the waited child: every resident
 * page, file-backed ones included — the shared text of Bun and libduckdb counts, as Python's and
 * its extension modules' do on the Dagster side). `--compare BIN` runs a second binary
 * interleaved with the first (A/B: `--compare /tmp/dagx-main`; both are copied to new files and dropped
 * from the page cache first, so that their pages are in the same state); `--breakdown` also samples
 * /proc/<pid>/status every millisecond for the largest anonymous and file-backed RSS; `--smaps`
 * samples /proc/<pid>/smaps every 3 ms and keeps, at the sample with the largest total, the RSS of
 * each layer: the binary's text, read-only and writable pages (Bun's runtime; the writable ones hold
 * the embedded bundle, its bytecode and source), libduckdb's, the other libraries' and anonymous
 * memory (medians over the runs; reading smaps slows a run, so its peak is not the one to quote).
 *
 *   bun bench/memory.bench.ts [--runs N] [--cases trivial,chain100,…] [--binary BIN] [--compare BIN] [--breakdown] [--smaps] [--fresh]
 */
import fs from "node:fs";
import path from "node:path";
import { cacheDir } from "./dagster/venv.ts";
import { dropPageCache } from "../io/platform/page-cache.ts";
import { dagxCacheRoot, DUCKDB_DIR_ENV } from "../io/platform/index.ts";
import { dagxProject, ensureTradesCsv, STATEMENTS } from "./sql/pipeline.ts";
import { ensureBinary, type Figures, machineFigures, makeTempDir, median, printFigures, printTargets, removeDir, resetState, round, type Target } from "./_util.ts";

/** Dagster's peak RSS is measured by bench:dagster (lean-n); the ratio target applies to those figures. */
export const targets: Target[] = [
  { figure: "trivial.peakMB.median", label: "peak RSS, one trivial asset (compiled binary)", op: "<", value: 130, unit: "MB" },
];

const TIME = "/usr/bin/time";
const CONFIG = `import { defineConfig } from "dagx";\nexport default defineConfig({});\n`;

function chain(n: number): string {
  const lines = [`import { asset } from "dagx";`, `export const a0 = asset(() => 1);`];
  for (let i = 1; i < n; i++) lines.push(`export const a${i} = asset({ ins: { up: a${i - 1} } }, (_ctx, { up }) => up + 1);`);
  return `${lines.join("\n")}\n`;
}

interface Case {
  files: Record<string, string>;
  args: string[];
}

export const CASES: Record<string, (dir: string) => Case> = {
  trivial: () => ({ files: { "a.asset.ts": `import { asset } from "dagx";\nexport const a = asset(() => 1);\n` }, args: [] }),
  chain100: () => ({ files: { "chain.asset.ts": chain(100) }, args: [] }),
  chain1000: () => ({ files: { "chain.asset.ts": chain(1000) }, args: [] }),
  daily366: () => ({
    files: {
      "days.asset.ts": `import { asset, daily } from "dagx";
export const days = asset({ partitions: daily({ start: "2024-01-01", end: "2025-01-01" }), backfill: "single-run" }, (ctx) => ctx.sql\`
  select strftime(d, '%Y-%m-%d') as date, 1 as v
  from range(\${ctx.partition.start}, \${ctx.partition.end}, interval 1 day) t(d)\`);
`,
    },
    args: ["--partitions", "2024-01-01..2024-12-31"],
  }),
  sql1m: () => {
    // the CSV and project of bench/sql (the same files bench:dagster and the SQL-floor bench use)
    const { "dagx.config.ts": _config, ...files } = dagxProject(ensureTradesCsv(path.join(cacheDir(), "trades-1000000.csv")).file);
    return { files, args: [] };
  },
  sqlfiles1m: () => {
    // the same pipeline as three .asset.sql files (no TypeScript in the project at all)
    const csv = ensureTradesCsv(path.join(cacheDir(), "trades-1000000.csv")).file;
    return {
      files: {
        "trades.asset.sql": `${STATEMENTS.trades.replace("{csv}", `'${csv.replaceAll("'", "''")}'`)}\n`,
        "daily.asset.sql": `${STATEMENTS.daily.replaceAll("{trades}", "trades")}\n`,
        "top.asset.sql": `${STATEMENTS.top.replaceAll("{daily}", "daily")}\n`,
      },
      args: [],
    };
  },
};

/**
 * Drop every file under `paths` (files or folders, symlinks not followed) from the page cache, so that
 * the next run reads them from disk as it would an installed program's: a file just written (a build,
 * a copy, pip) maps more of its pages into a process's RSS (io/platform/page-cache.ts). Returns the
 * number of files dropped.
 */
export function readBackFromDisk(paths: readonly string[]): number {
  let n = 0;
  const walk = (p: string): void => {
    const st = fs.lstatSync(p, { throwIfNoEntry: false });
    if (!st || st.isSymbolicLink()) return;
    if (st.isDirectory()) for (const e of fs.readdirSync(p)) walk(path.join(p, e));
    else if (st.isFile() && dropPageCache(p)) n++;
  };
  for (const p of paths) walk(p);
  return n;
}

/** The DuckDB libraries extracted in dagx's cache folder (or `DAGX_DUCKDB_DIR`). */
export function extractedDuckDBLibraries(): string[] {
  const dirs: string[] = [];
  if (process.env[DUCKDB_DIR_ENV]) dirs.push(process.env[DUCKDB_DIR_ENV]!);
  const root = dagxCacheRoot();
  if (root && fs.existsSync(root)) for (const d of fs.readdirSync(root)) if (d.startsWith("duckdb-")) dirs.push(path.join(root, d));
  return dirs.flatMap((d) => (fs.existsSync(d) ? fs.readdirSync(d).filter((f) => f.startsWith("libduckdb")).map((f) => path.join(d, f)) : []));
}

export interface Measured {
  ms: number;
  peakMB: number;
  anonMB?: number;
  fileMB?: number;
  /** With `smaps`: MB by layer at the sample of largest total RSS (see {@link smapsLayers}). */
  layers?: Record<string, number>;
}

/**
 * RSS of one process by layer, in MB, from /proc/<pid>/smaps: `bin.text|ro|data` (mappings of the
 * executable itself), `duckdb.text|ro|data` (libduckdb), `libs` (every other file) and `anon`
 * (anonymous, heap and stacks included). Null when the process is gone.
 */
export function smapsLayers(pid: number, exe: string): Record<string, number> | null {
  let text: string;
  try {
    text = fs.readFileSync(`/proc/${pid}/smaps`, "utf8");
  } catch {
    return null;
  }
  const out: Record<string, number> = {};
  let layer = "anon";
  for (const line of text.split("\n")) {
    const m = /^[0-9a-f]+-[0-9a-f]+ (\S+) \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (m) {
      const [perms, name] = [m[1]!, m[2]!];
      const kind = perms.includes("x") ? "text" : perms.includes("w") ? "data" : "ro";
      layer = !name.startsWith("/") ? "anon" : name === exe ? `bin.${kind}` : path.basename(name).startsWith("libduckdb") ? `duckdb.${kind}` : "libs";
    } else if (line.startsWith("Rss:")) out[layer] = (out[layer] ?? 0) + Number(line.split(/\s+/)[1]) / 1024;
  }
  return out;
}

/** One `BIN materialize ARGS` in `cwd` under /usr/bin/time; with `breakdown`, /proc sampled every ms; with `smaps`, its layers at the peak. */
export async function measure(bin: string, cwd: string, args: string[], breakdown = false, smaps = false): Promise<Measured> {
  const report = path.join(cwd, ".time");
  const t0 = performance.now();
  const p = Bun.spawn([TIME, "-o", report, "-f", "%M", bin, "materialize", ...args], { cwd, env: { ...process.env, NO_COLOR: "1", CI: "1" }, stdout: "ignore", stderr: "pipe" });
  let anon = 0;
  let file = 0;
  const sample = () => {
    try {
      const kids = fs.readFileSync(`/proc/${p.pid}/task/${p.pid}/children`, "utf8").trim();
      const s = fs.readFileSync(`/proc/${kids}/status`, "utf8");
      anon = Math.max(anon, Number(/^RssAnon:\s+(\d+)/m.exec(s)?.[1] ?? 0));
      file = Math.max(file, Number(/^RssFile:\s+(\d+)/m.exec(s)?.[1] ?? 0));
    } catch {}
  };
  const timer = breakdown ? setInterval(sample, 1) : null;
  let layers: Record<string, number> | undefined;
  let layersTotal = 0;
  let child = 0;
  const exe = fs.realpathSync(bin);
  const smapsTimer = smaps
    ? setInterval(() => {
        try {
          child ||= Number(fs.readFileSync(`/proc/${p.pid}/task/${p.pid}/children`, "utf8").trim());
        } catch {}
        const got = child ? smapsLayers(child, exe) : null;
        const total = got ? Object.values(got).reduce((a, b) => a + b, 0) : 0;
        if (got && total > layersTotal) [layers, layersTotal] = [got, total];
      }, 3)
    : null;
  const [stderr, code] = await Promise.all([new Response(p.stderr).text(), p.exited]);
  const ms = performance.now() - t0;
  if (timer) clearInterval(timer);
  if (smapsTimer) clearInterval(smapsTimer);
  if (code !== 0) throw new Error(`${bin} materialize ${args.join(" ")} exited with ${code}:\n${stderr.slice(-2000)}`);
  const peakMB = Number(fs.readFileSync(report, "utf8").trim().split("\n").at(-1)) / 1024;
  return { ms, peakMB, ...(breakdown ? { anonMB: anon / 1024, fileMB: file / 1024 } : {}), ...(layers ? { layers } : {}) };
}

export interface Options {
  runs?: number;
  cases?: string[];
  binary?: string;
  compare?: string | null;
  breakdown?: boolean;
  /** Also the RSS by layer at the peak, from /proc/<pid>/smaps ({@link smapsLayers}). */
  smaps?: boolean;
  /** A fresh `.dagx` for every run (default: one warm-up run, then re-runs on the state it made). */
  fresh?: boolean;
}

export async function run(o: Options = {}): Promise<Figures> {
  if (!fs.existsSync(TIME)) throw new Error(`${TIME} is needed (apt-get install time)`);
  const runs = o.runs ?? 7;
  const binaries: [string, string][] = [["", o.binary ?? (await ensureBinary()).path]];
  if (o.compare) binaries.push(["compare.", o.compare]);
  // An A/B measures copies written at the same moment, then dropped from the page cache: a binary
  // just written sits there in large folios and maps more file pages (2.5–20 MB) than one read back
  // from disk, as an installed binary is (docs/benchmarks.md), which would read as a difference.
  const copies = o.compare ? makeTempDir("dagx-mem-bin-") : null;
  if (copies) {
    for (const [i, b] of binaries.entries()) {
      const to = path.join(copies, `${i}-${path.basename(b[1])}`);
      fs.copyFileSync(b[1], to);
      fs.chmodSync(to, 0o755);
      dropPageCache(to);
      b[1] = to;
    }
  }
  // a binary measured alone is read back from disk too, so figures taken at different times compare;
  // so are the DuckDB libraries dagx extracted (an extraction before that fix left them cached)
  if (!copies) for (const [, bin] of binaries) dropPageCache(bin);
  for (const lib of extractedDuckDBLibraries()) dropPageCache(lib);
  try {
    return await measureAll(o, runs, binaries);
  } finally {
    if (copies) removeDir(copies);
  }
}

async function measureAll(o: Options, runs: number, binaries: [string, string][]): Promise<Figures> {
  const figures: Figures = { ...machineFigures(), runs };
  for (const name of o.cases ?? Object.keys(CASES)) {
    // one project per binary: each keeps its own `.dagx` between its runs
    const dirs = binaries.map(() => makeTempDir("dagx-mem-"));
    try {
      const c = CASES[name]!(dirs[0]!);
      for (const dir of dirs) for (const [f, text] of Object.entries({ "dagx.config.ts": CONFIG, ...c.files })) fs.writeFileSync(path.join(dir, f), text);
      // a warm-up run each creates the state (as bench/dagster does), unless every run starts fresh
      if (!o.fresh) for (const [i, [, bin]] of binaries.entries()) await measure(bin, dirs[i]!, c.args);
      const got = binaries.map((): Measured[] => []);
      for (let r = 0; r < runs; r++) {
        // interleaved, alternating which goes first
        const order = binaries.map((_, i) => i);
        for (const i of r % 2 ? order.reverse() : order) {
          if (o.fresh) resetState(dirs[i]!);
          got[i]!.push(await measure(binaries[i]![1], dirs[i]!, c.args, o.breakdown, o.smaps));
        }
      }
      for (const [i, [k]] of binaries.entries()) {
        const xs = got[i]!;
        figures[`${k}${name}.peakMB.median`] = round(median(xs.map((x) => x.peakMB)));
        figures[`${k}${name}.peakMB.min`] = round(Math.min(...xs.map((x) => x.peakMB)));
        figures[`${k}${name}.ms.median`] = round(median(xs.map((x) => x.ms)));
        if (o.breakdown) {
          figures[`${k}${name}.anonMB.median`] = round(median(xs.map((x) => x.anonMB!)));
          figures[`${k}${name}.fileMB.median`] = round(median(xs.map((x) => x.fileMB!)));
        }
        if (o.smaps) {
          const names = [...new Set(xs.flatMap((x) => Object.keys(x.layers ?? {})))].sort();
          for (const layer of names) figures[`${k}${name}.smaps.${layer}MB`] = round(median(xs.map((x) => x.layers?.[layer] ?? 0)));
        }
      }
      if (o.compare) figures[`${name}.peak.ratio`] = round((figures[`${name}.peakMB.median`] as number) / (figures[`compare.${name}.peakMB.median`] as number), 3);
    } finally {
      dirs.forEach(removeDir);
    }
  }
  return figures;
}

if (import.meta.main) {
  const argv = process.argv.slice(2);
  const val = (flag: string) => (argv.includes(flag) ? argv[argv.indexOf(flag) + 1] : undefined);
  const figures = await run({
    runs: val("--runs") ? Number(val("--runs")) : undefined,
    cases: val("--cases")?.split(","),
    binary: val("--binary"),
    compare: val("--compare") ?? null,
    breakdown: argv.includes("--breakdown"),
    smaps: argv.includes("--smaps"),
    fresh: argv.includes("--fresh"),
  });
  printFigures("memory: peak RSS of `dagx materialize` (MB)", figures);
  printTargets(figures, targets);
}
