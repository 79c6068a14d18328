/**
 * The part of a Pipes asset's code version that its scripts make: every command argument that names
 * a file inside the project (`scripts/score.py`, `./bin/score`) is hashed with its content, so
 * editing the script makes the asset stale. Programs found on PATH (`python3`) and other arguments
 * are not files of the project and count only through the `pipesAsset()` call's text.
 */
import { readFileSync, statSync } from "node:fs";
import { isAbsolute, relative, resolve, sep } from "node:path";
import { hashText } from "../storage/index.ts";

/** Hash of the project files `command` names (empty string when it names none). */
export function pipesScriptsVersion(root: string, command: readonly string[]): string {
  const parts: string[] = [];
  for (const arg of command) {
    if (arg === "" || arg.startsWith("-")) continue;
    const abs = resolve(root, arg);
    const rel = relative(root, abs);
    if (rel === "" || rel.startsWith(`..${sep}`) || rel === ".." || isAbsolute(rel)) continue;
    try {
      if (!statSync(abs).isFile()) continue;
      parts.push(`${rel}\0${hashText(readFileSync(abs, "latin1"))}`);
    } catch {
      // not a file: an argument, not a script
    }
  }
  return parts.length ? hashText(parts.join("\n")) : "";
}
