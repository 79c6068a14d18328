/**
 * Two dagx binaries side by side (A/B), in interleaved rounds that alternate which goes first:
 * wall time, CPU time (user + sys) and peak RSS of each case, medians, and B / A. Used for the
 * DuckDB 1.5.6 → 1.5.5 downgrade and the embedded extensions (docs/benchmarks.md, "DuckDB 1.5.5
 * and embedded extensions"); any two binaries work.
 *
 *   version    `dagx --version`
 *   trivial    `dagx materialize` of one trivial asset (re-run on the state of a warm-up run)
 *   chain100   a chain of 100 trivial assets (JSON values)
 *   sql1m      the 1M-row trades pipeline of bench/sql/pipeline.ts (three `ctx.sql` assets)
 *   extensions `dagx doctor` with the extracted extensions deleted before each run: first-use
 *              extract + LOAD of httpfs and postgres_scanner, as doctor reports them (binaries
 *              that embed them; the `duckdb extensions` check's detail is parsed)
 *
 *   bun bench/binary-ab.bench.ts --a BIN --b BIN [--runs N] [--cases version,trivial,chain100,sql1m,extensions]
 *
 * Each binary extracts its DuckDB into its own XDG cache folder (warmed before the rounds).
 */
import fs from "node:fs";
import path from "node:path";
import { measureOk, type Measured } from "./_measure.ts";
import { cliEnv, type Figures, machineFigures, makeTempDir, median, printFigures, removeDir, round } from "./_util.ts";
import { cacheDir } from "./dagster/venv.ts";
import { dagxProject, ensureTradesCsv } from "./sql/pipeline.ts";

const CONFIG = `import { defineConfig } from "dagx";\nexport default defineConfig({});\n`;

function chain(n: number): string {
  const lines = [`import { asset } from "dagx";`, `export const a0 = asset(() => 1);`];
  for (let i = 1; i < n; i++) lines.push(`export const a${i} = asset({ ins: { up: a${i - 1} } }, (_ctx, { up }) => up + 1);`);
  return `${lines.join("\n")}\n`;
}

interface Case {
  files: Record<string, string>;
  args: string[];
  /** Run before each measured run (in the binary's project folder, with its cache folder). */
  before?: (project: string, xdg: string) => void;
  /** Figures parsed from one run's output. */
  parse?: (m: Measured) => Record<string, number>;
}

const CASES: Record<string, () => Case> = {
  version: () => ({ files: {}, args: ["--version"] }),
  trivial: () => ({ files: { "dagx.config.ts": CONFIG, "a.asset.ts": `import { asset } from "dagx";\nexport const a = asset(() => 1);\n` }, args: ["materialize"] }),
  chain100: () => ({ files: { "dagx.config.ts": CONFIG, "chain.asset.ts": chain(100) }, args: ["materialize"] }),
  sql1m: () => ({ files: dagxProject(ensureTradesCsv(path.join(cacheDir(), "trades-1000000.csv"), 1_000_000).file), args: ["materialize", "*"] }),
  extensions: () => ({
    files: {},
    args: ["doctor", "--json"],
    before: (_project, xdg) => {
      for (const d of fs.readdirSync(path.join(xdg, "dagx"))) {
        for (const f of fs.readdirSync(path.join(xdg, "dagx", d))) if (f.endsWith(".duckdb_extension")) fs.rmSync(path.join(xdg, "dagx", d, f));
      }
    },
    parse: (m) => {
      const check = (JSON.parse(m.stdout) as { checks: { name: string; detail: string }[] }).checks.find((c) => c.name === "duckdb extensions");
      const out: Record<string, number> = {};
      for (const name of ["httpfs", "postgres_scanner"]) {
        const hit = new RegExp(`${name} \\(embedded, [^)]*?ready in (\\d+) ms, LOAD (\\d+) ms\\)`).exec(check?.detail ?? "");
        if (hit) {
          out[`${name}.extractMs`] = Number(hit[1]);
          out[`${name}.loadMs`] = Number(hit[2]);
        }
      }
      return out;
    },
  }),
};

export async function run(o: { a: string; b: string; runs?: number; cases?: string[] }): Promise<Figures> {
  const runs = o.runs ?? 7;
  const bins: [string, string][] = [["a", o.a], ["b", o.b]];
  const figures: Figures = { ...machineFigures(), runs, a: o.a, b: o.b };
  const xdgs = bins.map(() => makeTempDir("dagx-ab-xdg-"));
  try {
    for (const name of o.cases ?? Object.keys(CASES)) {
      const c = CASES[name]!();
      const dirs = bins.map(() => makeTempDir("dagx-ab-"));
      try {
        for (const dir of dirs) for (const [f, text] of Object.entries(c.files)) fs.writeFileSync(path.join(dir, f), text);
        const env = (i: number) => cliEnv({ XDG_CACHE_HOME: xdgs[i]!, DAGX_DUCKDB_DIR: undefined, DAGX_EXTENSIONS_DIR: undefined });
        // warm-up: DuckDB extracted, the state created, the page cache warm
        for (const [i, [, bin]] of bins.entries()) await measureOk([bin, ...c.args], { cwd: dirs[i]!, env: env(i) });
        const got = bins.map((): { m: Measured; parsed: Record<string, number> }[] => []);
        for (let r = 0; r < runs; r++) {
          const order = r % 2 ? [1, 0] : [0, 1];
          for (const i of order) {
            c.before?.(dirs[i]!, xdgs[i]!);
            const m = await measureOk([bins[i]![1], ...c.args], { cwd: dirs[i]!, env: env(i) });
            got[i]!.push({ m, parsed: c.parse?.(m) ?? {} });
          }
        }
        for (const [i, [k]] of bins.entries()) {
          const xs = got[i]!;
          figures[`${name}.${k}.ms`] = round(median(xs.map((x) => x.m.ms)));
          figures[`${name}.${k}.cpuMs`] = round(median(xs.map((x) => x.m.cpuMs)));
          figures[`${name}.${k}.peakMB`] = round(median(xs.map((x) => x.m.peakMB)));
          for (const key of Object.keys(xs[0]!.parsed)) figures[`${name}.${k}.${key}`] = round(median(xs.map((x) => x.parsed[key]!)));
        }
        for (const f of ["ms", "cpuMs", "peakMB"]) figures[`${name}.ratio.${f}`] = round((figures[`${name}.b.${f}`] as number) / (figures[`${name}.a.${f}`] as number), 3);
      } finally {
        dirs.forEach(removeDir);
      }
    }
  } finally {
    xdgs.forEach(removeDir);
  }
  figures["machine.load1.after"] = machineFigures()["machine.load1"]!;
  return figures;
}

if (import.meta.main) {
  const argv = process.argv.slice(2);
  const val = (flag: string) => (argv.includes(flag) ? argv[argv.indexOf(flag) + 1] : undefined);
  const a = val("--a");
  const b = val("--b");
  if (!a || !b) {
    console.error("usage: bun bench/binary-ab.bench.ts --a BIN --b BIN [--runs N] [--cases version,trivial,chain100,sql1m,extensions]");
    process.exit(2);
  }
  printFigures("binary A/B", await run({ a, b, runs: val("--runs") ? Number(val("--runs")) : undefined, cases: val("--cases")?.split(",") }));
}
