import { readdirSync } from "node:fs";
import { join } from "node:path";

const SKIP = new Set(["node_modules", ".dagx", "dist"]);

/**
 * All `*.asset.ts` files (or files ending in `suffix`: `.asset.sql`) under root, sorted; skips node_modules, .dagx, dist, hidden folders, and
 * nested projects — a folder below the root holding its own dagx.config.ts is a project of its own.
 */
export function discoverAssetFiles(root: string, suffix: ".asset.ts" | ".asset.sql" = ".asset.ts"): string[] {
  const found = discoverProjectFiles(root);
  return suffix === ".asset.ts" ? found.ts : found.sql;
}

/** `*.asset.ts`, `*.asset.sql` and `*.asset.py` files of the project, sorted, from one walk of its folders (a load needs them all). */
export function discoverProjectFiles(root: string): { ts: string[]; sql: string[]; py: string[] } {
  const ts: string[] = [];
  const sql: string[] = [];
  const py: string[] = [];
  const walk = (dir: string, top: boolean) => {
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    if (!top && entries.some((e) => e.name === "dagx.config.ts" && !e.isDirectory())) return;
    for (const e of entries) {
      if (e.name.startsWith(".")) continue;
      if (e.isDirectory()) {
        if (!SKIP.has(e.name)) walk(join(dir, e.name), false);
      } else if (e.isFile()) {
        if (e.name.endsWith(".asset.ts")) ts.push(join(dir, e.name));
        else if (e.name.endsWith(".asset.sql")) sql.push(join(dir, e.name));
        else if (e.name.endsWith(".asset.py")) py.push(join(dir, e.name));
      }
    }
  };
  walk(root, true);
  return { ts: ts.sort(), sql: sql.sort(), py: py.sort() };
}
