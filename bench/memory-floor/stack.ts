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
 * `MEMORY_FLOOR_SQL` (statements separated by `;`) runs on the host connection before ATTACH: A/B of
 * DuckDB settings on the floor (`SET threads = 1`, `PRAGMA disable_checkpoint_on_shutdown`…).
 *
 * Prints one JSON line (what was done) so the bench can check the stage ran.
 */
import { DuckDBInstance } from "@duckdb/node-api";
import { plugin } from "bun";
import * as api from "../../core/public.ts";
import { releaseDuckDBMemory } from "../../io/platform/index.ts";
import { migrate } from "../../io/state/_schema.ts";

const [stage, stateFile, assetFile] = process.argv.slice(2);
const out: Record<string, unknown> = { stage };

if (stage === "defs") {
  // io/project/virtual-module.ts: "dagx" is the public API object, nothing installed
  plugin({ name: "dagx-virtual-module", setup: (build) => void build.module("dagx", () => ({ exports: { ...api }, loader: "object" })) });
  const defs = (await import(assetFile!)) as Record<string, unknown>;
  out.exports = Object.keys(defs).length;
  (globalThis as { defs?: unknown }).defs = defs; // kept alive for the rest of the run, as dagx keeps its graph
}

if (stage === "select1" || stage === "state" || stage === "defs") {
  const instance = await DuckDBInstance.create(":memory:", { threads: "1" });
  const conn = await instance.connect();
  out.select1 = (await conn.runAndReadAll("select 1 as one")).getRowObjectsJS()[0]?.one;
  if (stage !== "select1") {
    for (const sql of (process.env.MEMORY_FLOOR_SQL ?? "").split(";").filter((x) => x.trim())) await conn.run(sql);
    await conn.run(`ATTACH '${stateFile!.replaceAll("'", "''")}' AS dagx_state`);
    await conn.run("USE dagx_state");
    await migrate(conn, Date.now());
    await conn.run("BEGIN TRANSACTION");
    const id = `run-${process.pid}-${Date.now()}`;
    await conn.run(
      "INSERT INTO runs (run_id, status, selection, trigger, pid, host, started_at, ended_at, heartbeat_at, assets) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
      [id, "success", "*", "cli", process.pid, "floor", Date.now(), Date.now(), Date.now(), JSON.stringify(["a"])],
    );
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
