/**
 * `npm run bench`: every benchmark in sequence, then one summary table (figure / target / ratio /
 * pass) and bench/results.json with all figures. Benchmarks are never part of `npm test`.
 *
 *   bun bench/run.ts [--quick] [--only cold-start,overhead,...] [--strict] [--out FILE]
 *
 * --quick   fewer repetitions (a smoke run; figures are noisier)
 * --only    a comma list of bench names
 * --strict  exit 1 when a target is missed (default: exit 1 only when a bench crashes)
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { type Figures, formatTable, meets, REPO, round, type Target } from "./_util.ts";

interface Bench {
  name: string;
  /** DESIGN §10 row it measures. */
  what: string;
  run(quick: boolean): Promise<{ figures: Figures; targets: Target[] }>;
}

/** Nested results (other benches' own shapes) → flat `a.b.c` figures. */
function flatten(value: unknown, prefix = "", out: Figures = {}): Figures {
  if (value === null || value === undefined) return out;
  if (typeof value === "number" || typeof value === "string" || typeof value === "boolean") {
    out[prefix] = typeof value === "number" ? round(value, 3) : value;
  } else if (Array.isArray(value)) {
    value.forEach((v, i) => flatten(v, `${prefix}[${i}]`, out));
  } else if (typeof value === "object") {
    for (const [k, v] of Object.entries(value)) flatten(v, prefix ? `${prefix}.${k}` : k, out);
  }
  return out;
}

