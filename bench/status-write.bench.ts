/**
 * What the `input_map` column (migration 9, per-partition staleness without JSON) costs a write: the
 * DuckDB state store's `write` of materializations, as a run writes them (one step's record with its
 * events per call), against a base tree without the column, in interleaved child processes. Each child
 * creates a fresh state file, fills `latest_materializations` with `--rows` partition rows of another
 * asset (the size of the table each upsert joins against), then times `--writes` writes of one
 * partitioned materialization each (two upstream input versions), and reports the median and total ms
 * and the file size after closing.
 *
 *   bun bench/status-write.bench.ts --base-tree /path/to/other/checkout [--runs 5] [--writes 300] [--rows 100000]
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { BUN, median, REPO, round } from "./_util.ts";

const arg = (name: string) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : undefined;
};

async function child(tree: string, file: string, writes: number, rows: number): Promise<void> {
  const { createDuckDBStateStore } = (await import(path.join(tree, "io/state/duckdb-store.ts"))) as typeof import("../io/state/duckdb-store.ts");
  const { DuckDBInstance } = await import("@duckdb/node-api");
  const store = createDuckDBStateStore(file);
  await store.listRuns();
  await store.close();
  // the other asset's rows, by name: the base tree has no input_map (NULL in this tree: rows from before migration 9)
  const instance = await DuckDBInstance.create(file);
  const conn = await instance.connect();
  await conn.run(`INSERT INTO latest_materializations BY NAME SELECT 'other' AS asset_key, 'p' || i AS partition_key, 'r0' AS run_id, i AS ts, 'dv' || i AS data_version,
    'cv' AS code_version, '{"a":"x","b":"y"}' AS input_versions, 'other/p' || i AS path, 'parquet' AS format, i AS ordinal FROM range(${rows}) t(i)`);
  conn.closeSync();
  instance.closeSync();
  const s = createDuckDBStateStore(file);
  const ms: number[] = [];
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  for (let i = 0; i < writes; i++) {
    const key = `2024-01-01-${String(i % 24).padStart(2, "0")}:${String(Math.floor(i / 24)).padStart(2, "0")}`;
    const t = performance.now();
    await s.write({
      materializations: [{
        assetKey: "events", partitionKey: key, ordinal: 1_000_000 + i, runId: `r${i}`, at: 1_000 + i, dataVersion: `dv${i}`, codeVersion: "cv1",
        inputVersions: { src: `u${i}`, other: `o${i}` }, path: `events/${key}.parquet`, format: "parquet", rows: 1, bytes: 100, schema: null, metadata: null,
      }],
      events: [{ runId: `r${i}`, seq: 1, at: 1_000 + i, type: "step_success", assetKey: "events", partitionKey: key, payload: {} }],
    });
    ms.push(performance.now() - t);
  }
  const totalMs = performance.now() - t0;
  const cpu = process.cpuUsage(c0);
  await s.close();
  console.log(JSON.stringify({ median: median(ms), totalMs, cpuMs: (cpu.user + cpu.system) / 1000, bytes: fs.statSync(file).size }));
}

if (process.argv[2] === "--child") {
  await child(process.argv[3]!, process.argv[4]!, Number(process.argv[5]), Number(process.argv[6]));
  process.exit(0);
}

const baseTree = arg("--base-tree");
if (!baseTree) throw new Error("--base-tree <checkout> is required");
const runs = Number(arg("--runs") ?? 5);
const writes = Number(arg("--writes") ?? 300);
const rows = Number(arg("--rows") ?? 100_000);
const results: Record<string, { median: number[]; totalMs: number[]; cpuMs: number[]; bytes: number[] }> = { this: { median: [], totalMs: [], cpuMs: [], bytes: [] }, base: { median: [], totalMs: [], cpuMs: [], bytes: [] } };
const loads: number[] = [];
for (let r = 0; r < runs; r++) {
  for (const [name, tree] of [["this", REPO], ["base", path.resolve(baseTree)]] as const) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dagx-bench-status-write-"));
    const p = Bun.spawnSync([BUN, import.meta.path, "--child", tree, path.join(dir, "state.duckdb"), String(writes), String(rows)], { cwd: REPO, stdout: "pipe", stderr: "pipe" });
    fs.rmSync(dir, { recursive: true, force: true });
    if (p.exitCode !== 0) throw new Error(`${name}: ${p.stderr.toString()}`);
    const out = JSON.parse(p.stdout.toString().trim().split("\n").at(-1)!) as { median: number; totalMs: number; cpuMs: number; bytes: number };
    results[name]!.median.push(out.median);
    results[name]!.totalMs.push(out.totalMs);
    results[name]!.cpuMs.push(out.cpuMs);
    results[name]!.bytes.push(out.bytes);
  }
  loads.push(os.loadavg()[0]!);
}
const [a, b] = [results.this!, results.base!];
console.log(`write of one partitioned materialization into a state of ${rows.toLocaleString("en-US")} rows, ${writes} writes × ${runs} runs, load ${round(median(loads), 1)}`);
for (const [name, x] of [["this", a], ["base", b]] as const) {
  console.log(`${name}: median ${round(median(x.median), 2)} ms per write, ${round(median(x.totalMs))} ms in all, CPU ${round(median(x.cpuMs))} ms (${round(median(x.cpuMs) / writes, 2)} per write), file ${round(median(x.bytes) / 1024 ** 2, 2)} MB`);
}
const pair = (f: (x: typeof a, i: number) => number) => round(median(a.median.map((_, i) => f(a, i) / f(b, i))), 3);
console.log(`ratios this/base, median of per-run ratios: per-write median ${pair((x, i) => x.median[i]!)}, CPU ${pair((x, i) => x.cpuMs[i]!)}, file ${pair((x, i) => x.bytes[i]!)}`);
