/**
 * Runtime half of the DuckDB embedding used by `scripts/build.ts` (compiled binary only).
 *
 * The build plugin replaces `@duckdb/node-bindings` with a tiny generated module that embeds the
 * platform files with `import … with { type: "file" }` and calls {@link loadEmbeddedDuckDB}. The
 * native files live in Bun's read-only `$bunfs`, which `dlopen` cannot read, so they are copied
 * side by side into a cache folder once, then the addon is loaded with `process.dlopen`. Each
 * platform's addon finds its library next to itself, under its original file name:
 * - Linux: `duckdb.node` needs `libduckdb.so` through RUNPATH `$ORIGIN`;
 * - macOS: `@rpath/libduckdb.dylib` with LC_RPATH `@loader_path` (both files carry their own
 *   signatures; the build embeds only the target CPU's slice of DuckDB's universal dylib);
 * - Windows: `duckdb.node` imports `duckdb.dll`. There is no RUNPATH: Bun's `process.dlopen` calls
 *   `LoadLibraryExW(path, LOAD_WITH_ALTERED_SEARCH_PATH)`, which searches the addon's own folder
 *   first, given an absolute path with backslashes (`path.resolve` on Windows gives one).
 * When no folder works, {@link DuckDBLoadError} explains why (io/platform/duckdb-load-error.ts).
 *
 * Nothing here is imported by the normal `bun cli/main.ts` path.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { DUCKDB_WORK_DECAY_MS, purgeDuckDBAllocator, setDuckDBAllocatorDecay, trimCHeap, tuneDuckDBAllocator } from "./allocator.ts";
import { DuckDBLoadError } from "./duckdb-load-error.ts";
import { dropPageCache } from "./page-cache.ts";

export interface EmbeddedNativeFile {
  /** File name in the cache folder (the original name: the addon's RUNPATH lookup depends on it). */
  name: string;
  /** Path of the embedded copy (`/$bunfs/...` inside a compiled binary). */
  src: string;
  /** Expected size in bytes; a cached file of this size is taken as valid. */
  size: number;
}

export interface EmbeddedDuckDBSpec {
  /** `@duckdb/node-bindings` version, part of the cache folder name. */
  version: string;
  /** Short content hash of the native files, part of the cache folder name. */
  hash: string;
  /** The N-API addon, loaded with `process.dlopen`. */
  addon: EmbeddedNativeFile;
  /** Shared libraries the addon links to; written before the addon. */
  libs: EmbeddedNativeFile[];
  /** Release platform of this build (`linux-x64`…), for the error when loading fails. */
  platform?: string;
  /** Lowest glibc the embedded library needs (Linux builds), measured by the build. */
  minGlibc?: string;
  /** Release download per platform, for the error when loading fails. */
  downloads?: Record<string, string>;
}

/** Env var that overrides the folder the native files are extracted to (used as is). */
export const DUCKDB_DIR_ENV = "DAGX_DUCKDB_DIR";

/** `$XDG_CACHE_HOME/dagx`, else `%LOCALAPPDATA%\\dagx` on Windows, else `~/.cache/dagx`; null when no usable home. */
export function dagxCacheRoot(env: NodeJS.ProcessEnv = process.env, platform: string = process.platform): string | null {
  const xdg = env.XDG_CACHE_HOME;
  if (xdg && path.isAbsolute(xdg)) return path.join(xdg, "dagx");
  if (platform === "win32" && env.LOCALAPPDATA && path.isAbsolute(env.LOCALAPPDATA)) return path.join(env.LOCALAPPDATA, "dagx");
  let home = env.HOME;
  if (!home) {
    try {
      home = os.homedir();
    } catch {
      home = "";
    }
  }
  return home ? path.join(home, ".cache", "dagx") : null;
}

/** Candidate folders for the extracted files, best first. */
export function duckdbCacheDirs(spec: Pick<EmbeddedDuckDBSpec, "version" | "hash">, env: NodeJS.ProcessEnv = process.env): string[] {
  const leaf = `duckdb-${spec.version}-${spec.hash}`;
  const dirs: string[] = [];
  const override = env[DUCKDB_DIR_ENV];
  if (override) dirs.push(path.resolve(override));
  const root = dagxCacheRoot(env);
  if (root) dirs.push(path.join(root, leaf));
  // Per-user folder under tmp so another user cannot plant a library there (checked in ensureDir).
  const uid = typeof process.getuid === "function" ? process.getuid() : "u";
  dirs.push(path.join(os.tmpdir(), `dagx-${uid}`, leaf));
  return dirs;
}

function ensureDir(dir: string, shared: boolean): void {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (shared && typeof process.getuid === "function") {
    const parent = path.dirname(dir);
    const st = fs.statSync(parent);
    if (st.uid !== process.getuid() || (st.mode & 0o022) !== 0) {
      throw new Error(`refusing to use ${parent}: not owned by this user or writable by others`);
    }
  }
}

function sizeOf(file: string): number {
  try {
    return fs.statSync(file).size;
  } catch {
    return -1;
  }
}

