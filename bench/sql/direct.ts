/**
 * The floor of the SQL pipeline (bench/sql/pipeline.ts): one in-memory DuckDB with default
 * settings (so the same thread count as dagx's step connection) running the three COPY
 * statements in order, nothing else: no state, no staging, no fsync. bench/sql-floor.bench.ts
 * runs it as a compiled binary (built like dist/dagx, DuckDB embedded the same way) and with `bun`.
 *
 * With `--durable` it adds exactly the durability dagx owes, and nothing else (the "durable
 * floor"): each output is written to a temp file beside its final name, fsynced and renamed (the
 * folder fsynced once the three are in place); then one transaction records the run and its three
 * outputs in a DuckDB state file (`<out dir>/state.duckdb`, ATTACHed to the same instance: no
 * second instance, no schema beyond two tables), and DETACH checkpoints it into the file. What
 * dagx does on top is orchestration (loading the project, reading state to plan, a run record at
 * the start, events, hashes and schemas of outputs, a separate host instance for the state file).
 *
 *   bun bench/sql/direct.ts <trades.csv> <out dir> [--durable]   # prints {"inProcessMs": …, "statements": {…}}
 *   bun bench/sql/direct.ts --empty                               # only start DuckDB and run `select 1`
 */
import fs from "node:fs";
import path from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { copyStatements } from "./pipeline.ts";

const t0 = performance.now();
const conn = await (await DuckDBInstance.create(":memory:")).connect();
const statements: Record<string, number> = {};
const lit = (s: string) => `'${s.replaceAll("'", "''")}'`;

function fsyncPath(p: string): void {
  const fd = fs.openSync(p, "r");
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

if (process.argv[2] === "--empty") await conn.run("select 1");
else {
  const [csv, dir] = [process.argv[2]!, process.argv[3]!];
  const durable = process.argv.includes("--durable");
  const written: { name: string; file: string; bytes: number }[] = [];
  for (const s of copyStatements(csv, dir)) {
    const t = performance.now();
    if (!durable) await conn.run(s.sql);
    else {
      // the same statement, into a temp file; made durable, then put in place
      const tmp = `${s.out}.tmp-${process.pid}`;
      await conn.run(s.sql.replace(`TO ${lit(s.out)}`, `TO ${lit(tmp)}`));
      fsyncPath(tmp);
      fs.renameSync(tmp, s.out);
      written.push({ name: s.name, file: s.out, bytes: fs.statSync(s.out).size });
    }
    statements[s.name] = performance.now() - t;
  }
  if (durable) {
    const t = performance.now();
    fsyncPath(dir); // the renames
    const state = path.join(dir, "state.duckdb");
    await conn.run(`ATTACH ${lit(state)} AS st`);
    await conn.run("CREATE TABLE IF NOT EXISTS st.runs (run_id VARCHAR, status VARCHAR, ended_at BIGINT)");
    await conn.run("CREATE TABLE IF NOT EXISTS st.outputs (run_id VARCHAR, asset_key VARCHAR, path VARCHAR, bytes BIGINT)");
    const runId = `run-${Date.now()}-${process.pid}`;
    await conn.run("BEGIN");
    await conn.run("INSERT INTO st.runs VALUES ($1, 'success', $2)", [runId, BigInt(Date.now())]);
    for (const w of written) await conn.run("INSERT INTO st.outputs VALUES ($1, $2, $3, $4)", [runId, w.name, w.file, BigInt(w.bytes)]);
    await conn.run("COMMIT"); // fsyncs the WAL
    await conn.run("DETACH st"); // checkpoints the WAL into the file and releases it
    statements.commit = performance.now() - t;
  }
}
conn.closeSync();
console.log(JSON.stringify({ inProcessMs: performance.now() - t0, statements }));
