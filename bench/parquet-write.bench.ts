/**
 * Rows / Arrow / SQL → Parquet against DuckDB's own COPY of the same data (DESIGN §10 targets:
 * rows and Arrow ≤ 1.5×, ctx.sql ≤ 1.1×). Also times the approaches the adapter did not take,
 * so the choice stays checkable. Run: `bun bench/parquet-write.bench.ts [--quick] [--sizes 100000,1000000] [--runs N] [--no-alternatives]`.
 */
import { BIGINT, BOOLEAN, DOUBLE, type DuckDBConnection, DuckDBDataChunk, DuckDBInstance, TIMESTAMP, VARCHAR, timestampValue } from "@duckdb/node-api";
import * as arrow from "apache-arrow";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { planRows } from "../io/tabular/_rows.ts";
import { writePlainParquet } from "../io/tabular/_stage.ts";
import { readParquetArrow, readParquetRows, writeArrowParquet, writeRowsParquet, writeSqlParquet } from "../io/tabular/tabular.ts";

export interface BenchOptions {
  sizes?: number[];
  runs?: number;
  alternatives?: boolean;
}

export interface BenchFigure {
  size: number;
  case: string;
  medianMs: number;
  /** Median divided by its baseline's median (e.g. COPY of the same rows from a DuckDB table). */
  ratio: number;
  /** Fastest run, and its ratio to the baseline's fastest: other processes only ever add time. */
  minMs: number;
  minRatio: number;
  /** Median CPU time of the process (all threads, user + system), and its ratio. */
  cpuMs: number;
  cpuRatio: number;
  target: number | null;
}

/** Bytes of the same rows written by DuckDB's COPY, by the default row writer and by the direct writer. */
export interface FileSizes {
  size: number;
  copy: number;
  rows: number;
  direct: number;
}

const BASE_MS = Date.UTC(2024, 0, 1);

function makeRows(n: number): Record<string, unknown>[] {
  const rows = new Array<Record<string, unknown>>(n);
  for (let i = 0; i < n; i++) rows[i] = { id: i, amount: i * 1.25 + 0.1, name: `customer_${i % 5000}`, flag: i % 3 === 0, ts: new Date(BASE_MS + i * 1000) };
  return rows;
}

