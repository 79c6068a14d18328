/**
 * Leave no page cache behind for a file dagx just wrote for its own code (the extracted DuckDB
 * library and extensions).
 *
 * A freshly extracted libduckdb.so added ~20 MB to the peak RSS of every later dagx run, until the
 * kernel evicted it; read back from disk, the same file costs only the pages a run touches. Most
 * likely Linux keeps freshly written data in large folios, and a process that maps the file gets
 * each folio it touches mapped whole, used or not. So the writer syncs the file and drops it from
 * the cache: it costs one fdatasync once per extraction (docs/benchmarks.md, "Memory: one DuckDB instance or two,
 * and the oversize arena").
 */
import { dlopen, FFIType } from "bun:ffi";
import fs from "node:fs";

/** posix_fadvise's advice "the data will not be accessed in the near future" (Linux's value). */
const POSIX_FADV_DONTNEED = 4;
const LIBC = ["libc.so.6", `libc.musl-${process.arch === "arm64" ? "aarch64" : "x86_64"}.so.1`];

type Fadvise = (fd: number, offset: number, len: number, advice: number) => number;
let fadvise: Fadvise | null | undefined;

function fadviseOf(): Fadvise | null {
  if (fadvise !== undefined) return fadvise;
  fadvise = null;
  if (process.platform !== "linux") return fadvise;
  for (const name of LIBC) {
    try {
      const libc = dlopen(name, { posix_fadvise: { args: [FFIType.i32, FFIType.i64, FFIType.i64, FFIType.i32], returns: FFIType.i32 } });
      fadvise = libc.symbols.posix_fadvise as unknown as Fadvise;
      return fadvise;
    } catch {
      // not this libc: try the next
    }
  }
  return fadvise;
}

/**
 * Write `file`'s data to disk and drop its pages from the page cache (Linux; elsewhere nothing).
 * Best effort: returns whether the cache was dropped, and never throws.
 */
export function dropPageCache(file: string): boolean {
  const advise = fadviseOf();
  if (!advise) return false;
  let fd: number | null = null;
  try {
    fd = fs.openSync(file, "r");
    fs.fdatasyncSync(fd); // dirty pages cannot be dropped
    return advise(fd, 0, 0, POSIX_FADV_DONTNEED) === 0;
  } catch {
    return false;
  } finally {
    if (fd !== null) fs.closeSync(fd);
  }
}
