/**
 * The compiled dagx for this machine, for tests that run it: dist/dagx when it is newer than every
 * source file, else one build per state of the sources, shared by every test file that asks (ten
 * do: a build is ~3 s of CPU each), by later runs and by other clones of the same sources — in
 * `<tmp>/dagx-host-binary/<hash of the sources>/dagx`, built once under a lock (`cachedBuild`,
 * which the release binaries use too: tests/support/release.ts).
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs";
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

/**
 * A hash of what a binary is built from: the sources' paths and contents, Bun's version, the
 * platform. package.json without its "scripts" (how the tests are run changes no binary).
 */
function sourcesHash(): string {
  const h = createHash("sha256").update(`${Bun.version}\0${process.platform}-${process.arch}\0`);
  for (const p of sourceFiles()) {
    let text: string | Buffer = readFileSync(p);
    if (p === join(REPO, "package.json")) {
      const { scripts: _scripts, ...rest } = JSON.parse(text.toString("utf8")) as Record<string, unknown>;
      text = JSON.stringify(rest);
    }
    h.update(`${p.slice(REPO.length)}\0`).update(text).update("\0");
  }
  return h.digest("hex").slice(0, 16);
}

/**
 * `build(folder)` once per state of the sources, shared by every test file and later run that asks,
 * and by every clone of the same sources (the key is their contents, Bun's version and the
 * platform, and `alsoKeyedBy`, e.g. a tool's version): `<tmp>/dagx-<kind>/<hash of the sources>/`,
 * built once under a lock. Each use marks the
 * folder used; folders of other sources unused for an hour are removed.
 */
export async function cachedBuild(kind: string, build: (folder: string) => Promise<void>, alsoKeyedBy = ""): Promise<string> {
  const root = join(tmpdir(), `dagx-${kind}`);
  const key = alsoKeyedBy ? createHash("sha256").update(`${sourcesHash()}\0${alsoKeyedBy}`).digest("hex").slice(0, 16) : sourcesHash();
  const folder = join(root, key);
  const done = join(folder, ".complete");
  mkdirSync(root, { recursive: true });
  await buildOnce(
    folder,
    () => existsSync(done),
    async () => {
      rmSync(folder, { recursive: true, force: true });
      mkdirSync(folder, { recursive: true });
      await build(folder);
      writeFileSync(done, "");
    },
    300_000,
  );
  const now = new Date();
  utimesSync(done, now, now);
  // builds of other sources go once nobody has used them for an hour (nobody can still be starting them)
  for (const old of readdirSync(root)) {
    const p = join(root, old);
    if (old === key || old.endsWith(".lock")) continue;
    const mark = join(p, ".complete");
    const used = existsSync(mark) ? statSync(mark).mtimeMs : statSync(p).mtimeMs;
    if (Date.now() - used > 3_600_000) rmSync(p, { recursive: true, force: true });
  }
  return folder;
}

/** dist/dagx if it is up to date, else the shared build of the current sources (~3 s the first time). `_dir` is unused (kept for the callers). */
export async function hostBinary(_dir?: string): Promise<string> {
  const dist = join(REPO, "dist/dagx");
  if (existsSync(dist) && statSync(dist).mtimeMs > newestSource()) return dist;
  const folder = await cachedBuild("host-binary", (f) => buildBinary({ outfile: join(f, "dagx"), quiet: true }).then(() => undefined));
  return join(folder, "dagx");
}
