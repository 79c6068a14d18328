/**
 * Rows → Parquet, the first write of a fresh process: no buffer reused, every page faulted in,
 * DuckDB's allocator cold too. Each sample is its own process that makes the data (untimed) and
 * times one write: DuckDB's COPY of a table, the direct row writer, or the DuckDB row writer —
 * and the floor of any row writer: gathering the rows into typed columns, nothing written.
 * Cases are interleaved round by round. Complements bench/parquet-write.bench.ts, where repeated
 * writes in one process reuse buffers (io/tabular/_pool.ts).
 * Run: `bun bench/parquet-write-fresh.bench.ts [--rows N] [--runs N]`.
 */
import { DuckDBInstance } from "@duckdb/node-api";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { gatherChecked } from "../io/tabular/_rows.ts";
import { writeRowsParquet } from "../io/tabular/tabular.ts";

const BASE_MS = Date.UTC(2024, 0, 1);
const CASES = ["COPY table", "writer: direct", "writer: duckdb", "floor: gather only"] as const;
type Case = (typeof CASES)[number];

async function child(kind: Case, n: number, file: string): Promise<void> {
  const instance = await DuckDBInstance.create(":memory:");
  const conn = await instance.connect();
  const rows: Record<string, unknown>[] = [];
  if (kind === "COPY table") {
    await conn.run(
      `CREATE TABLE base AS SELECT range::BIGINT AS id, (range * 1.25 + 0.1)::DOUBLE AS amount, 'customer_' || (range % 5000) AS name, range % 3 = 0 AS flag, epoch_ms(${BASE_MS} + range * 1000) AS ts FROM range(${n})`,
    );
  } else {
    for (let i = 0; i < n; i++) rows.push({ id: i, amount: i * 1.25 + 0.1, name: `customer_${i % 5000}`, flag: i % 3 === 0, ts: new Date(BASE_MS + i * 1000) });
    await conn.run("SELECT 1"); // the connection is warm in both cases
  }
  Bun.gc(true);
  await Bun.sleep(50);
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  if (kind === "COPY table") await conn.run(`COPY base TO '${file}' (FORMAT parquet)`);
  else if (kind === "floor: gather only") {
    // what no row writer avoids: reading every row into typed columns (no encoding, no file)
    gatherChecked(rows);
    fs.writeFileSync(file, "");
  } else await writeRowsParquet(conn, rows, file, { fsync: false, writer: kind === "writer: direct" ? "direct" : "duckdb" });
  const wall = performance.now() - t0;
  const c = process.cpuUsage(c0);
  process.stdout.write(JSON.stringify({ wall, cpu: (c.user + c.system) / 1000, bytes: fs.statSync(file).size }));
  conn.closeSync();
  instance.closeSync();
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;

export async function run(options: { rows?: number; runs?: number } = {}) {
  const n = options.rows ?? 1_000_000;
  const runs = options.runs ?? 7;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dagx-bench-fresh-"));
  const samples = new Map<Case, { wall: number; cpu: number; bytes: number }[]>(CASES.map((c) => [c, []]));
  const loads: number[] = [];
  try {
    for (let r = 0; r < runs; r++) {
      loads.push(os.loadavg()[0]!);
      for (const kind of CASES) {
        const file = path.join(dir, `out-${r}-${CASES.indexOf(kind)}.parquet`);
        const p = Bun.spawnSync([process.execPath, import.meta.path, "--child", kind, String(n), file], { stderr: "inherit" });
        if (p.exitCode !== 0) throw new Error(`child ${kind} failed`);
        samples.get(kind)!.push(JSON.parse(p.stdout.toString()));
        fs.rmSync(file, { force: true });
      }
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const base = samples.get("COPY table")!;
  return {
    rows: n,
    runs,
    load: { min: Math.min(...loads), max: Math.max(...loads) },
    figures: CASES.map((kind) => {
      const s = samples.get(kind)!;
      const wall = median(s.map((x) => x.wall));
      const cpu = median(s.map((x) => x.cpu));
      return { case: kind, wall, ratio: wall / median(base.map((x) => x.wall)), cpu, cpuRatio: cpu / median(base.map((x) => x.cpu)), bytes: s[0]!.bytes };
    }),
  };
}

if (import.meta.main) {
  const arg = (name: string) => {
    const i = process.argv.indexOf(name);
    return i > 0 ? process.argv[i + 1] : undefined;
  };
  const childAt = process.argv.indexOf("--child");
  if (childAt > 0) await child(process.argv[childAt + 1] as Case, Number(process.argv[childAt + 2]), process.argv[childAt + 3]!);
  else {
    const r = await run({ rows: arg("--rows") ? Number(arg("--rows")) : undefined, runs: arg("--runs") ? Number(arg("--runs")) : undefined });
    console.log(`${r.rows.toLocaleString("en")} rows, first write of a fresh process, ${r.runs} interleaved runs, load ${r.load.min.toFixed(1)}–${r.load.max.toFixed(1)}`);
    for (const f of r.figures) {
      console.log(`${f.case.padEnd(16)} wall ${f.wall.toFixed(1).padStart(7)} ms ${f.ratio.toFixed(2).padStart(5)}×   cpu ${f.cpu.toFixed(1).padStart(7)} ms ${f.cpuRatio.toFixed(2).padStart(5)}×   ${f.bytes.toLocaleString("en")} bytes`);
    }
  }
}