const BENCHES: Bench[] = [
  {
    name: "cold-start",
    what: "cold `dagx materialize` of one trivial asset (compiled binary)",
    async run(quick) {
      const m = await import("./cold-start.bench.ts");
      return { figures: await m.run(quick ? { runs: 5, warmup: 1, coldRuns: 1 } : {}), targets: m.targets };
    },
  },
  {
    name: "overhead",
    what: "orchestration overhead per asset (in-process, chain and fan-out of 1,000)",
    async run(quick) {
      const m = await import("./overhead.bench.ts");
      return { figures: await m.run(quick ? { runs: 1, memoryStore: false } : {}), targets: m.targets };
    },
  },
  {
    name: "load",
    what: "load definitions: 10,000 assets in 1,000 files",
    async run(quick) {
      const m = await import("./load.bench.ts");
      return { figures: await m.run(quick ? { runs: 2 } : {}), targets: m.targets };
    },
  },
  {
    name: "concurrent-cli",
    what: "20 concurrent CLI commands (status + materialize) on one project",
    async run(quick) {
      const m = await import("./concurrent-cli.bench.ts");
      return { figures: await m.run(quick ? { rounds: 1 } : {}), targets: m.targets };
    },
  },
  {
    name: "parquet-write",
    what: "rows / Arrow / ctx.sql → Parquet vs DuckDB's own COPY",
    async run(quick) {
      const m = await import("./parquet-write.bench.ts");
      const result = await m.run(quick ? { sizes: [100_000], alternatives: false } : { alternatives: false });
      const figures: Figures = {};
      const targets: Target[] = [];
      for (const [k, v] of Object.entries(result)) if (k !== "figures") Object.assign(figures, flatten(v, k));
      for (const f of result.figures) {
        const id = `${f.size}.${f.case}`;
        figures[`${id}.medianMs`] = round(f.medianMs, 2);
        figures[`${id}.ratio`] = round(f.ratio, 3);
        if (f.target !== null) {
          targets.push({ figure: `${id}.ratio`, label: `${f.case}, ${f.size.toLocaleString("en")} rows (× COPY)`, op: "<=", value: f.target, unit: "×" });
        }
      }
      return { figures, targets };
    },
  },
  {
    name: "state-concurrency",
    what: "state store: 20 processes, mixed reads/writes on one state file",
    async run(quick) {
      const m = await import("./state-concurrency.bench.ts");
      const result = await (quick ? m.run(20, 3, 5) : m.run());
      return {
        figures: flatten(result),
        targets: [
          { figure: "errors", label: "state store, 20 processes: errors", op: "==", value: 0, unit: "" },
          { figure: "lostEvents", label: "state store, 20 processes: lost events", op: "==", value: 0, unit: "" },
        ],
      };
    },
  },
  {
    name: "state-size",
    what: "state: a simulated day of 30 assets every 5 minutes (288 real runs)",
    async run(quick) {
      const m = await import("./state-size.bench.ts");
      return { figures: await m.run(quick ? { runs: 24 } : {}), targets: m.targets };
    },
  },
  {
    name: "partition-status",
    what: "state: partition summary of one asset with 1,000,000 hourly partitions",
    async run(quick) {
      const m = await import("./partition-status.bench.ts");
      return { figures: flatten(await m.run(quick ? { runs: 3 } : {})), targets: m.targets as never };
    },
  },
  {
    name: "partition-read",
    what: "reading every partition of an asset (exact files + keys) at 10,000 and 100,000 partitions; list overhead at 1,000,000",
    async run(quick) {
      const m = await import("./partition-read.bench.ts");
      return { figures: await m.run(quick ? { partitions: [10_000], runs: 1 } : {}), targets: m.targets };
    },
  },
  {
    name: "backfill",
    what: "`dagx backfill` of 366 daily partitions × 3 chained assets (1,098 steps)",
    async run(quick) {
      const m = await import("./backfill.bench.ts");
      return { figures: await m.run(quick ? { runs: 1, warmup: 0, phaseRuns: 1, shapes: false } : {}), targets: m.targets };
    },
  },
  {
    name: "status-1m",
    what: "`dagx status` end to end, one asset with ~1,000,000 hourly partitions (and 10k / 100k for RSS)",
    async run(quick) {
      const m = await import("./status-1m.bench.ts");
      return { figures: await m.run(quick ? { runs: 2, warmup: 0 } : {}), targets: m.targets };
    },
  },
  {
    name: "dev-latency",
    what: "`dagx dev --no-daemon`: file saved → first step started (binary and sources)",
    async run(quick) {
      const m = await import("./dev-latency.bench.ts");
      return { figures: await m.run(quick ? { edits: 3 } : {}), targets: m.targets };
    },
  },
  {
    name: "daemon-rss",
    what: "`dagx daemon` idle RSS, 1,000 assets in 100 files + 10 schedules",
    async run(quick) {
      const m = await import("./daemon-rss.bench.ts");
      return { figures: await m.run(quick ? { idleMs: 3000, sampleMs: 1000, small: false, baselines: false } : {}), targets: m.targets };
    },
  },
  {
    name: "memory",
    what: "peak RSS of `dagx materialize` (binary): trivial, chains of 100 and 1,000, 366-day single-run backfill, 1M-row SQL",
    async run(quick) {
      const m = await import("./memory.bench.ts");
      return { figures: await m.run(quick ? { runs: 2 } : {}), targets: m.targets };
    },
  },
  {
    name: "concurrent-dev",
    what: "20 concurrent CLI commands (status, materialize, query, backfill) + a running `dagx dev` with a 1 s schedule",
    async run(quick) {
      const m = await import("./concurrent-dev.bench.ts");
      return { figures: await m.run(quick ? { rounds: 1 } : {}), targets: m.targets };
    },
  },
  {
    name: "sql-floor",
    what: "1M-row SQL pipeline (CSV → Parquet → daily aggregate → top-N join): dagx binary vs the same statements in DuckDB directly",
    async run(quick) {
      const m = await import("./sql-floor.bench.ts");
      return { figures: await m.run(quick ? { runs: 2 } : {}), targets: m.targets };
    },
  },
  {
    name: "cancel",
    what: "`dagx cancel` from another process: request → run recorded canceled",
    async run(quick) {
      const m = await import("./cancel.bench.ts");
      return { figures: await m.run(quick ? { runs: 3 } : {}), targets: m.targets };
    },
  },
  {
    name: "ui-first-paint",
    what: "web UI in headless Chromium: /graph first paint at 1,000 assets, event → screen, 10,000 assets closed, bundle size",
    async run(quick) {
      const m = await import("./ui-first-paint.bench.ts");
      return { figures: await m.run(quick ? { runs: 1 } : {}), targets: m.targets };
    },
  },
];

interface SummaryRow {
  bench: string;
  figure: string;
  label: string;
  value: number | null;
  target: string;
  ratio: number | null;
  pass: boolean;
}

function gitCommit(): string | null {
  try {
    const r = Bun.spawnSync(["git", "rev-parse", "--short", "HEAD"], { cwd: REPO, stdout: "pipe", stderr: "ignore" });
    const dirty = Bun.spawnSync(["git", "status", "--porcelain", "--untracked-files=no"], { cwd: REPO, stdout: "pipe", stderr: "ignore" }).stdout.toString().trim();
    return r.exitCode === 0 ? `${r.stdout.toString().trim()}${dirty ? "+dirty" : ""}` : null;
  } catch {
    return null;
  }
}

