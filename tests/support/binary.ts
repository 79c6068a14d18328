/** The compiled dagx for this machine, for tests that run it: dist/dagx when it is newer than every source file, else a fresh build. */
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { buildBinary } from "../../scripts/build.ts";

const REPO = join(import.meta.dir, "../..");

/** Newest mtime of the sources a binary is built from. */
export function newestSource(): number {
  let newest = 0;
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (/\.(ts|json|html|css)$/.test(e.name)) newest = Math.max(newest, statSync(p).mtimeMs);
    }
  };
  // web/: the UI's app is bundled into the binary (io/ui/app-files.ts)
  for (const d of ["cli", "core", "io", "scripts", "web"]) walk(join(REPO, d));
  newest = Math.max(newest, statSync(join(REPO, "package.json")).mtimeMs);
  return newest;
}

/** dist/dagx if it is up to date, else a binary built into `dir` (~2–15 s). */
export async function hostBinary(dir: string): Promise<string> {
  const dist = join(REPO, "dist/dagx");
  if (existsSync(dist) && statSync(dist).mtimeMs > newestSource()) return dist;
  return (await buildBinary({ outfile: join(dir, "bin/dagx"), quiet: true })).outfile;
}
