/**
 * Memory floor (b)–(d): the stack every `dagx materialize` stands on, one layer per stage, built by
 * bench/memory-floor.bench.ts with scripts/build.ts exactly as dist/dagx (DuckDB embedded and
 * loaded through io/platform/duckdb-embedded.ts, its allocator tuned the same way).
 *
 *   stack load                      import @duckdb/node-api: the embedded libduckdb is loaded, no instance
 *   stack select1                   + an in-memory instance (1 thread, as dagx's state host) running `select 1`
 *   stack state <file>              + ATTACH a state file with dagx's schema (io/state/_schema.ts), one run
 *                                     record in a transaction, DETACH (checkpoint), purge — one state session
 *   stack defs <file> <asset.ts>    + import an asset file's definitions (`import … from "dagx"` resolved to
 *                                     core/public.ts as dagx does) without running them, before the state session
 *
 * Options of `state` and `defs`, for the least a run of N steps must also do:
 *   --records N        the run's records in its transaction: N materializations (history and latest,
 *                      the older latest rows deleted) and 2N events, generated in SQL (no JS objects)
 *   --copies N DIR     before the state session, N one-day `COPY (…) TO 'DIR/i.parquet'` in a second
 *                      in-memory instance with DuckDB's default threads (the work of the 366-day
 *                      `ctx.sql` backfill, without dagx's staging, DESCRIBE, hashes or fsyncs)
 *
 * `MEMORY_FLOOR_BLOCK_SIZE` creates a new state file with that block size (DuckDB's default: 262144).
 * `MEMORY_FLOOR_SQL` (statements separated by `;`) runs on the host connection before ATTACH: A/B of
 * DuckDB settings on the floor (`PRAGMA disable_checkpoint_on_shutdown`…).
 *
 * Prints one JSON line (what was done) so the bench can check the stage ran.
 */
import { DuckDBInstance } from "@duckdb/node-api";
import { plugin } from "bun";
import fs from "node:fs";
import path from "node:path";
import * as api from "../../core/public.ts";
import { releaseDuckDBMemory } from "../../io/platform/index.ts";
import { migrate } from "../../io/state/_schema.ts";

const argv = process.argv.slice(2);
const flag = (name: string, n = 1): string[] | null => {
  const i = argv.indexOf(name);
  if (i < 0) return null;
  return argv.splice(i, n + 1).slice(1);
};
const records = Number(flag("--records")?.[0] ?? 0);
const copies = flag("--copies", 2);
const [stage, stateFile, assetFile] = argv;
const out: Record<string, unknown> = { stage };
const lit = (s: string) => `'${s.replaceAll("'", "''")}'`;

if (stage === "defs") {
  // io/project/virtual-module.ts: "dagx" is the public API object, nothing installed
  plugin({ name: "dagx-virtual-module", setup: (build) => void build.module("dagx", () => ({ exports: { ...api }, loader: "object" })) });
  const defs = (await import(assetFile!)) as Record<string, unknown>;
  out.exports = Object.keys(defs).length;
  (globalThis as { defs?: unknown }).defs = defs; // kept alive for the rest of the run, as dagx keeps its graph
}

if (copies && (stage === "state" || stage === "defs")) {
  const n = Number(copies[0]);
  const dir = copies[1]!;
  fs.mkdirSync(dir, { recursive: true });
  const work = await DuckDBInstance.create(":memory:");
  const conn = await work.connect();
  for (let i = 0; i < n; i++) {
    const day = new Date(Date.UTC(2024, 0, 1) + i * 86_400_000).toISOString().slice(0, 10);
    await conn.run(`COPY (select strftime(d, '%Y-%m-%d') as date, 1 as v from range(DATE ${lit(day)}, DATE ${lit(day)} + 1, interval 1 day) t(d)) TO ${lit(path.join(dir, `${i}.parquet`))} (FORMAT parquet)`);
  }
  conn.closeSync();
  work.closeSync();
  out.copies = n;
}

if (stage === "select1" || stage === "state" || stage === "defs") {
  const instance = await DuckDBInstance.create(":memory:", { threads: "1" });
  const conn = await instance.connect();
  out.select1 = (await conn.runAndReadAll("select 1 as one")).getRowObjectsJS()[0]?.one;
  if (stage !== "select1") {
    for (const sql of (process.env.MEMORY_FLOOR_SQL ?? "").split(";").filter((x) => x.trim())) await conn.run(sql);
    const block = process.env.MEMORY_FLOOR_BLOCK_SIZE && !fs.existsSync(stateFile!) ? ` (BLOCK_SIZE ${Number(process.env.MEMORY_FLOOR_BLOCK_SIZE)})` : "";
    await conn.run(`ATTACH ${lit(stateFile!)} AS dagx_state${block}`);
    await conn.run("USE dagx_state");
    await migrate(conn, Date.now());
    await conn.run("BEGIN TRANSACTION");
    const id = `run-${process.pid}-${Date.now()}`;
    const now = Date.now();
    await conn.run(
      "INSERT INTO runs (run_id, status, selection, trigger, pid, host, started_at, ended_at, heartbeat_at, assets) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
      [id, "success", "*", "cli", process.pid, "floor", now, now, now, JSON.stringify(["a"])],
    );
    if (records > 0) {
      const mat = `SELECT 'a' || i AS asset_key, '' AS partition_key, ${lit(id)} AS run_id, ${now} AS ts, md5(i::VARCHAR) AS data_version, 'cv' AS code_version, '{}' AS input_versions, '.dagx/data/a' || i || '/data.json' AS path, 'json' AS format, 8 AS byte_count FROM range(${records}) r(i)`;
      await conn.run(`INSERT INTO events BY NAME SELECT ${lit(id)} AS run_id, i::INTEGER AS seq, ${now} AS ts, CASE WHEN i % 2 = 0 THEN 'step_start' ELSE 'step_success' END AS type, 'a' || (i // 2) AS asset_key, '' AS partition_key, '{}' AS payload FROM range(${2 * records}) r(i)`);
      await conn.run(`INSERT INTO materializations BY NAME ${mat}`);
      await conn.run(`DELETE FROM latest_materializations WHERE asset_key IN (SELECT 'a' || i FROM range(${records}) r(i))`);
      await conn.run(`INSERT INTO latest_materializations BY NAME ${mat}`);
      out.records = records;
    }
    await conn.run("COMMIT");
    await conn.run("USE memory");
    await conn.run("DETACH dagx_state"); // checkpoints the WAL into the file
    releaseDuckDBMemory();
    out.runs = 1;
  }
  conn.closeSync();
  instance.closeSync();
} else if (stage === "load") {
  out.loaded = typeof DuckDBInstance.create === "function";
} else {
  console.error(`unknown stage ${stage}`);
  process.exit(2);
}
console.log(JSON.stringify(out));
