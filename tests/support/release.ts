/**
 * The five release binaries, for the tests that check them: dist/dagx-<os>-<arch>[.exe] when all
 * five are newer than every source file, else one `buildReleases` into `dir` (~30–60 s, ~850 MB).
 * Call once per test file (each file builds at most once).
 */
import { existsSync, statSync } from "node:fs";
import path from "node:path";
import { TARGETS } from "../../scripts/npm/platforms.cjs";
import { buildReleases } from "../../scripts/build/release.ts";
import { newestSource } from "./binary.ts";

const REPO = path.join(import.meta.dir, "../..");

export interface ReleaseBinaries {
  dir: string;
  /** `linux-arm64` -> its file. */
  files: Record<string, string>;
  /** Built now (true) or reused from dist/. */
  built: boolean;
  ms: number;
}

export async function releaseBinaries(dir: string): Promise<ReleaseBinaries> {
  const t0 = performance.now();
  const dist = path.join(REPO, "dist");
  const newest = newestSource();
  const fresh = (d: string) => TARGETS.every((t) => existsSync(path.join(d, t.file)) && statSync(path.join(d, t.file)).mtimeMs > newest) && existsSync(path.join(d, "SHA256SUMS"));
  let at = dist;
  let built = false;
  if (!fresh(dist)) {
    await buildReleases(TARGETS.map((t) => t.platform), { dist: dir, quiet: true });
    at = dir;
    built = true;
  }
  const files = Object.fromEntries(TARGETS.map((t) => [t.platform, path.join(at, t.file)]));
  return { dir: at, files, built, ms: Math.round(performance.now() - t0) };
}
