/**
 * DuckDB extensions dagx can load: `httpfs` (S3 and HTTP) and `postgres_scanner` (Postgres).
 *
 * DuckDB cannot download extensions on the machines dagx targets, and dagx never turns on
 * `allow_unsigned_extensions`. The signed extension files come from PyPI's
 * `duckdb-extension-*` wheels, whose version must equal the embedded DuckDB's (1.5.5, see
 * docs/ARCHITECTURE.md "Reaching S3 and Postgres: DuckDB version"). An extension is loaded
 * lazily, by path, once per DuckDB instance, only by a process that touches S3 or Postgres.
 *
 * Where the file comes from, first match wins:
 * 1. `DAGX_EXTENSIONS_DIR/<name>.duckdb_extension` (an explicit folder, used as is);
 * 2. the compiled binary's embedded copy, registered with {@link registerEmbeddedExtensions} and
 *    extracted on first use beside the extracted DuckDB library (io/platform/duckdb-embedded.ts);
 * 3. the per-user cache `<cache>/dagx/extensions/v<version>/<platform>/`, filled on first use
 *    from PyPI with `python3 -m pip download` (running from source only).
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { DuckDBConnection } from "@duckdb/node-api";
import { dagxCacheRoot } from "./duckdb-embedded.ts";
import { DUCKDB_VERSION, dagxPlatform, isCompiledBinary } from "./runtime.ts";

/** The extensions dagx knows how to load. */
export type DuckDBExtensionName = "httpfs" | "postgres_scanner";

/** PyPI wheel that carries each extension's signed file. */
export const EXTENSION_WHEELS: Record<DuckDBExtensionName, string> = {
  httpfs: "duckdb-extension-httpfs",
  postgres_scanner: "duckdb-extension-postgres-scanner",
};

/** Wheel platform tag per release platform. */
export const EXTENSION_WHEEL_PLATFORMS: Record<string, string> = {
  "linux-x64": "manylinux2014_x86_64",
  "linux-arm64": "manylinux2014_aarch64",
  "darwin-arm64": "macosx_11_0_arm64",
  "darwin-x64": "macosx_11_0_x86_64",
  "windows-x64": "win_amd64",
};

/** Env var naming a folder that holds `<name>.duckdb_extension` files (used as is). */
export const EXTENSIONS_DIR_ENV = "DAGX_EXTENSIONS_DIR";

/** Extension version = the embedded DuckDB's version without the `v`. */
export const EXTENSION_VERSION = DUCKDB_VERSION.replace(/^v/, "");

let embedded: Partial<Record<DuckDBExtensionName, () => string>> = {};

/**
 * Called by the compiled binary's generated module (scripts/build.ts) when DuckDB loads: a
 * function per extension that extracts it (on its first call, not before) and gives its path.
 */
export function registerEmbeddedExtensions(files: Partial<Record<DuckDBExtensionName, () => string>>): void {
  embedded = files;
}

/** The extensions this compiled binary embeds (none from source, or before DuckDB has loaded). */
export function embeddedExtensionNames(): DuckDBExtensionName[] {
  return (Object.keys(embedded) as DuckDBExtensionName[]).sort();
}

/** Where {@link duckdbExtensionFile} would take an extension from, without fetching or extracting anything. */
export type DuckDBExtensionSource =
  | { from: "env"; file: string; exists: boolean }
  | { from: "embedded" }
  | { from: "cache"; file: string; exists: boolean };

export function duckdbExtensionSource(name: DuckDBExtensionName, env: NodeJS.ProcessEnv = process.env): DuckDBExtensionSource {
  const override = env[EXTENSIONS_DIR_ENV];
  if (override) {
    const file = path.resolve(override, `${name}.duckdb_extension`);
    return { from: "env", file, exists: fs.existsSync(file) };
  }
  if (embedded[name]) return { from: "embedded" };
  const file = path.join(extensionCacheDir(dagxPlatform(), env), `${name}.duckdb_extension`);
  return { from: "cache", file, exists: fs.existsSync(file) };
}

/** An extension file could not be found or fetched; the message says how to fix it. */
export class DuckDBExtensionError extends Error {
  override name = "DuckDBExtensionError";
}

/** `<cache>/dagx/extensions/v<version>/<platform>`: where source runs keep fetched extension files. */
export function extensionCacheDir(platform: string = dagxPlatform(), env: NodeJS.ProcessEnv = process.env): string {
  const root = dagxCacheRoot(env) ?? path.join(os.tmpdir(), `dagx-${typeof process.getuid === "function" ? process.getuid() : "u"}`);
  return path.join(root, "extensions", `v${EXTENSION_VERSION}`, platform);
}

/**
 * Downloads the wheels of `names` for `platform` from PyPI (through `python3 -m pip`) and puts
 * each `<name>.duckdb_extension` into `dir`. Used by source runs, tests and the release build.
 */