function makeArrow(rows: Record<string, unknown>[]): arrow.Table {
  const n = rows.length;
  return new arrow.Table({
    id: arrow.makeVector(BigInt64Array.from(rows, (r) => BigInt(r.id as number))),
    amount: arrow.makeVector(Float64Array.from(rows, (r) => r.amount as number)),
    name: arrow.vectorFromArray(rows.map((r) => r.name as string), new arrow.Utf8()),
    flag: arrow.vectorFromArray(rows.map((r) => r.flag as boolean), new arrow.Bool()),
    ts: arrow.vectorFromArray(rows.map((r) => r.ts as Date), new arrow.TimestampMillisecond()),
  }).slice(0, n);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;

/** Rejected approach (a): JS values → DuckDB appender (data chunks) → temp table → COPY. */
async function viaAppender(conn: DuckDBConnection, rows: Record<string, unknown>[], file: string): Promise<void> {
  await conn.run("CREATE OR REPLACE TEMP TABLE bench_app(id BIGINT, amount DOUBLE, name VARCHAR, flag BOOLEAN, ts TIMESTAMP)");
  const app = await conn.createAppender("bench_app");
  const chunk = DuckDBDataChunk.create([BIGINT, DOUBLE, VARCHAR, BOOLEAN, TIMESTAMP]);
  for (let off = 0; off < rows.length; off += 2048) {
    const part = rows.slice(off, off + 2048);
    chunk.reset();
    chunk.setRows(part.map((r) => [BigInt(r.id as number), r.amount as number, r.name as string, r.flag as boolean, timestampValue(BigInt((r.ts as Date).getTime()) * 1000n)]));
    app.appendDataChunk(chunk);
  }
  app.closeSync();
  await conn.run(`COPY bench_app TO '${file}' (FORMAT parquet)`);
}

/** Rejected approach (c): NDJSON text → read_json with an explicit schema → COPY. */
async function viaNdjson(conn: DuckDBConnection, rows: Record<string, unknown>[], file: string): Promise<void> {
  const json = `${file}.ndjson`;
  await Bun.write(json, rows.map((r) => JSON.stringify(r)).join("\n"));
  await conn.run(
    `COPY (SELECT * FROM read_json('${json}', format = 'newline_delimited', columns = {id: 'BIGINT', amount: 'DOUBLE', name: 'VARCHAR', flag: 'BOOLEAN', ts: 'TIMESTAMP'})) TO '${file}' (FORMAT parquet)`,
  );
  fs.rmSync(json);
}

export async function run(options: BenchOptions = {}): Promise<{ figures: BenchFigure[]; sizes: FileSizes[]; runs: number; threads: number; duckdb: string }> {
  const sizes = options.sizes ?? [100_000, 1_000_000];
  const runs = Math.max(5, options.runs ?? 5);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dagx-bench-parquet-"));
  const instance = await DuckDBInstance.create(":memory:");
  const conn = await instance.connect();
  const info = (await conn.runAndReadAll("SELECT current_setting('threads') AS t, version() AS v")).getRowObjectsJS()[0]!;
  const figures: BenchFigure[] = [];
  const fileSizes: FileSizes[] = [];
  const noSync = { fsync: false };
  try {
    for (const size of sizes) {
      const rows = makeRows(size);
      const table = makeArrow(rows);
      await conn.run(
        `CREATE OR REPLACE TABLE base AS SELECT range::BIGINT AS id, (range * 1.25 + 0.1)::DOUBLE AS amount, 'customer_' || (range % 5000) AS name, range % 3 = 0 AS flag, epoch_ms(${BASE_MS} + range * 1000) AS ts FROM range(${size})`,
      );
      const f = (name: string) => path.join(dir, `${name}-${size}.parquet`);
      // Every write case creates a new file each run (dagx always does: temp file + rename), and
      // the file is deleted outside the timing, so no case pays for unlinking another's output.
      let fresh = 0;
      const made: string[] = [];
      const g = (name: string) => {
        made.push(path.join(dir, `${name}-${size}-${fresh++}.parquet`));
        return made[made.length - 1]!;
      };
      const COPY = "COPY table (baseline)";
      const QUERY = "COPY (query $1) (baseline)";
      const READ = "SELECT → getRowObjectsJS (baseline)";
      // [case, its baseline (null: it is one), target ratio, run]
      const cases: [string, string | null, number | null, () => Promise<unknown>][] = [
        [COPY, null, null, () => conn.run(`COPY base TO '${g("base")}' (FORMAT parquet)`)],
        ["writeRowsParquet", COPY, 1.5, () => writeRowsParquet(conn, rows, g("rows"), noSync)],
        ["writeRowsParquet writer: direct", COPY, 1.5, () => writeRowsParquet(conn, rows, g("direct"), { ...noSync, writer: "direct" })],
        ["writeArrowParquet", COPY, 1.5, () => writeArrowParquet(conn, table, g("arrow"), noSync)],
        [QUERY, null, null, () => conn.run(`COPY (SELECT * FROM base WHERE id >= $1) TO '${g("sqlbase")}' (FORMAT parquet)`, [0])],
        ["writeSqlParquet", QUERY, 1.1, () => writeSqlParquet(conn, "SELECT * FROM base WHERE id >= $1", [0], g("sql"), noSync)],
        ["writeSqlParquet with fsync", QUERY, null, () => writeSqlParquet(conn, "SELECT * FROM base WHERE id >= $1", [0], g("sqlsync"))],
        [READ, null, null, async () => (await conn.runAndReadAll(`SELECT * FROM '${f("rows")}'`)).getRowObjectsJS()],
        ["readParquetRows", READ, null, () => readParquetRows(conn, [f("rows")])],
        ["readParquetArrow", READ, null, () => readParquetArrow(conn, [f("rows")])],
      ];
      // The floor of the staging design: DuckDB's COPY of the already-staged rows, no JS work timed.
      const plan = planRows(rows);
      const staged = path.join(dir, `staged-${size}.parquet`);
      await writePlainParquet(staged, plan.columns, plan.numRows);
      cases.push(["floor: COPY of the staged rows", COPY, null, () => conn.run(`COPY (SELECT ${plan.select.join(", ")} FROM read_parquet('${staged}')) TO '${g("floor")}' (FORMAT parquet)`)]);
      if (options.alternatives ?? true) {
        cases.push(["alt (a) appender → COPY", COPY, null, () => viaAppender(conn, rows, g("app"))]);
        cases.push(["alt (c) NDJSON → read_json → COPY", COPY, null, () => viaNdjson(conn, rows, g("ndjson"))]);
      }
      await writeRowsParquet(conn, rows, f("rows"), noSync); // the read cases need it first
      // file sizes of the same data: DuckDB's COPY, the default row writer, the direct writer
      await conn.run(`COPY base TO '${f("size-copy")}' (FORMAT parquet)`);
      await writeRowsParquet(conn, rows, f("size-direct"), { ...noSync, writer: "direct" });
      fileSizes.push({ size, copy: fs.statSync(f("size-copy")).size, rows: fs.statSync(f("rows")).size, direct: fs.statSync(f("size-direct")).size });
      const times = new Map<string, number[]>();
      const cpu = new Map<string, number[]>();
      // Interleave the cases run by run so machine noise hits them all alike.
      for (let r = 0; r <= runs; r++) {
        for (const [name, , , fn] of cases) {
          // The read cases leave a million objects behind: collect them, and let the collector's
          // helper threads finish, outside the timing (on 2 cores they would slow DuckDB down).
          Bun.gc(true);
          await Bun.sleep(50);
          const c0 = process.cpuUsage();
          const t0 = performance.now();
          await fn();
          const wall = performance.now() - t0;
          const c = process.cpuUsage(c0);
          // Drop each fresh file at once: piles of dirty pages would make later cases wait on writeback.
          for (const file of made.splice(0)) fs.rmSync(file, { force: true });
          if (r === 0) continue; // run 0 warms up
          times.set(name, [...(times.get(name) ?? []), wall]);
          cpu.set(name, [...(cpu.get(name) ?? []), (c.user + c.system) / 1000]);
        }
      }
      for (const [name, baseline, target] of cases) {
        const ms = median(times.get(name)!);
        const cpuMs = median(cpu.get(name)!);
        const base = baseline ?? name;
        const minMs = Math.min(...times.get(name)!);
        figures.push({
          size,
          case: name,
          medianMs: ms,
          ratio: ms / median(times.get(base)!),
          minMs,
          minRatio: minMs / Math.min(...times.get(base)!),
          cpuMs,
          cpuRatio: cpuMs / median(cpu.get(base)!),
          target,
        });
      }
    }
  } finally {
    conn.closeSync();
    instance.closeSync();
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return { figures, sizes: fileSizes, runs, threads: Number(info.t), duckdb: String(info.v) };
}

if (import.meta.main) {
  const quick = process.argv.includes("--quick");
  const runsArg = process.argv.indexOf("--runs");
  const sizesArg = process.argv.indexOf("--sizes");
  const result = await run({
    sizes: sizesArg > 0 ? process.argv[sizesArg + 1]!.split(",").map(Number) : quick ? [100_000] : undefined,
    runs: runsArg > 0 ? Number(process.argv[runsArg + 1]) : undefined,
    alternatives: !process.argv.includes("--no-alternatives"),
  });
  console.log(`DuckDB ${result.duckdb}, ${result.threads} threads, ${result.runs} runs; wall ms (median, fastest) and CPU ms (median); ratios vs the case's baseline\n`);
  console.log(`${"rows".padStart(9)}  ${"case".padEnd(38)} ${"median".padStart(8)} ${"ratio".padStart(6)} ${"fastest".padStart(8)} ${"ratio".padStart(6)} ${"cpu".padStart(8)} ${"ratio".padStart(6)}  target (median)`);
  for (const x of result.figures) {
    const mark = x.target === null ? "" : x.ratio <= x.target ? `≤ ${x.target} ok` : `≤ ${x.target} MISSED`;
    const num = (v: number, d: number, w: number) => v.toFixed(d).padStart(w);
    const cols = [num(x.medianMs, 1, 8), num(x.ratio, 2, 6), num(x.minMs, 1, 8), num(x.minRatio, 2, 6), num(x.cpuMs, 1, 8), num(x.cpuRatio, 2, 6)];
    console.log(`${x.size.toLocaleString("en").padStart(9)}  ${x.case.padEnd(38)} ${cols.join(" ")}  ${mark}`);
  }
  console.log("\nfile sizes (bytes): COPY / writeRowsParquet / writer: direct");
  for (const z of result.sizes) console.log(`${z.size.toLocaleString("en").padStart(9)}  ${z.copy} / ${z.rows} / ${z.direct} (direct ${(z.direct / z.copy).toFixed(2)}× COPY)`);
}
