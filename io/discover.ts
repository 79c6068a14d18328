import { readdirSync } from "node:fs";
import { join } from "node:path";

const SKIP = new Set(["node_modules", ".dagx", "dist"]);

/** All `*.asset.ts` files under root, skipping node_modules, .dagx, dist and hidden folders; sorted. */
export function discoverAssetFiles(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (e.name.startsWith(".")) continue;
      if (e.isDirectory()) {
        if (!SKIP.has(e.name)) walk(join(dir, e.name));
      } else if (e.isFile() && e.name.endsWith(".asset.ts")) out.push(join(dir, e.name));
    }
  };
  walk(root);
  return out.sort();
}
