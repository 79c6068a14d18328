/**
 * User SQL sees the project's files relative to the project root, never through its absolute
 * location (STYLE 32). DuckDB reads `k=v` folders anywhere on a path as hive columns and treats
 * `[`, `*`, `?` as glob characters, and no setting turns either off for a user's own
 * `read_csv(…)`. So while user code runs, the process works in the project root, and a path
 * under the root bound into `ctx.sql` (what `ctx.path("data/x.csv")` returns) reaches DuckDB as
 * `./data/x.csv`: a project in a folder named `status=paid [x]*` adds no column and globs nothing.
 *
 * Considered and rejected (docs/ARCHITECTURE.md): DuckDB's `file_search_path` (comma-separated, so
 * a root holding "," breaks, and DuckDB tries the process cwd first — another project's
 * `data/x.csv` would win); escaping the absolute path (stops the glob, not the hive columns).
 */
import { relative, sep } from "node:path";

let holders = 0;
let held: string | null = null;
let previous: string | null = null;

/**
 * Work in `root` until the returned function is called (nested calls for one root are counted).
 * @throws Error when another project root is held in this process (one project per process)
 */
export function enterProjectDir(root: string): () => void {
  if (holders > 0 && held !== root) throw new Error(`Cannot run project "${root}" while project "${held}" runs in this process`);
  if (holders++ === 0) {
    held = root;
    try {
      previous = process.cwd();
    } catch {
      previous = null; // the folder we started in is gone
    }
    process.chdir(root);
  }
  let done = false;
  return () => {
    if (done) return;
    done = true;
    if (--holders > 0) return;
    held = null;
    if (previous !== null) {
      try {
        process.chdir(previous);
      } catch {
        // the folder we came from was removed meanwhile: stay where we are
      }
    }
  };
}

/** `value` as DuckDB should get it: a path under `root` becomes `./relative`; anything else stays. */
export function bindablePath(root: string, value: unknown): unknown {
  if (typeof value !== "string" || !(value === root || value.startsWith(root + sep))) return value;
  // "./" also keeps a first segment named "~" from meaning the home folder to DuckDB
  return `./${relative(root, value)}`;
}
