/**
 * The embedded DuckDB's memory allocator, tuned for a short CLI process (compiled binary only).
 *
 * DuckDB's Linux builds allocate through a bundled jemalloc that keeps freed pages for a while
 * (dirty/muzzy decay, ~1 s) in one arena per thread: the threads @duckdb/node-api runs queries
 * on differ from call to call, so every state session, commit and checkpoint left its freed
 * buffers resident in another arena, and the process's peak RSS was their sum (bench/memory.bench.ts:
 * +15 MB on one trivial asset, +55 MB on the 1M-row SQL pipeline). With both decays at 0, freed
 * pages go back to the system at once. That costs DuckDB's heavy parallel work its speed, so a
 * run that creates its own DuckDB (`ctx.sql`, Parquet) switches back to a 1 s decay and purges
 * every few steps and after each state session instead (docs/benchmarks.md, "Memory"). Buffers of
 * 8 MiB and more are returned at once all along (the oversize arena, {@link DUCKDB_OVERSIZE_BYTES}):
 * that keeps the speed of the 1 s decay and cuts the 1M-row SQL pipeline's peak by ~40 MB
 * (docs/benchmarks.md, "Memory: one DuckDB instance or two, and the oversize arena").
 *
 * jemalloc reads its options from `DUCKDB_JE_MALLOC_CONF` at its first allocation, which comes
 * after the library is loaded. Bun's `process.env` does not write the C environment, so the
 * variable is set with libc's `setenv` through bun:ffi. A value the user set is left alone.
 */
import { dlopen, FFIType } from "bun:ffi";

/** The environment variable DuckDB's bundled jemalloc reads its options from (prefixed `MALLOC_CONF`). */
export const DUCKDB_MALLOC_CONF_ENV = "DUCKDB_JE_MALLOC_CONF";
/**
 * Allocations of at least this many bytes come from jemalloc's oversize arena, which returns them
 * to the system when freed, whatever the decay of the other arenas. jemalloc's own default is
 * 8 MiB; DuckDB builds it with 256 MiB, so big buffers (the 1M-row SQL pipeline frees and
 * allocates some of 32–64 MiB) stayed resident for the run's 1 s decay: +40 MB of peak RSS there.
 * DuckDB's blocks (256 KiB) and everything smaller stay in the arenas that keep them for reuse.
 */
export const DUCKDB_OVERSIZE_BYTES = 8 << 20;
/** Return freed pages at once (a CLI run's peak is not inflated by buffers it no longer uses); big ones always. */
export const DUCKDB_MALLOC_CONF = `dirty_decay_ms:0,muzzy_decay_ms:0,oversize_threshold:${DUCKDB_OVERSIZE_BYTES}`;

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

type Mallctl = (name: Buffer, oldp: Uint8Array | null, oldlenp: Uint8Array | null, newp: Uint8Array | null, newlen: number) => number;
let mallctl: Mallctl | null | undefined;

function mallctlOf(libraryPath: string): Mallctl | null {
  if (mallctl === undefined) {
    mallctl = null;
    if (process.platform === "linux") {
      try {
        const lib = dlopen(libraryPath, { duckdb_je_mallctl: { args: [FFIType.cstring, FFIType.ptr, FFIType.ptr, FFIType.ptr, FFIType.u64], returns: FFIType.i32 } });
        mallctl = lib.symbols.duckdb_je_mallctl as unknown as Mallctl;
      } catch {
        // a DuckDB without jemalloc: nothing to tune
      }
    }
  }
  return mallctl;
}

const cstr = (s: string) => Buffer.from(`${s}\0`);

/**
 * Hand the pages DuckDB's jemalloc keeps for reuse back to the system now (`arena.<all>.purge`),
 * between pieces of work rather than at every free. No-op where DuckDB has no jemalloc.
 */
export function purgeDuckDBAllocator(libraryPath: string): void {
  mallctlOf(libraryPath)?.(cstr("arena.4096.purge"), null, null, null, 0); // 4096: MALLCTL_ARENAS_ALL
}

/** jemalloc's decay for the heavy work of a run's own DuckDB (`ctx.sql`, Parquet): freed pages are kept ~1 s for reuse. */
export const DUCKDB_WORK_DECAY_MS = 1000;

/**
 * Switch the automatic arenas (and those created later) to `ms` of decay. Decay 0 makes DuckDB's
 * big parallel operators fault their pages back in: the 1M-row SQL pipeline ran 8–40 % slower, a
 * 1,098-step Parquet backfill ~18 %. So the process starts at 0 (state sessions, JSON runs) and a
 * run that creates its own DuckDB switches to {@link DUCKDB_WORK_DECAY_MS}, purging between steps
 * instead. The oversize arena (index `opt.narenas`, right after the automatic ones) is left as
 * jemalloc made it, returning big buffers at once ({@link DUCKDB_OVERSIZE_BYTES}): it may exist
 * already (a state session allocated a big buffer), and setting it too would keep them 1 s.
 */
export function setDuckDBAllocatorDecay(libraryPath: string, ms: number): void {
  const ctl = mallctlOf(libraryPath);
  if (!ctl) return;
  const value = new BigInt64Array([BigInt(ms)]);
  const bytes = new Uint8Array(value.buffer);
  for (const kind of ["dirty", "muzzy"]) ctl(cstr(`arenas.${kind}_decay_ms`), null, null, bytes, 8); // arenas created from now on
  const n = new Uint32Array(1);
  const len = new BigUint64Array([4n]);
  if (ctl(cstr("opt.narenas"), new Uint8Array(n.buffer), new Uint8Array(len.buffer), null, 0) !== 0) return;
  for (const kind of ["dirty", "muzzy"]) {
    for (let i = 0; i < n[0]!; i++) ctl(cstr(`arena.${i}.${kind}_decay_ms`), null, null, bytes, 8); // an arena not in use yet: an error, ignored
  }
}

type MallocTrim = (pad: number) => number;
let mallocTrim: MallocTrim | null | undefined;

/**
 * Give the C heap's free pages back to the system (glibc's `malloc_trim(0)`; a no-op elsewhere).
 * DuckDB allocates its catalogs, plans and transaction state with C++ `new`, which is glibc's
 * malloc, not its jemalloc: on the worker threads @duckdb/node-api runs calls on, each state session
 * left a few MB free but resident in the threads' malloc arenas, which glibc trims only when the
 * free space sits at the top of an arena (a chain of 1,000: −2 MB of peak RSS). Linux/glibc only:
 * musl has no `malloc_trim`, and other systems do not use this allocator.
 */
export function trimCHeap(): void {
  if (mallocTrim === undefined) {
    mallocTrim = null;
    if (process.platform === "linux") {
      try {
        mallocTrim = dlopen("libc.so.6", { malloc_trim: { args: [FFIType.u64], returns: FFIType.i32 } }).symbols.malloc_trim as unknown as MallocTrim;
      } catch {
        // not glibc: nothing to trim
      }
    }
  }
  mallocTrim?.(0);
}
