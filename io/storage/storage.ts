/**
 * Where outputs live: `.dagx/data/<key/path>/data.parquet | value.json`. Every path is checked to
 * stay under the data root (no `..`, no symlink escape, no `/data` vs `/data-evil` prefix trap).
 */
import { mkdirSync, realpathSync } from "node:fs";
import { join, resolve, sep } from "node:path";
import { DagxError } from "../../core/errors.ts";
import { keyProblem } from "../../core/keys.ts";
import type { OutputFormat } from "../../core/types.ts";

export interface Storage {
  root: string;
  dagxDir: string;
  dataRoot: string;
  statePath: string;
}

export function createStorage(projectRoot: string): Storage {
  const dagxDir = join(projectRoot, ".dagx");
  return { root: projectRoot, dagxDir, dataRoot: join(dagxDir, "data"), statePath: join(dagxDir, "state.duckdb") };
}

/** Throw unless `target` resolves inside `base` (after following symlinks of existing parents). */
export function assertInside(base: string, target: string): string {
  const abs = resolve(target);
  const b = resolve(base);
  if (abs !== b && !abs.startsWith(b + sep)) {
    throw new DagxError("PATH_ESCAPE", `Refusing to write "${abs}": it is outside the data folder "${b}"`);
  }
  let probe = abs;
  while (probe.length > b.length) {
    try {
      const real = realpathSync(probe);
      const realBase = realpathSync(b);
      if (real !== realBase && !real.startsWith(realBase + sep)) {
        throw new DagxError("PATH_ESCAPE", `Refusing to write "${abs}": "${probe}" links outside the data folder`);
      }
      break;
    } catch (e) {
      if (e instanceof DagxError) throw e;
      probe = probe.slice(0, probe.lastIndexOf(sep));
    }
  }
  return abs;
}

/** Relative output path of a built-in format's file (partition segments come with partitions). */
export function outputRelPath(key: string, format: OutputFormat, partitionSegments: readonly string[] = []): string {
  return outputFileRelPath(key, partitionSegments, format === "json" ? "value.json" : "data.parquet");
}

/** Relative path of file `name` in an output's folder: `<key>/<partition folders>/<name>`. */
export function outputFileRelPath(key: string, partitionSegments: readonly string[], name: string): string {
  const p = keyProblem(key);
  if (p) throw new DagxError("PATH_ESCAPE", `Invalid asset key "${key}": ${p}`);
  if (name === "" || name === "." || name === ".." || name.includes("/") || name.includes("\\") || name.startsWith(".tmp-")) {
    throw new DagxError("PATH_ESCAPE", `Invalid output file name ${JSON.stringify(name)} for asset "${key}": give a plain file name like "data.ndjson"`);
  }
  return [...key.split("/"), ...partitionSegments, name].join("/");
}

/** Folders this process already created (or found), so a run does not re-create them per step. */
const madeDirs = new Set<string>();

function ensureDir(dir: string): void {
  if (madeDirs.has(dir)) return;
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  madeDirs.add(dir);
}

/** Absolute, checked path for a relative output path; creates its folder when `create`. */
export function outputAbsPath(storage: Storage, rel: string, create = false): string {
  ensureDir(storage.dataRoot);
  const abs = assertInside(storage.dataRoot, join(storage.dataRoot, rel));
  if (!create) return abs;
  ensureDir(abs.slice(0, abs.lastIndexOf(sep)));
  // checked again once the folder exists: a symlink planted on the way is caught here
  return assertInside(storage.dataRoot, abs);
}
