/**
 * Reading every partition of an asset (an unpartitioned downstream, a `dagx query` view) through
 * io/parquet-source.ts: the exact files state lists, partition columns joined from the keys.
 *
 *   bun bench/partition-read.bench.ts [--partitions 10000,100000] [--runs 3]
 *
 * Per N (one small Parquet file per partition, in `partition=<key>/data.parquet` folders):
 * - prepare: build the table expression (appender + variable past 1,000 files) and bind it
 *   (`DESCRIBE`, what creating a view costs), median of `runs`;
 * - count: `SELECT count(*), sum(n)` over it, end to end (prepare included);
 * - glob: the design it replaced, one hive glob over the asset folder (`partition=*`), same query;
 * - text: the exact list as SQL text instead of a variable (bind only, N ≤ 100,000).
 * Then the list overhead alone at 1,000,000 entries (10,000 real files repeated): prepare (bind)
 * through the variable vs. as SQL text.
 */
import { type DuckDBConnection, DuckDBInstance } from "@duckdb/node-api";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { type PartitionFiles, partitionFilesSql } from "../io/tabular/parquet-source.ts";
import { type Figures, median, round, type Target } from "./_util.ts";

export const targets: Target[] = [];

const key = (i: number) => `k${String(i).padStart(7, "0")}`;

/** `n` partition folders with one file each, written by one DuckDB COPY. */
async function build(conn: DuckDBConnection, dir: string, n: number): Promise<string[]> {
  fs.mkdirSync(path.dirname(dir), { recursive: true });
  await conn.run(`COPY (SELECT 'k' || lpad(i::VARCHAR, 7, '0') AS partition, i AS n FROM range(${n}) t(i))
    TO '${dir}' (FORMAT parquet, PARTITION_BY (partition), FILENAME_PATTERN 'data{i}', OVERWRITE_OR_IGNORE)`);
  return Array.from({ length: n }, (_, i) => path.join(dir, `partition=${key(i)}`, "data0.parquet"));
}

async function timed<T>(fn: () => Promise<T>): Promise<[number, T]> {
  const t0 = performance.now();
  const r = await fn();
  return [performance.now() - t0, r];
}

/** A fresh connection per measurement: temp tables, variables and caches do not carry over. */
async function fresh<T>(fn: (conn: DuckDBConnection) => Promise<T>): Promise<T> {
  const instance = await DuckDBInstance.create(":memory:");
  const conn = await instance.connect();
  try {
    return await fn(conn);
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}

function source(files: readonly string[]): PartitionFiles {
  return { files, dims: ["partition"], keyOf: (i) => [key(i)], schemas: [[{ name: "n", type: "BIGINT" }]] };
}

async function measure(dir: string, files: string[], runs: number): Promise<Figures> {
  const n = files.length;
  const prepare: number[] = [];
  const count: number[] = [];
  const glob: number[] = [];
  const text: number[] = [];
  for (let r = 0; r < runs; r++) {
    prepare.push(await fresh(async (c) => (await timed(async () => c.run(`DESCRIBE SELECT * FROM ${await partitionFilesSql(source(files), async () => c)}`)))[0]));
    count.push(await fresh(async (c) => (await timed(async () => c.runAndReadAll(`SELECT count(*), sum(n) FROM ${await partitionFilesSql(source(files), async () => c)}`)))[0]));
    const pattern = path.join(dir, "partition=*", "data0.parquet").replaceAll("'", "''");
    glob.push(await fresh(async (c) => (await timed(() => c.runAndReadAll(`SELECT count(*), sum(n) FROM read_parquet('${pattern}', hive_partitioning = true, union_by_name = true)`)))[0]));
    if (n <= 100_000) text.push(await fresh(async (c) => (await timed(async () => c.run(`DESCRIBE SELECT * FROM ${await partitionFilesSql(source(files), async () => c, Number.POSITIVE_INFINITY)}`)))[0]));
  }
  return {
    [`${n}.prepare.ms`]: round(median(prepare)),
    [`${n}.count.ms`]: round(median(count)),
    [`${n}.glob.ms`]: round(median(glob)),
    ...(text.length ? { [`${n}.text.prepare.ms`]: round(median(text)) } : {}),
  };
}

export async function run(options: { partitions?: number[]; runs?: number; log?: boolean } = {}): Promise<Figures> {
  const sizes = options.partitions ?? [10_000, 100_000];
  const runs = options.runs ?? 3;
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "dagx-bench-read-"));
  const figures: Figures = {};
  try {
    let real: string[] = [];
    for (const n of sizes) {
      const dir = path.join(root, `n${n}`, "events");
      const files = await fresh((c) => build(c, dir, n));
      Object.assign(figures, await measure(dir, files, runs));
      // the 10,000 files stay for the million-entry list below
      if (n === 10_000) real = files;
      else fs.rmSync(path.dirname(dir), { recursive: true, force: true });
      if (options.log) for (const [k, v] of Object.entries(figures)) if (k.startsWith(`${n}.`)) console.log(`${k.padEnd(32)} ${v}`);
    }
    if (real.length === 0) real = await fresh((c) => build(c, path.join(root, "n10000", "events"), 10_000));
    // list overhead at a million entries: 10,000 real files, each listed 100 times
    const million = Array.from({ length: 1_000_000 }, (_, i) => real[i % real.length]!);
    const bind = async (inlineMax?: number) => fresh(async (c) => (await timed(async () => c.run(`DESCRIBE SELECT * FROM ${await partitionFilesSql(source(million), async () => c, inlineMax)}`)))[0]);
    const viaVariable: number[] = [];
    for (let r = 0; r < runs; r++) viaVariable.push(await bind());
    figures["1000000.prepare.ms"] = round(median(viaVariable));
    figures["1000000.text.prepare.ms"] = round(await bind(Number.POSITIVE_INFINITY));
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
  return figures;
}

if (import.meta.main) {
  const arg = (name: string) => {
    const i = process.argv.indexOf(name);
    return i > 0 ? process.argv[i + 1] : undefined;
  };
  const sizes = arg("--partitions")?.split(",").map(Number);
  const runs = arg("--runs");
  const figures = await run({ partitions: sizes, runs: runs ? Number(runs) : undefined, log: true });
  for (const [k, v] of Object.entries(figures)) if (k.startsWith("1000000.")) console.log(`${k.padEnd(32)} ${v}`);
}
