/**
 * The five release binaries, for the tests that check them: dist/dagx-<os>-<arch>[.exe] when all
 * five are newer than every source file, else one `buildReleases` per state of the sources
 * (~40 s of CPU, ~850 MB), kept in `<tmp>/dagx-release-binaries/<hash of the sources>/` for later
 * runs and other clones of the same sources (tests/support/binary.ts, `cachedBuild`).
 */
import { existsSync, statSync } from "node:fs";
import path from "node:path";
import { TARGETS } from "../../scripts/npm/platforms.cjs";
import { buildReleases } from "../../scripts/build/release.ts";
import { cachedBuild, newestSource } from "./binary.ts";

const REPO = path.join(import.meta.dir, "../..");

export interface ReleaseBinaries {
  dir: string;
  /** `linux-arm64` -> its file. */
  files: Record<string, string>;
  /** Built now (true) or reused (dist/ or the shared build of these sources). */
  built: boolean;
  ms: number;
}

/** The release binaries of the current sources; `_dir` is unused (kept for the callers). */
export async function releaseBinaries(_dir?: string): Promise<ReleaseBinaries> {
  const t0 = performance.now();
  const dist = path.join(REPO, "dist");
  const newest = newestSource();
  const fresh = (d: string) => TARGETS.every((t) => existsSync(path.join(d, t.file)) && statSync(path.join(d, t.file)).mtimeMs > newest) && existsSync(path.join(d, "SHA256SUMS"));
  let at = dist;
  let built = false;
  if (!fresh(dist)) {
    at = await cachedBuild("release-binaries", async (folder) => {
      await buildReleases(TARGETS.map((t) => t.platform), { dist: folder, quiet: true });
      built = true;
    });
  }
  const files = Object.fromEntries(TARGETS.map((t) => [t.platform, path.join(at, t.file)]));
  return { dir: at, files, built, ms: Math.round(performance.now() - t0) };
}
