/**
 * State store under contention: 20 processes doing mixed reads/writes on one `.dagx/state.duckdb`.
 *
 *   bun bench/state-concurrency.bench.ts [processes=20] [batches=10] [eventsPerBatch=5]
 *
 * Prints per-op median / p95 latency (an op's wait for the file included), total time, errors (must
 * be 0), lost events (must be 0), and the single-process cost of one whole session (attach →
 * transaction → detach) next to a fresh `DuckDBInstance` per operation (create → transaction → close).
 */
import { DuckDBInstance } from "@duckdb/node-api";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { whenStateIdle } from "../io/state/_session.ts";
import { createDuckDBStateStore } from "../io/state/duckdb-store.ts";

const REPO = path.join(import.meta.dir, "..");
const WORKER = path.join(REPO, "tests/fixtures/state-worker.ts");

export interface StateBenchFigures {
  processes: number;
  /** op → { median, p95, count } in ms. */
  ops: Record<string, { median: number; p95: number; count: number }>;
  totalMs: number;
  errors: number;
  lostEvents: number;
  /** Median of one store.write() session in a single process (attach → txn → detach), ms. */
  singleWriteSessionMedianMs: number;
  /** Median of one read session (attach → query → detach), ms. */
  singleReadSessionMedianMs: number;
  /** Median of create instance → txn → close in a single process, ms (the naive way). */
  singleInstanceMedianMs: number;
}

const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
const round = (n: number) => Math.round(n * 10) / 10;

async function singleProcess(dir: string): Promise<{ write: number; read: number; instance: number }> {
  const file = path.join(dir, "single", "state.duckdb");
  const store = createDuckDBStateStore(file);
  const event = (seq: number) => ({ runId: "single", seq, at: Date.now(), type: "log" as const, assetKey: null, partitionKey: null, payload: { seq } });
  await store.write({ events: [event(0)] }); // creates + migrates the file
  const write: number[] = [];
  const read: number[] = [];
  for (let i = 1; i <= 50; i++) {
    let started = performance.now();
    await store.write({ events: [event(i)] });
    await whenStateIdle(file); // count the DETACH (checkpoint) too: one whole session
    write.push(performance.now() - started);
    started = performance.now();
    await store.getEvents("single");
    await whenStateIdle(file);
    read.push(performance.now() - started);
  }
  await store.close();
  const instance: number[] = [];
  for (let i = 0; i < 50; i++) {
    const started = performance.now();
    const db = await DuckDBInstance.create(file, { threads: "1" });
    const conn = await db.connect();
    await conn.run("BEGIN TRANSACTION");
    await conn.run("INSERT INTO events VALUES ('raw', ?, 0, 'log', NULL, NULL, '{}')", [i]);
    await conn.run("COMMIT");
    conn.closeSync();
    db.closeSync();
    instance.push(performance.now() - started);
  }
  const median = (list: number[]) => quantile(list.sort((a, b) => a - b), 0.5);
  return { write: median(write), read: median(read), instance: median(instance) };
}

/** Run the benchmark and return its figures. */
export async function run(processes = 20, batches = 10, eventsPerBatch = 5): Promise<StateBenchFigures> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dagx-state-bench-"));
  try {
    const file = path.join(dir, ".dagx", "state.duckdb");
    const startAt = Date.now() + 2000;
    const children = Array.from({ length: processes }, (_, i) =>
      Bun.spawn([process.execPath, WORKER, "mixed", file, String(i), String(startAt), String(batches), String(eventsPerBatch)], {
        cwd: REPO, stdout: "pipe", stderr: "pipe",
      }),
    );
    const outputs = await Promise.all(
      children.map(async (child) => {
        const [code, stdout, stderr] = await Promise.all([child.exited, new Response(child.stdout).text(), new Response(child.stderr).text()]);
        return { code, stdout, stderr, endedAt: Date.now() };
      }),
    );
    const totalMs = Math.max(...outputs.map((o) => o.endedAt)) - startAt;
    const samples: Record<string, number[]> = {};
    let errors = 0;
    const runIds: string[] = [];
    for (const output of outputs) {
      if (output.code !== 0 || /lock/i.test(output.stderr)) errors++;
      try {
        const report = JSON.parse(output.stdout.trim().split("\n").at(-1) ?? "") as { runId: string; latencies: Record<string, number[]>; errors: string[] };
        errors += report.errors.length;
        runIds.push(report.runId);
        for (const [op, list] of Object.entries(report.latencies)) (samples[op] ??= []).push(...list);
      } catch {
        errors++;
      }
    }
    const store = createDuckDBStateStore(file);
    let stored = 0;
    for (const runId of runIds) stored += (await store.getEvents(runId)).length;
    await store.close();
    const ops: StateBenchFigures["ops"] = {};
    for (const [op, list] of Object.entries(samples)) {
      list.sort((a, b) => a - b);
      ops[op] = { median: round(quantile(list, 0.5)), p95: round(quantile(list, 0.95)), count: list.length };
    }
    const single = await singleProcess(dir);
    return {
      processes, ops, totalMs, errors, lostEvents: processes * batches * eventsPerBatch - stored,
      singleWriteSessionMedianMs: round(single.write), singleReadSessionMedianMs: round(single.read),
      singleInstanceMedianMs: round(single.instance),
    };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.main) {
  const [processes, batches, perBatch] = process.argv.slice(2).map(Number);
  const figures = await run(processes || 20, batches || 10, perBatch || 5);
  console.log(`state store: ${figures.processes} processes, mixed reads/writes on one file (${os.cpus().length} CPUs)`);
  for (const [op, f] of Object.entries(figures.ops)) {
    console.log(`  ${op.padEnd(24)} median ${String(f.median).padStart(7)} ms   p95 ${String(f.p95).padStart(7)} ms   (${f.count} ops)`);
  }
  console.log(`  total ${figures.totalMs} ms   errors ${figures.errors}   lost events ${figures.lostEvents}`);
  console.log(`  single process, one session (attach → txn → detach): write median ${figures.singleWriteSessionMedianMs} ms, ` +
    `read median ${figures.singleReadSessionMedianMs} ms; naive instance per op (create → txn → close) median ${figures.singleInstanceMedianMs} ms`);
  process.exitCode = figures.errors === 0 && figures.lostEvents === 0 ? 0 : 1;
}