export function fetchExtensionFiles(names: readonly DuckDBExtensionName[], platform: string, dir: string): void {
  const tag = EXTENSION_WHEEL_PLATFORMS[platform];
  if (!tag) throw new DuckDBExtensionError(`DuckDB extensions are not available for ${platform}: PyPI has duckdb-extension wheels for ${Object.keys(EXTENSION_WHEEL_PLATFORMS).join(", ")}`);
  fs.mkdirSync(dir, { recursive: true });
  const scratch = fs.mkdtempSync(path.join(dir, ".fetch-"));
  try {
    const python = process.platform === "win32" ? "python" : "python3";
    const wheels = names.map((n) => `${EXTENSION_WHEELS[n]}==${EXTENSION_VERSION}`);
    const dl = spawnSync(python, ["-m", "pip", "download", "--quiet", "--disable-pip-version-check", "--no-deps", "--only-binary=:all:", "--platform", tag, "--python-version", "3.11", ...wheels, "-d", scratch], { encoding: "utf8" });
    if (dl.status !== 0) {
      throw new DuckDBExtensionError(`could not download ${wheels.join(", ")} for ${tag} from PyPI:\n${(dl.stderr || dl.stdout || String(dl.error ?? "")).trim()}\nfix: check that ${python} and pip work and PyPI is reachable, or put the files into ${EXTENSIONS_DIR_ENV}`);
    }
    for (const whl of fs.readdirSync(scratch).filter((f) => f.endsWith(".whl"))) {
      const out = path.join(scratch, whl.replace(/\.whl$/, ""));
      const unzip = spawnSync(python, ["-m", "zipfile", "-e", path.join(scratch, whl), out], { encoding: "utf8" });
      if (unzip.status !== 0) throw new DuckDBExtensionError(`could not unpack ${whl}: ${unzip.stderr.trim()}`);
    }
    for (const name of names) {
      const found = findFile(scratch, `${name}.duckdb_extension`);
      if (!found) throw new DuckDBExtensionError(`the ${EXTENSION_WHEELS[name]} ${EXTENSION_VERSION} wheel for ${tag} has no ${name}.duckdb_extension`);
      const tmp = path.join(dir, `.${name}.${process.pid}.tmp`);
      fs.copyFileSync(found, tmp);
      fs.renameSync(tmp, path.join(dir, `${name}.duckdb_extension`));
    }
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}

function findFile(dir: string, name: string): string | null {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) {
      const f = findFile(p, name);
      if (f) return f;
    } else if (e.name === name) return p;
  }
  return null;
}

/** The path of extension `name`'s file for this process, fetching it into the cache when running from source. */
export function duckdbExtensionFile(name: DuckDBExtensionName, env: NodeJS.ProcessEnv = process.env): string {
  const override = env[EXTENSIONS_DIR_ENV];
  if (override) {
    const f = path.resolve(override, `${name}.duckdb_extension`);
    if (!fs.existsSync(f)) throw new DuckDBExtensionError(`${EXTENSIONS_DIR_ENV} is ${override}, which has no ${name}.duckdb_extension (DuckDB ${EXTENSION_VERSION})`);
    return f;
  }
  const fromBinary = embedded[name];
  if (fromBinary) {
    try {
      return fromBinary();
    } catch (err) {
      throw new DuckDBExtensionError(`${(err as Error).message}, or ${EXTENSIONS_DIR_ENV} to a folder holding ${name}.duckdb_extension (DuckDB ${EXTENSION_VERSION})`);
    }
  }
  const dir = extensionCacheDir(dagxPlatform(), env);
  const file = path.join(dir, `${name}.duckdb_extension`);
  if (fs.existsSync(file)) return file;
  if (isCompiledBinary()) throw new DuckDBExtensionError(`this dagx binary does not embed the DuckDB extension ${name}; use a release binary built for ${dagxPlatform()}, or set ${EXTENSIONS_DIR_ENV} to a folder holding ${name}.duckdb_extension (DuckDB ${EXTENSION_VERSION})`);
  process.stderr.write(`dagx: fetching DuckDB extension ${name} ${EXTENSION_VERSION} from PyPI into ${dir} (once)\n`);
  fetchExtensionFiles([name], dagxPlatform(), dir);
  return file;
}

const loaded = new WeakMap<object, Set<DuckDBExtensionName>>();

/**
 * Loads extension `name` into the DuckDB instance behind `connection` (once per instance), by
 * path, signed. `instanceKey` identifies the instance (a connection per instance is enough).
 */
export async function loadDuckDBExtension(connection: DuckDBConnection, name: DuckDBExtensionName, instanceKey: object = connection): Promise<void> {
  const done = loaded.get(instanceKey) ?? new Set<DuckDBExtensionName>();
  if (done.has(name)) return;
  const file = duckdbExtensionFile(name);
  try {
    await connection.run(`LOAD '${file.replaceAll("'", "''")}'`);
  } catch (error) {
    throw extensionLoadError(name, file, error);
  }
  done.add(name);
  loaded.set(instanceKey, done);
}

/** A failed `LOAD`, said with the file and what to do (a too-old glibc is the likely cause on an old Linux). */
export function extensionLoadError(name: DuckDBExtensionName, file: string, error: unknown): DuckDBExtensionError {
  const message = error instanceof Error ? error.message : String(error);
  const glibc = /GLIBC_(\d+\.\d+)/.exec(message);
  const fix = glibc
    ? `the ${name} extension needs glibc ${glibc[1]} or newer: run dagx on a newer Linux, or in a container such as debian:bookworm-slim`
    : `delete ${file} so that dagx extracts or fetches it again, or set ${EXTENSIONS_DIR_ENV} to a folder of signed DuckDB ${EXTENSION_VERSION} extension files for ${dagxPlatform()}`;
  return new DuckDBExtensionError(`DuckDB could not load the ${name} extension from ${file}: ${message}\nfix: ${fix}`);
}
