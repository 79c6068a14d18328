/**
 * The compiled dagx for this machine, for tests that run it: dist/dagx when it is newer than every
 * source file, else one build per state of the sources, shared by every test file that asks (ten
 * do: a build is ~3 s of CPU each) and by later runs of the same sources — in
 * `<tmp>/dagx-host-binary-<repo>/<hash of the sources>/dagx`, built once under a lock.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildBinary } from "../../scripts/build.ts";
import { buildOnce } from "./venv-cache.ts";

const REPO = join(import.meta.dir, "../..");
const SOURCE_DIRS = ["cli", "core", "io", "scripts", "web"]; // web/: the UI's app is bundled into the binary (io/ui/app-files.ts)
const SOURCE_FILE = /\.(ts|json|html|css)$/;

function sourceFiles(): string[] {
  const files: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (SOURCE_FILE.test(e.name)) files.push(p);
    }
  };
  for (const d of SOURCE_DIRS) walk(join(REPO, d));
  files.push(join(REPO, "package.json"));
  return files.sort();
}

/** Newest mtime of the sources a binary is built from. */
export function newestSource(): number {
  return Math.max(...sourceFiles().map((p) => statSync(p).mtimeMs));
}

/** A hash of what a binary is built from: the sources' paths and contents, Bun's version, the platform. */
function sourcesHash(): string {
  const h = createHash("sha256").update(`${Bun.version}\0${process.platform}-${process.arch}\0`);
  for (const p of sourceFiles()) h.update(`${p.slice(REPO.length)}\0`).update(readFileSync(p)).update("\0");
  return h.digest("hex").slice(0, 16);
}

/** dist/dagx if it is up to date, else the shared build of the current sources (~3 s the first time). `_dir` is unused (kept for the callers). */
export async function hostBinary(_dir?: string): Promise<string> {
  const dist = join(REPO, "dist/dagx");
  if (existsSync(dist) && statSync(dist).mtimeMs > newestSource()) return dist;
  const root = join(tmpdir(), `dagx-host-binary-${createHash("sha256").update(REPO).digest("hex").slice(0, 8)}`);
  const key = sourcesHash();
  const folder = join(root, key);
  const bin = join(folder, "dagx");
  const done = join(folder, ".complete");
  mkdirSync(root, { recursive: true });
  await buildOnce(
    folder,
    () => existsSync(done),
    async () => {
      rmSync(folder, { recursive: true, force: true });
      await buildBinary({ outfile: bin, quiet: true });
      writeFileSync(done, "");
      // builds of older sources go once nobody can still be starting them (an hour on)
      for (const old of readdirSync(root)) {
        const p = join(root, old);
        if (old !== key && !old.endsWith(".lock") && Date.now() - statSync(p).mtimeMs > 3_600_000) rmSync(p, { recursive: true, force: true });
      }
    },
    300_000,
  );
  return bin;
}
