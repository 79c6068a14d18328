/**
 * DuckDB: the library loads and answers (its version against the one this dagx was built for),
 * and, in the compiled binary, the cache folder its native files were extracted to
 * (io/platform/duckdb-embedded.ts): writable, executable (dlopen worked there), older copies.
 */
import fs from "node:fs";
import path from "node:path";
import { DUCKDB_DIR_ENV, DUCKDB_VERSION, embeddedDuckDBLoad, isCompiledBinary } from "../platform/index.ts";
import { formatSize } from "./context.ts";
import type { DoctorCheck, DoctorResult } from "./types.ts";

export const duckdbCheck: DoctorCheck = {
  name: "duckdb",
  async run() {
    const t0 = performance.now();
    let version: string;
    try {
      const { DuckDBInstance } = await import("@duckdb/node-api");
      const instance = await DuckDBInstance.create(":memory:", { threads: "1" });
      const conn = await instance.connect();
      try {
        version = String((await conn.runAndReadAll("SELECT version() AS v")).getRowObjectsJS()[0]?.v);
      } finally {
        conn.closeSync();
        instance.closeSync();
      }
    } catch (error) {
      const detail = `DuckDB does not load: ${error instanceof Error ? error.message : String(error)}`;
      const fix = isCompiledBinary()
        ? `set ${DUCKDB_DIR_ENV} to a writable folder on a file system that allows running programs (not mounted noexec)`
        : "reinstall the dependencies: npm ci";
      return { status: "fail", detail, fix };
    }
    const ms = Math.round(performance.now() - t0);
    const where = isCompiledBinary() ? `embedded, from ${embeddedDuckDBLoad()?.dir ?? "?"}` : "from node_modules";
    if (version !== DUCKDB_VERSION) {
      return { status: "warn", detail: `${version} loaded (${where}), but this dagx was built for ${DUCKDB_VERSION}`, fix: "reinstall dagx (or run npm ci in a checkout)" };
    }
    return { status: "ok", detail: `${version} (${where}), loaded and queried in ${ms} ms` };
  },
};

export const duckdbCacheCheck: DoctorCheck = {
  name: "duckdb cache",
  run(): DoctorResult {
    if (!isCompiledBinary()) return { status: "skip", detail: "not the compiled binary: DuckDB loads from node_modules" };
    const load = embeddedDuckDBLoad();
    if (!load) return { status: "skip", detail: "DuckDB did not load (see above)" };
    const notes: string[] = [];
    let writable = true;
    try {
      fs.accessSync(load.dir, fs.constants.W_OK);
    } catch {
      writable = false;
      notes.push("read-only: a dagx with another DuckDB version will extract elsewhere");
    }
    const older = olderCopies(load.dir);
    const detail = [`${load.dir} (${writable ? "writable, " : ""}native code loads)`, ...notes].join("; ");
    if (load.skipped.length > 0) {
      const why = load.skipped.map((s) => `${s.dir}: ${s.error}`).join("; ");
      return { status: "warn", detail: `${detail}; skipped ${why}`, fix: `make that folder writable, or set ${DUCKDB_DIR_ENV} to a folder that is` };
    }
    if (older.dirs.length > 0) {
      const root = path.dirname(load.dir);
      return { status: "ok", detail: `${detail}; ${older.dirs.length} older cop${older.dirs.length === 1 ? "y" : "ies"} (${formatSize(older.bytes)}) can go`, fix: older.dirs.map((d) => `rm -rf "${path.join(root, d)}"`).join(" && ") };
    }
    return { status: "ok", detail };
  },
};

const CACHE_LEAF = /^duckdb-.+-[0-9a-f]{10}$/;

/** Other `duckdb-<version>-<hash>` folders beside the one in use: left by earlier dagx versions. */
function olderCopies(dir: string): { dirs: string[]; bytes: number } {
  const root = path.dirname(dir);
  const dirs: string[] = [];
  let bytes = 0;
  // a folder named by DAGX_DUCKDB_DIR is the user's: its neighbours are none of our business
  if (!CACHE_LEAF.test(path.basename(dir))) return { dirs, bytes };
  try {
    for (const name of fs.readdirSync(root)) {
      const p = path.join(root, name);
      if (!CACHE_LEAF.test(name) || p === dir || !fs.statSync(p).isDirectory()) continue;
      dirs.push(name);
      for (const f of fs.readdirSync(p)) bytes += fs.statSync(path.join(p, f)).size;
    }
  } catch {
    // an unreadable cache root: nothing to suggest
  }
  return { dirs, bytes };
}