/** Drop temp files left by a process killed mid-copy (older than an hour, so never a live writer's). */
function removeStaleTemps(dir: string): void {
  try {
    const cutoff = Date.now() - 3_600_000;
    for (const name of fs.readdirSync(dir)) {
      if (!name.includes(".tmp-")) continue;
      const file = path.join(dir, name);
      if (fs.statSync(file).mtimeMs < cutoff) fs.rmSync(file, { force: true });
    }
  } catch {}
}

/** Copy `f` into `dir` unless a file of the right size is already there. Atomic: temp name, then rename. */
function materialize(dir: string, f: EmbeddedNativeFile): string {
  const dest = path.join(dir, f.name);
  if (sizeOf(dest) === f.size) return dest;
  // copyFileSync() does not support $bunfs sources; readFileSync() does (the bytes are in memory already).
  writeAtomically(dest, fs.readFileSync(f.src), 0o755);
  return dest;
}

/** Write `bytes` to `dest` through a temp name and rename(), which replaces atomically: a concurrent process that already mapped the old inode keeps it. */
function writeAtomically(dest: string, bytes: Uint8Array, mode: number): void {
  const tmp = `${dest}.tmp-${process.pid}-${Math.random().toString(36).slice(2, 10)}`;
  try {
    fs.writeFileSync(tmp, bytes, { mode, flag: "wx" });
    if (sizeOf(tmp) !== bytes.length) throw new Error(`short copy of ${path.basename(dest)} (${sizeOf(tmp)} of ${bytes.length} bytes)`);
    // freshly written pages would be mapped into every later run in large folios (io/platform/page-cache.ts)
    dropPageCache(tmp);
    fs.renameSync(tmp, dest);
  } catch (err) {
    try {
      fs.rmSync(tmp, { force: true });
    } catch {}
    throw err;
  }
}

/** Make sure the native files are in `dir` (extracting if needed); returns the addon path there. */
function extractTo(spec: EmbeddedDuckDBSpec, dir: string, shared: boolean): string {
  // The shared tmp folder: check ownership before trusting anything in it.
  if (shared) ensureDir(dir, true);
  // Fast path: everything already there with the right size -> a few stat() calls, no writes.
  const addon = path.join(dir, spec.addon.name);
  if (sizeOf(addon) === spec.addon.size && spec.libs.every((l) => sizeOf(path.join(dir, l.name)) === l.size)) {
    return addon;
  }
  if (!shared) ensureDir(dir, false);
  removeStaleTemps(dir);
  for (const lib of spec.libs) materialize(dir, lib);
  return materialize(dir, spec.addon);
}

/** Where this process loaded the embedded DuckDB from, and the folders it skipped (for `dagx doctor`). */
export interface EmbeddedDuckDBLoad {
  dir: string;
  skipped: { dir: string; error: string }[];
}

let lastLoad: EmbeddedDuckDBLoad | null = null;

/** The folder the embedded DuckDB was loaded from in this process; null before that, or when not compiled. */
export function embeddedDuckDBLoad(): EmbeddedDuckDBLoad | null {
  return lastLoad;
}

let lastSpec: EmbeddedDuckDBSpec | null = null;

/** Run `use` on the addon path in the first cache folder where extracting and `use` both succeed. */
function withFirstUsableDir<T>(spec: EmbeddedDuckDBSpec, env: NodeJS.ProcessEnv, use: (addonPath: string) => T): T {
  lastSpec = spec;
  const skipped: EmbeddedDuckDBLoad["skipped"] = [];
  const dirs = duckdbCacheDirs(spec, env);
  for (const [i, dir] of dirs.entries()) {
    try {
      const result = use(extractTo(spec, dir, i === dirs.length - 1)); // the last candidate is the shared tmp folder
      lastLoad = { dir, skipped };
      return result;
    } catch (err) {
      skipped.push({ dir, error: (err as Error).message });
    }
  }
  throw new DuckDBLoadError({
    platform: spec.platform ?? `${process.platform === "win32" ? "windows" : process.platform}-${process.arch}`,
    host: `${process.platform === "win32" ? "windows" : process.platform}-${process.arch}`,
    ...libc(),
    minGlibc: spec.minGlibc,
    attempts: skipped,
    downloads: spec.downloads,
  });
}

/** glibc version of this process, or musl (Linux without glibc). */
function libc(): { glibc: string | null; musl: boolean } {
  if (process.platform !== "linux") return { glibc: null, musl: false };
  const report = (process as { report?: { getReport?: () => { header?: { glibcVersionRuntime?: string } } } }).report?.getReport?.();
  const glibc = report?.header?.glibcVersionRuntime ?? null;
  return { glibc, musl: !glibc };
}

/** Extract the native files (if needed) into the first usable cache folder; returns the addon path. */
export function extractEmbeddedDuckDB(spec: EmbeddedDuckDBSpec, env: NodeJS.ProcessEnv = process.env): string {
  return withFirstUsableDir(spec, env, (p) => p);
}

