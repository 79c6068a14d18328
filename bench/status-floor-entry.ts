/**
 * The floor of `dagx status` on the status-1m states (docs/benchmarks.md, "Issue 12 (5 Dec)"): an
 * entry compiled like dagx (`bun scripts/build.ts bench/status-floor-entry.ts <out>`) that does only
 * what any status must: start, open the same state file the way the store does (an in-memory
 * 1-thread DuckDB instance attaching it), and run the queries named on the command line — `attach`
 * (nothing more), `compare` (the one per-partition comparison of `events` with `src`, the store's own
 * SQL), `exact` (the same comparison without the identity digests: one join of all rows), `summaries`
 * (the partition summaries of both assets, no fingerprint) or `both`.
 *
 *   <out> <state.duckdb> attach|compare|exact|summaries|both [identity|daily|all]
 */
import { DuckDBInstance } from "@duckdb/node-api";
import type { StalenessQuery } from "../core/types.ts";
import { registerHash, selectChangedPartitions } from "../io/state/_staleness.ts";
import { selectPartitionSummaries } from "../io/state/_partitions.ts";

const [file, what = "attach", mapping = "identity"] = process.argv.slice(2);
const instance = await DuckDBInstance.create(":memory:", { threads: "1" });
const conn = await instance.connect();
registerHash(conn);
await conn.run(`ATTACH '${file!.replaceAll("'", "''")}' AS s (READ_ONLY)`);
await conn.run("USE s");
const HOUR = 3_600_000;
const read: StalenessQuery["read"] =
  mapping === "daily"
    ? { kind: "regular", lo: 0, hi: 0, dPeriod: HOUR, dPhase: 0, uPeriod: 24 * HOUR, uPhase: 0 }
    : mapping === "all"
      ? { kind: "constant", version: "v" }
      : { kind: "shift", lo: 0, hi: 0 };
const q: StalenessQuery = { down: "events", up: "src", downOrdinals: [-1e9, 1e9], upOrdinals: [-1e9, 1e9], read, emptyVersion: "empty" };
let out = 0;
if (what === "summaries" || what === "both") {
  const s = await selectPartitionSummaries(conn, [
    { assetKey: "events", codeVersion: "x", fingerprint: false },
    { assetKey: "src", codeVersion: "x", fingerprint: mapping === "all" },
  ]);
  out += s.size;
}
if (what === "compare" || what === "both" || what === "exact") out += (await selectChangedPartitions(conn, q, { exact: what === "exact" })).changed.length;
console.log(out);
process.exit(0);
