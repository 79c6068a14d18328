/**
 * postgresTable against the local Parquet default, 1M rows (issue 13): write (rows from JS, a
 * ctx.sql result) and read (a downstream ctx.sql aggregate over the input, and the input as
 * Arrow), through the IO-manager port as a step calls it, on an embedded Postgres on loopback
 * with its durability on (fsync, synchronous commit: as a real server runs). Rounds interleave
 * the two managers; medians of wall and of this process's CPU time (the Postgres server's own
 * CPU is not in it), with the load average.
 * Run: `bun bench/postgres-table.bench.ts [--rows N] [--runs N]`.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { createSqlTag, type SqlQuery, type TableInput } from "../core/context.ts";
import type { IOManager, StoredInput } from "../core/io-manager.ts";
import { createPostgresTable } from "../io/iomanagers/postgres-table.ts";
import { startPostgres } from "../tests/support/postgres.ts";
import { inputContext, outputContext, parquetIOManager, type StepIO } from "../io/iomanagers/index.ts";
import { makeLogger } from "../io/run/step-context.ts";
import { createSqlRunner, runUserSql } from "../io/run/user-sql.ts";
import { createStorage } from "../io/storage/index.ts";

const arg = (name: string, d: number) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : d;
};
const ROWS = arg("--rows", 1_000_000);
const RUNS = arg("--runs", 5);

const root = mkdtempSync(join(tmpdir(), "dagx-bench-pg-"));
const pg = await startPostgres({ durable: true });
const instance = await DuckDBInstance.create(":memory:");
const conn = await instance.connect();
const ends: (() => Promise<void> | void)[] = [];
const io: StepIO = { storage: createStorage(root), runId: "bench", log: makeLogger(() => {}), conn: async () => conn, resolveRef: () => null, runSql: (q, exec) => runUserSql(q, () => null, exec), atEnd: (fn) => void ends.push(fn) };
const sql = createSqlTag(createSqlRunner(async () => conn, () => null));
const endStep = async () => {
  for (const e of ends.splice(0)) await e();
};

const BASE = Date.UTC(2024, 0, 1);
const rows = Array.from({ length: ROWS }, (_, i) => ({ id: i, amount: i * 1.25 + 0.1, name: `customer_${i % 5000}`, flag: i % 3 === 0, ts: new Date(BASE + i * 1000) }));
const query = (): SqlQuery => sql`select i as id, i * 1.25 + 0.1 as amount, 'customer_' || (i % 5000) as name, i % 3 = 0 as flag, timestamp '2024-01-01' + to_seconds(i) as ts from range(${ROWS}) t(i)`;

const managers: [string, IOManager][] = [
  ["parquet", parquetIOManager],
  ["postgresTable", createPostgresTable({ url: pg.url, schema: "bench" })],
];

/**
 * CPU time of the Postgres server so far, in ms (Linux): the postmaster's own and its exited
 * children's (from its /proc stat), plus each live backend's.
 */
function serverCpuMs(): number {
  const tick = 1000 / 100; // USER_HZ
  const stat = (pid: number | string) => {
    try {
      const text = readFileSync(`/proc/${pid}/stat`, "utf8");
      return text.slice(text.lastIndexOf(")") + 2).split(" ");
    } catch {
      return null;
    }
  };
  const main = stat(pg.pid);
  if (!main) return 0;
  // fields after the name: state(0) ppid(1) … utime(11) stime(12) cutime(13) cstime(14)
  let ticks = Number(main[11]) + Number(main[12]) + Number(main[13]) + Number(main[14]);
  for (const e of readdirSync("/proc")) {
    if (!/^\d+$/.test(e)) continue;
    const f = stat(e);
    if (f && Number(f[1]) === pg.pid) ticks += Number(f[11]) + Number(f[12]);
  }
  return ticks * tick;
}

async function timed(fn: () => unknown): Promise<{ ms: number; cpu: number; server: number }> {
  const c0 = process.cpuUsage();
  const s0 = serverCpuMs();
  const t0 = performance.now();
  await fn();
  const ms = performance.now() - t0;
  const c = process.cpuUsage(c0);
  return { ms, cpu: (c.user + c.system) / 1000, server: serverCpuMs() - s0 };
}

const stored = (key: string, location: string): StoredInput => ({ assetKey: key, locations: [location], partitionKeys: [""], dimensions: [], keyValues: () => [], schemas: [null], columns: null });
const results = new Map<string, { ms: number[]; cpu: number[]; server: number[] }>();
const note = (name: string, r: { ms: number; cpu: number; server: number }) => {
  const x = results.get(name) ?? results.set(name, { ms: [], cpu: [], server: [] }).get(name)!;
  x.ms.push(r.ms);
  x.cpu.push(r.cpu);
  x.server.push(r.server);
};

const loads: number[] = [];
for (let run = 0; run < RUNS + 1; run++) {
  // alternate which manager goes first: neither always gets the warmer cache
  const order = run % 2 === 0 ? managers : [...managers].reverse();
  for (const [name, m] of order) {
    const w1 = await timed(() => m.handleOutput(outputContext(io, "rows_out", "", []), rows));
    const w2 = await timed(() => m.handleOutput(outputContext(io, "sql_out", "", []), query()));
    const out = await m.handleOutput(outputContext(io, "sql_out", "", []), query());
    const r1 = await timed(async () => {
      const h = (await m.loadInput(inputContext(io, "reader", stored("sql_out", out.location)))) as TableInput;
      await sql`select count(*) as n, sum(amount) as s, count(distinct name) as d from ${h}`.rows();
      await endStep();
    });
    const r2 = await timed(async () => {
      const h = (await m.loadInput(inputContext(io, "reader", stored("sql_out", out.location)))) as TableInput;
      await h.arrow();
      await endStep();
    });
    if (run === 0) continue; // warm-up round
    note(`${name} write rows`, w1);
    note(`${name} write ctx.sql`, w2);
    note(`${name} read ctx.sql aggregate`, r1);
    note(`${name} read arrow()`, r2);
  }
  loads.push(loadavg()[0]!);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
console.log(`${ROWS.toLocaleString("en-US")} rows, ${RUNS} interleaved rounds, load average (1 min) ${Math.min(...loads).toFixed(1)}–${Math.max(...loads).toFixed(1)}`);
console.log("| case | Parquet median ms (CPU) | postgresTable median ms (CPU; + Postgres server CPU) | ratio wall | ratio CPU (dagx) | ratio CPU (dagx + server) |");
console.log("| --- | ---: | ---: | ---: | ---: | ---: |");
for (const c of ["write rows", "write ctx.sql", "read ctx.sql aggregate", "read arrow()"]) {
  const p = results.get(`parquet ${c}`)!;
  const d = results.get(`postgresTable ${c}`)!;
  const [pm, pc, dm, dc, ds] = [median(p.ms), median(p.cpu), median(d.ms), median(d.cpu), median(d.server)];
  console.log(`| ${c} | ${pm.toFixed(0)} (${pc.toFixed(0)}) | ${dm.toFixed(0)} (${dc.toFixed(0)}; + ${ds.toFixed(0)}) | ${(dm / pm).toFixed(2)}× | ${(dc / pc).toFixed(2)}× | ${((dc + ds) / pc).toFixed(2)}× |`);
}
conn.closeSync();
instance.closeSync();
await pg.stop();
rmSync(root, { recursive: true, force: true });
