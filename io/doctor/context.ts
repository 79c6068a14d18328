/** The facts every check shares, gathered once: the project root (how it was found, or why not) and its storage paths. */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { resolveProjectRoot } from "../project/index.ts";
import { createStorage } from "../storage/index.ts";
import type { DoctorContext, ProjectLocation } from "./types.ts";

export interface DoctorOptions {
  version: string;
  /** The folder dagx started in. */
  cwd: string;
  /** `-C DIR`: the project root, exactly. */
  cwdFlag?: string;
  env: Record<string, string | undefined>;
}

export function createDoctorContext(options: DoctorOptions): DoctorContext {
  return { version: options.version, cwd: options.cwd, env: options.env, project: locateProject(options.cwdFlag, options.cwd) };
}

function locateProject(cwdFlag: string | undefined, cwd: string): ProjectLocation {
  let root: string;
  try {
    // the same rules as every command (the trust check included); an error is a finding here, not the end
    root = resolveProjectRoot(cwdFlag, cwd);
  } catch (error) {
    return { root: null, error: error instanceof Error ? error.message : String(error) };
  }
  const marked = existsSync(join(root, "dagx.config.ts")) || existsSync(join(root, ".dagx"));
  const how = cwdFlag !== undefined ? "flag" : marked ? "found" : "none";
  return { root, how, storage: createStorage(root) };
}

/** `1.2 GiB`, `340 MiB`, `12 KiB` (binary units, as docs/binary.md gives sizes). */
export function formatSize(bytes: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let n = bytes;
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return `${i === 0 || n >= 100 ? Math.round(n) : n.toFixed(1)} ${units[i]}`;
}
