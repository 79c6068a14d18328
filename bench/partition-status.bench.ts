/**
 * Partition status at scale (DESIGN §5, §10: "status of an asset with 1,000,000 partitions < 500 ms").
 *
 *   bun bench/partition-status.bench.ts [--partitions 1000000] [--runs 5]
 *
 * Builds a state file in a temp dir — in a child process, with one `INSERT … SELECT … FROM range()`
 * per table, so this process's RSS only reflects the store — holding one hourly asset with N latest
 * materializations (consecutive ordinals with a few gaps, a tenth on an old code version, a few
 * newer failures, a day of failures past the end) next to a small daily asset, then times
 * `partitionSummary()` including its whole session (attach → query → detach): the first call and
 * the median of `runs` more, the RSS / JS-heap growth of this process over those calls (from a
 * baseline taken once its DuckDB host instance exists), and `latestPartitionMaterializations()`
 * of 10,000 keys.
 */
import { DuckDBInstance } from "@duckdb/node-api";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { whenStateIdle } from "../io/state/_session.ts";
import { createDuckDBStateStore } from "../io/state/duckdb-store.ts";
import { type Figures, median, round, type Target } from "./_util.ts";

export const targets: Target[] = [
  { figure: "summary.median", label: "partitionSummary, 1,000,000 hourly partitions (session included)", op: "<", value: 500, unit: "ms" },
];

/** Hours since the epoch of 2000-01-01T00:00Z: ordinal of the first partition. */
const FIRST = 946_684_800_000 / 3_600_000;
const ASSET = "events/hourly";
const GAPS = "(i % 250000) BETWEEN 1000 AND 1009"; // 4 gaps of 10 hours

/** Create (migrated by the store) and fill the state file at `file` with `n` hourly partitions. */
async function build(file: string, n: number): Promise<void> {
  const store = createDuckDBStateStore(file);
  await store.listRuns();
  await store.close();
  const instance = await DuckDBInstance.create(file);
  const conn = await instance.connect();
  const key = `strftime(TIMESTAMP '2000-01-01' + to_hours(i::BIGINT), '%Y-%m-%d-%H:%M')`;
  await conn.run(`INSERT INTO latest_materializations
    SELECT '${ASSET}', ${key}, 'run-' || (i // 1000), 1700000000000 + i, 'dv' || i,
      CASE WHEN i < ${n} / 10 OR i % 100000 = 77 THEN 'v1' ELSE 'v2' END,
      '{}', '${ASSET}/date=' || ${key} || '/data.parquet', 'parquet', 24, 4096, NULL, NULL, ${FIRST} + i, NULL, MAP {}
    FROM range(${n}) t(i) WHERE NOT ${GAPS}`);
  await conn.run(`INSERT INTO latest_materializations
    SELECT 'daily', strftime(DATE '2000-01-01' + i::INTEGER, '%Y-%m-%d'), 'run-d', 1600000000000 + i, 'dv', 'v2', '{}', 'p', 'parquet',
      1, 1, NULL, NULL, 10957 + i, NULL, MAP {} FROM range(10000) t(i)`);
  // Failures newer than their materialization (every 100,003rd), older ones (ignored), and 24 never-materialized hours.
  await conn.run(`INSERT INTO latest_failures
    SELECT '${ASSET}', ${key}, 'run-f', CASE WHEN i % 2 = 0 THEN 1800000000000 ELSE 1 END, 'boom', ${FIRST} + i
    FROM range(${n}) t(i) WHERE i % 100003 = 5 AND NOT ${GAPS}
    UNION ALL SELECT '${ASSET}', ${key}, 'run-f', 1800000000000, 'boom', ${FIRST} + i FROM range(${n}, ${n} + 24) t(i)`);
  conn.closeSync();
  instance.closeSync();
}

/** Build the file, then measure in this process; returns flat figures. */
export async function run(options: { partitions?: number; runs?: number } = {}): Promise<Figures> {
  const n = options.partitions ?? 1_000_000;
  const runs = options.runs ?? 5;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dagx-bench-partitions-"));
  const file = path.join(dir, ".dagx", "state.duckdb");
  try {
    const t0 = performance.now();
    const child = Bun.spawnSync([process.execPath, import.meta.path, "--child-build", file, String(n)], { stdout: "inherit", stderr: "inherit" });
    if (child.exitCode !== 0) throw new Error(`building the state file failed (exit ${child.exitCode})`);
    const buildMs = performance.now() - t0;
    const store = createDuckDBStateStore(file);
    // Baseline once the process's DuckDB host instance exists (any state call creates it).
    await store.listRuns();
    await whenStateIdle(file);
    Bun.gc(true);
    const rssBefore = process.memoryUsage.rss();
    const heapBefore = process.memoryUsage().heapUsed;
    const times: number[] = [];
    const t1 = performance.now();
    let summary = await store.partitionSummary(ASSET, "v2");
    await whenStateIdle(file);
    const firstMs = performance.now() - t1;
    for (let i = 0; i < runs; i++) {
      const start = performance.now();
      summary = await store.partitionSummary(ASSET, "v2");
      await whenStateIdle(file);
      times.push(performance.now() - start);
    }
    Bun.gc(true);
    const rssAfter = process.memoryUsage.rss();
    const heapAfter = process.memoryUsage().heapUsed;
    const keys = Array.from({ length: 10_000 }, (_, i) => {
      const at = new Date(Date.UTC(2000, 0, 1) + i * 97 * 3_600_000).toISOString();
      return `${at.slice(0, 10)}-${at.slice(11, 16)}`;
    });
    const tk = performance.now();
    const found = await store.latestPartitionMaterializations(ASSET, keys);
    await whenStateIdle(file);
    const keysMs = performance.now() - tk;
    await store.close();
    return {
      partitions: n,
      buildMs: round(buildMs),
      "summary.first": round(firstMs),
      "summary.median": round(median(times)),
      "summary.min": round(Math.min(...times)),
      "summary.max": round(Math.max(...times)),
      rssGrowthMB: round((rssAfter - rssBefore) / 1024 ** 2),
      heapGrowthMB: round((heapAfter - heapBefore) / 1024 ** 2),
      materializedCount: summary.materializedCount,
      materializedRanges: summary.materialized.length,
      failedRanges: summary.failed.length,
      codeChangedRanges: summary.codeChanged.length,
      "latestPartitionMaterializations.10000keys.ms": round(keysMs),
      "latestPartitionMaterializations.found": found.length,
      stateFileMB: round(fs.statSync(file).size / 1024 ** 2),
    };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.main && process.argv[2] === "--child-build") {
  await build(path.resolve(process.argv[3]!), Number(process.argv[4]));
  process.exit(0);
} else if (import.meta.main) {
  const arg = (name: string) => {
    const i = process.argv.indexOf(name);
    return i > 0 ? Number(process.argv[i + 1]) : undefined;
  };
  const figures = await run({ partitions: arg("--partitions"), runs: arg("--runs") });
  for (const [k, v] of Object.entries(figures)) console.log(`${k.padEnd(48)} ${v}`);
  const miss = targets.filter((t) => !(Number(figures[t.figure]) < t.value));
  if (miss.length > 0) console.log(`target missed: ${miss.map((t) => `${t.label} ${t.op} ${t.value} ${t.unit}`).join("; ")}`);
}
