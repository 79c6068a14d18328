/**
 * What DuckDB returns (results, data chunks, prepared statements) is native memory freed only when
 * the JS objects wrapping it are collected, and the JS heap is too small to collect on its own: a
 * 366-partition `ctx.sql` run kept ~80 KB per step until the end (bench/memory.bench.ts). So the run
 * engine asks for a young collection after every few steps that used DuckDB, and a single-run step
 * after every few of its pieces (366 COPYs in one step held up to ~100 MB of DuckDB allocations
 * between JSC's own collections; docs/benchmarks.md, "Memory: per-step cost of long runs").
 */

/** Steps (or pieces of a single-run step) that used DuckDB between two young collections. */
export const GC_EVERY_DUCKDB_STEPS = 8;

/**
 * Collect the DuckDB results nothing refers to any more. `Bun.gc(false)` only schedules a young
 * collection: it costs microseconds here. Their pages are not purged: during a run's DuckDB work
 * jemalloc keeps freed pages 1 s for reuse, and purging them every 8 pieces of a single-run step
 * saved no memory and cost CPU (366 pieces: 134.3 against 133.1 MB, 1,530 against 1,500 ms).
 */
export function collectDuckDBResults(): void {
  Bun.gc(false);
}