/**
 * Extract (if needed) and load the embedded DuckDB addon; returns what `@duckdb/node-bindings` exports.
 * A folder where `dlopen` fails (e.g. a `noexec` mount) is skipped for the next candidate.
 * DuckDB's allocator is tuned for a short process first (io/platform/allocator.ts).
 */
export function loadEmbeddedDuckDB(spec: EmbeddedDuckDBSpec, env: NodeJS.ProcessEnv = process.env): unknown {
  // before DuckDB's first allocation: its jemalloc reads the options then (io/platform/allocator.ts)
  tuneDuckDBAllocator(env);
  return withFirstUsableDir(spec, env, (addonPath) => {
    const mod: { exports: unknown } = { exports: {} };
    process.dlopen(mod, addonPath);
    const lib = spec.libs.find((l) => l.name.includes("duckdb"));
    libraryPath = lib ? path.join(path.dirname(addonPath), lib.name) : null;
    return mod.exports;
  });
}

let libraryPath: string | null = null;

/** Return the freed pages DuckDB's allocators keep to the system: its jemalloc's and the C heap's (compiled binary; a no-op elsewhere). */
export function releaseDuckDBMemory(): void {
  if (!libraryPath) return;
  purgeDuckDBAllocator(libraryPath);
  trimCHeap();
}

let works = 0;

/** Heavy DuckDB work starts (a run's own instance): keep freed pages for reuse again (io/platform/allocator.ts). */
export function duckDBWorkStarts(): void {
  works++;
  if (libraryPath) setDuckDBAllocatorDecay(libraryPath, DUCKDB_WORK_DECAY_MS);
}

/**
 * The heavy work that {@link duckDBWorkStarts} announced is over (the run's instance closed): once no
 * other is under way, freed pages go back at once again, for the state sessions that follow (the
 * run's last records, a backfill's 366 partition statuses: they held ~20 MB of freed pages for 1 s).
 */
export function duckDBWorkEnds(): void {
  if (works === 0 || --works > 0 || !libraryPath) return;
  setDuckDBAllocatorDecay(libraryPath, 0);
  releaseDuckDBMemory();
}

/** How many {@link duckDBWorkStarts} have not ended yet (tests). */
export function duckDBWorksUnderWay(): number {
  return works;
}

/**
 * A DuckDB extension embedded in the compiled binary (scripts/build.ts), zstd-compressed: the
 * signed `.duckdb_extension` file is restored byte for byte on extraction.
 */
export interface EmbeddedExtensionFile {
  /** File name in the cache folder: `httpfs.duckdb_extension`. */
  name: string;
  /** Path of the embedded compressed copy (`/$bunfs/...`). */
  src: string;
  /** Size of the extension file in bytes (after decompression); a cached file of this size is taken as valid. */
  size: number;
}

/**
 * Where an embedded extension is extracted: beside the extracted DuckDB library — the folder it
 * loaded from first (native code loads there), then the other candidates of {@link duckdbCacheDirs}.
 */
function extensionDirs(env: NodeJS.ProcessEnv): { dir: string; shared: boolean }[] {
  if (!lastSpec) throw new Error("the embedded DuckDB is not loaded yet: an extension is extracted only after DuckDB");
  const dirs = duckdbCacheDirs(lastSpec, env);
  const loadedFrom = lastLoad?.dir;
  const ordered = loadedFrom && dirs.includes(loadedFrom) ? [loadedFrom, ...dirs.filter((d) => d !== loadedFrom)] : dirs;
  const tmpDir = dirs.at(-1);
  return ordered.map((dir) => ({ dir, shared: dir === tmpDir }));
}

const extracted = new Map<string, string>();

/**
 * Extract an embedded extension (once per process and cache folder; a file of the right size is
 * reused) and return its path. Called on first use of S3 or Postgres, never at startup: the
 * compressed bytes are read from the binary and inflated only here. Atomic like the library
 * files (temp name, then rename), so concurrent processes never see a partial file.
 */
export function extractEmbeddedExtension(file: EmbeddedExtensionFile, env: NodeJS.ProcessEnv = process.env): string {
  const known = extracted.get(file.name);
  if (known && sizeOf(known) === file.size) return known;
  const errors: string[] = [];
  for (const { dir, shared } of extensionDirs(env)) {
    try {
      ensureDir(dir, shared);
      const dest = path.join(dir, file.name);
      if (sizeOf(dest) !== file.size) {
        removeStaleTemps(dir);
        writeAtomically(dest, inflate(file), 0o755);
      }
      extracted.set(file.name, dest);
      return dest;
    } catch (err) {
      errors.push(`${dir}: ${(err as Error).message}`);
    }
  }
  throw new Error(`could not extract the embedded DuckDB extension ${file.name}: ${errors.join("; ")}\nfix: set ${DUCKDB_DIR_ENV} to a writable folder on a file system that allows running programs`);
}

function inflate(file: EmbeddedExtensionFile): Uint8Array {
  const bytes = Bun.zstdDecompressSync(fs.readFileSync(file.src));
  if (bytes.length !== file.size) throw new Error(`the embedded ${file.name} is damaged (${bytes.length} bytes after decompression, ${file.size} expected): reinstall dagx`);
  return bytes;
}
