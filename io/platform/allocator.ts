/**
 * The embedded DuckDB's memory allocator, tuned for a short CLI process (compiled binary only).
 *
 * DuckDB's Linux builds allocate through a bundled jemalloc that keeps freed pages for a while
 * (dirty/muzzy decay, ~1 s) in one arena per thread: the threads @duckdb/node-api runs queries
 * on differ from call to call, so every state session, commit and checkpoint left its freed
 * buffers resident in another arena, and the process's peak RSS was their sum (bench/memory.bench.ts:
 * +15 MB on one trivial asset, +55 MB on the 1M-row SQL pipeline). With both decays at 0, freed
 * pages go back to the system at once; the SQL pipeline's time does not move measurably
 * (docs/benchmarks.md, "memory").
 *
 * jemalloc reads its options from `DUCKDB_JE_MALLOC_CONF` at its first allocation, which comes
 * after the library is loaded. Bun's `process.env` does not write the C environment, so the
 * variable is set with libc's `setenv` through bun:ffi. A value the user set is left alone.
 */
import { dlopen, FFIType } from "bun:ffi";

/** The environment variable DuckDB's bundled jemalloc reads its options from (prefixed `MALLOC_CONF`). */
export const DUCKDB_MALLOC_CONF_ENV = "DUCKDB_JE_MALLOC_CONF";
/** Return freed pages at once: a CLI run's peak is not inflated by buffers it no longer uses. */
export const DUCKDB_MALLOC_CONF = "dirty_decay_ms:0,muzzy_decay_ms:0";

const LIBC = ["libc.so.6", `libc.musl-${process.arch === "arm64" ? "aarch64" : "x86_64"}.so.1`];

/**
 * Set `DUCKDB_JE_MALLOC_CONF` in the C environment before DuckDB's first allocation (Linux only,
 * where DuckDB links jemalloc). Returns the value in effect for this process, or null when it
 * could not be set (no libc found: DuckDB keeps its defaults, nothing else changes).
 */
export function tuneDuckDBAllocator(env: NodeJS.ProcessEnv = process.env): string | null {
  if (process.platform !== "linux") return null;
  const own = env[DUCKDB_MALLOC_CONF_ENV];
  if (own !== undefined) return own;
  for (const name of LIBC) {
    try {
      const libc = dlopen(name, { setenv: { args: [FFIType.cstring, FFIType.cstring, FFIType.i32], returns: FFIType.i32 } });
      try {
        const cstr = (s: string) => Buffer.from(`${s}\0`);
        if (libc.symbols.setenv(cstr(DUCKDB_MALLOC_CONF_ENV), cstr(DUCKDB_MALLOC_CONF), 0) !== 0) return null;
      } finally {
        libc.close();
      }
      // process.env is left as it was: processes dagx starts get the user's environment
      return DUCKDB_MALLOC_CONF;
    } catch {
      // not this libc (musl, or glibc under another name): try the next
    }
  }
  return null;
}
