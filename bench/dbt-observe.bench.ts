/**
 * What observing a dbt-built relation costs (io/iomanagers/dbt-relation.ts): the dbt IO manager's
 * handleOutput on a table of N rows in a DuckDB file as dbt-duckdb leaves it — attach read-only,
 * DESCRIBE, count + sum/XOR of a hash of every row, detach — against the floor of attaching and
 * counting only, and a view over the same table. Interleaved repetitions, medians.
 *
 *   bun bench/dbt-observe.bench.ts [rows=1000000] [repetitions=5]
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { createDbtRelationIO, outputContext, type StepIO } from "../io/iomanagers/index.ts";
import type { Storage } from "../io/storage/index.ts";

const rows = Number(process.argv[2] ?? 1_000_000);
const reps = Number(process.argv[3] ?? 5);
const dir = mkdtempSync(join(tmpdir(), "dagx-dbt-observe-"));
const file = join(dir, "shop.duckdb");

const setup = await DuckDBInstance.create(file);
const w = await setup.connect();
await w.run(`create table main.orders as select range as id, 'customer ' || (range % 5000) as name, (range % 977) / 10.0 as amount, date '2024-01-01' + (range % 365)::integer as day, range % 3 = 0 as paid from range(${rows})`);
await w.run("create view main.orders_v as select * from shop.main.orders");
w.closeSync();
setup.closeSync();

const instance = await DuckDBInstance.create(":memory:");
const quiet = { debug() {}, info() {}, warn() {}, error() {} };
const relations = new Map([
  ["orders", { schema: "main", name: "orders", database: "shop" }],
  ["orders_v", { schema: "main", name: "orders_v", database: "shop", materialized: "view" }],
]);
const io = createDbtRelationIO({ name: "dbt:shop", dir, database: { file, catalog: "shop" }, relations });

async function observe(key: string): Promise<number> {
  const conn = await instance.connect();
  const step: StepIO = { storage: { root: dir } as Storage, runId: "bench", log: quiet, conn: async () => conn, resolveRef: () => null, runSql: () => Promise.reject(new Error("unused")) };
  const t0 = performance.now();
  const s = await io.handleOutput(outputContext(step, key, "", []), undefined);
  const ms = performance.now() - t0;
  conn.closeSync();
  if (s.rows !== rows) throw new Error(`observed ${s.rows} rows, expected ${rows}`);
  return ms;
}

async function countOnly(): Promise<number> {
  const conn = await instance.connect();
  const t0 = performance.now();
  await conn.run(`attach '${file}' as shop (read_only)`);
  await conn.runAndReadAll("select count(*) from shop.main.orders");
  await conn.run("detach shop");
  const ms = performance.now() - t0;
  conn.closeSync();
  return ms;
}

const table: number[] = [];
const view: number[] = [];
const floor: number[] = [];
await observe("orders"); // warm: the file's pages in the OS cache
for (let i = 0; i < reps; i++) {
  table.push(await observe("orders"));
  view.push(await observe("orders_v"));
  floor.push(await countOnly());
}
const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;
const f = (ms: number) => `${ms.toFixed(0)} ms`;
console.log(`${rows.toLocaleString("en")} rows × 5 columns, ${reps} interleaved repetitions (medians)`);
console.log(`observe a table (attach, describe, count + hash aggregate, detach): ${f(median(table))}`);
console.log(`observe a view over it:                                          ${f(median(view))}`);
console.log(`floor: attach, count(*), detach:                                 ${f(median(floor))}`);
console.log(`ratio observe / floor: ${(median(table) / median(floor)).toFixed(1)}×`);
instance.closeSync();
rmSync(dir, { recursive: true, force: true });