async function main(argv: string[]): Promise<number> {
  const quick = argv.includes("--quick");
  const strict = argv.includes("--strict");
  const onlyAt = argv.indexOf("--only");
  const only = onlyAt >= 0 ? new Set((argv[onlyAt + 1] ?? "").split(",").filter(Boolean)) : null;
  const outAt = argv.indexOf("--out");
  const outFile = outAt >= 0 ? path.resolve(argv[outAt + 1]!) : path.join(REPO, "bench", "results.json");
  if (only) for (const n of only) if (!BENCHES.some((b) => b.name === n)) throw new Error(`unknown bench "${n}" (have: ${BENCHES.map((b) => b.name).join(", ")})`);

  const started = new Date();
  const loadStart = os.loadavg()[0]!;
  const results: Record<string, { what: string; ms: number; figures?: Figures; targets?: Target[]; error?: string }> = {};
  const summary: SummaryRow[] = [];
  let crashed = 0;
  for (const bench of BENCHES) {
    if (only && !only.has(bench.name)) continue;
    console.error(`▶ ${bench.name}: ${bench.what}${quick ? " (quick)" : ""}`);
    const t0 = performance.now();
    try {
      const { figures, targets } = await bench.run(quick);
      const ms = Math.round(performance.now() - t0);
      results[bench.name] = { what: bench.what, ms, figures, targets };
      for (const t of targets) {
        const raw = figures[t.figure];
        const value = typeof raw === "number" ? raw : raw === undefined ? null : Number(raw);
        const pass = value !== null && meets(value, t);
        const ratio = value !== null && t.value !== 0 ? round(value / t.value, 2) : null;
        summary.push({ bench: bench.name, figure: t.figure, label: t.label, value, target: `${t.op} ${t.value}${t.unit ? ` ${t.unit}` : ""}`, ratio, pass });
      }
      const misses = targets.filter((t) => !meets(Number(figures[t.figure]), t)).length;
      console.error(`  done in ${(ms / 1000).toFixed(1)} s${misses ? `, ${misses} target(s) missed` : ""}`);
    } catch (e) {
      crashed++;
      const ms = Math.round(performance.now() - t0);
      const error = e instanceof Error ? (e.stack ?? e.message) : String(e);
      results[bench.name] = { what: bench.what, ms, error };
      summary.push({ bench: bench.name, figure: "(crashed)", label: bench.what, value: null, target: "", ratio: null, pass: false });
      console.error(`  CRASHED after ${(ms / 1000).toFixed(1)} s: ${error.split("\n")[0]}`);
    }
  }

  const report = {
    startedAt: started.toISOString(),
    finishedAt: new Date().toISOString(),
    quick,
    commit: gitCommit(),
    machine: {
      platform: `${process.platform}-${process.arch}`,
      cpus: os.cpus().length,
      cpuModel: os.cpus()[0]?.model ?? null,
      memoryGB: round(os.totalmem() / 1024 ** 3, 1),
      load1AtStart: round(loadStart, 2),
      load1AtEnd: round(os.loadavg()[0]!, 2),
      bun: Bun.version,
    },
    summary,
    benches: results,
  };
  fs.writeFileSync(outFile, `${JSON.stringify(report, null, 2)}\n`);

  const unit = (r: SummaryRow) => {
    const t = results[r.bench]?.targets?.find((x) => x.figure === r.figure);
    return t?.unit ? ` ${t.unit}` : "";
  };
  console.log(
    `\ndagx benchmarks — ${report.machine.cpus} CPUs (${report.machine.cpuModel}), load ${report.machine.load1AtStart} → ${report.machine.load1AtEnd}, Bun ${Bun.version}${quick ? ", QUICK run" : ""}\n`,
  );
  console.log(
    formatTable(
      ["bench", "figure", "measured", "target", "ratio", "pass"],
      summary.map((r) => [r.bench, r.label, r.value === null ? "—" : `${r.value}${unit(r)}`, r.target, r.ratio === null ? "" : `${r.ratio}×`, r.pass ? "pass" : "MISS"]),
    ),
  );
  console.log(`\nAll figures: ${path.relative(process.cwd(), outFile) || outFile}`);
  if (crashed) return 1;
  return strict && summary.some((r) => !r.pass) ? 1 : 0;
}

process.exitCode = await main(process.argv.slice(2));
