/**
 * What downstream readers pay for each row writer's file: the same 1M rows written by DuckDB's
 * COPY, by the DuckDB row writer and by the direct row writer, then read by DuckDB — a full scan,
 * and filters that row-group statistics can prune (a narrow id range, a narrow time range) or
 * cannot for the direct file (a string key: it has no string min/max). Queries interleaved.
 * Run: `bun bench/parquet-write-readback.bench.ts [--rows N] [--runs N]`.
 */
import { DuckDBInstance } from "@duckdb/node-api";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { writeRowsParquet } from "../io/tabular/tabular.ts";

const BASE_MS = Date.UTC(2024, 0, 1);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;

export async function run(options: { rows?: number; runs?: number } = {}) {
  const n = options.rows ?? 1_000_000;
  const runs = options.runs ?? 9;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dagx-bench-readback-"));
  const instance = await DuckDBInstance.create(":memory:");
  const conn = await instance.connect();
  try {
    const rows: Record<string, unknown>[] = [];
    for (let i = 0; i < n; i++) rows.push({ id: i, amount: i * 1.25 + 0.1, name: `customer_${i % 5000}`, flag: i % 3 === 0, ts: new Date(BASE_MS + i * 1000) });
    const files = { COPY: path.join(dir, "copy.parquet"), duckdb: path.join(dir, "duckdb.parquet"), direct: path.join(dir, "direct.parquet") };
    await conn.run(
      `COPY (SELECT range::BIGINT AS id, (range * 1.25 + 0.1)::DOUBLE AS amount, 'customer_' || (range % 5000) AS name, range % 3 = 0 AS flag, epoch_ms(${BASE_MS} + range * 1000) AS ts FROM range(${n})) TO '${files.COPY}' (FORMAT parquet)`,
    );
    await writeRowsParquet(conn, rows, files.duckdb, { fsync: false, writer: "duckdb" });
    await writeRowsParquet(conn, rows, files.direct, { fsync: false, writer: "direct" });
    const mid = Math.floor(n / 2);
    const queries: Record<string, (f: string) => string> = {
      "full scan (sums, distinct names)": (f) => `SELECT sum(id), sum(floor(amount))::HUGEINT, count(DISTINCT name), count(*) FILTER (WHERE flag), max(ts) FROM '${f}'`,
      "id range (1,000 rows)": (f) => `SELECT count(*), sum(floor(amount))::HUGEINT FROM '${f}' WHERE id BETWEEN ${mid} AND ${mid + 999}`,
      "ts range (1 hour)": (f) => `SELECT count(*) FROM '${f}' WHERE ts >= epoch_ms(${BASE_MS + mid * 1000}) AND ts < epoch_ms(${BASE_MS + mid * 1000 + 3_600_000})`,
      "name = one key": (f) => `SELECT count(*), sum(floor(amount))::HUGEINT FROM '${f}' WHERE name = 'customer_42'`,
    };
    const times = new Map<string, number[]>();
    const answers = new Map<string, string>();
    for (let r = 0; r <= runs; r++) {
      for (const [q, sql] of Object.entries(queries)) {
        for (const [w, f] of Object.entries(files)) {
          const t0 = performance.now();
          const res = await conn.runAndReadAll(sql(f));
          const ms = performance.now() - t0;
          const answer = JSON.stringify(res.getRows(), (_k, v) => (typeof v === "bigint" ? String(v) : v));
          // every writer's file must give the same answer
          if (answers.has(q) && answers.get(q) !== answer) throw new Error(`${w}: ${q} gives ${answer}, not ${answers.get(q)}`);
          answers.set(q, answer);
          if (r > 0) times.set(`${q}|${w}`, [...(times.get(`${q}|${w}`) ?? []), ms]);
        }
      }
    }
    return {
      rows: n,
      runs,
      bytes: Object.fromEntries(Object.entries(files).map(([w, f]) => [w, fs.statSync(f).size])),
      figures: Object.keys(queries).map((q) => ({ query: q, ...Object.fromEntries(Object.keys(files).map((w) => [w, median(times.get(`${q}|${w}`)!)])) })),
    };
  } finally {
    conn.closeSync();
    instance.closeSync();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.main) {
  const arg = (name: string) => {
    const i = process.argv.indexOf(name);
    return i > 0 ? Number(process.argv[i + 1]) : undefined;
  };
  const r = await run({ rows: arg("--rows"), runs: arg("--runs") });
  console.log(`${r.rows.toLocaleString("en")} rows, ${r.runs} interleaved runs, load ${os.loadavg()[0]!.toFixed(1)}; DuckDB read ms (median)`);
  console.log(`file bytes: ${Object.entries(r.bytes).map(([w, b]) => `${w} ${b.toLocaleString("en")}`).join(", ")}`);
  for (const f of r.figures) console.log(`${f.query.padEnd(34)} ${["COPY", "duckdb", "direct"].map((w) => `${w} ${(f as unknown as Record<string, number>)[w]!.toFixed(1).padStart(6)}`).join("   ")}`);
}
