/**
 * The floor of the SQL pipeline (bench/sql/pipeline.ts): one in-memory DuckDB with default
 * settings (so the same thread count as dagx's step connection) running the three COPY
 * statements in order, nothing else: no state, no staging, no fsync. bench/sql-floor.bench.ts
 * runs it as a compiled binary (built like dist/dagx, DuckDB embedded the same way) and with `bun`.
 *
 *   bun bench/sql/direct.ts <trades.csv> <out dir>     # prints {"inProcessMs": …, "statements": {…}}
 *   bun bench/sql/direct.ts --empty                    # only start DuckDB and run `select 1`
 */
import { DuckDBInstance } from "@duckdb/node-api";
import { copyStatements } from "./pipeline.ts";

const t0 = performance.now();
const conn = await (await DuckDBInstance.create(":memory:")).connect();
const statements: Record<string, number> = {};
if (process.argv[2] === "--empty") await conn.run("select 1");
else {
  for (const s of copyStatements(process.argv[2]!, process.argv[3]!)) {
    const t = performance.now();
    await conn.run(s.sql);
    statements[s.name] = performance.now() - t;
  }
}
conn.closeSync();
console.log(JSON.stringify({ inProcessMs: performance.now() - t0, statements }));
