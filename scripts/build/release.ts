/**
 * Release binaries: one `dist/dagx-<os>-<arch>[.exe]` per entry of scripts/npm/platforms.cjs's
 * TARGETS (the one list of release platforms, shared with the npm packages), then
 * `dist/SHA256SUMS` in `sha256sum` format over every release binary present in dist/.
 */
import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { type Target, TARGETS } from "../npm/platforms.cjs";
import { type BuildOptions, type BuildResult, buildBinary } from "../build.ts";

const ROOT = path.resolve(import.meta.dir, "..", "..");

/** `all`, or a comma-separated list of platforms (`darwin-arm64,linux-x64`) -> the platforms, checked. */
export function parseReleaseTargets(value: string): string[] {
  const known = TARGETS.map((t) => t.platform);
  if (value === "all") return known;
  const asked = value.split(",").map((s) => s.trim()).filter(Boolean);
  const unknown = asked.filter((p) => !known.includes(p));
  if (unknown.length || !asked.length) {
    throw new Error(`unknown target ${unknown.join(", ") || JSON.stringify(value)}: use all, one of ${known.join(", ")}, or a Bun target (--target=bun-linux-x64)`);
  }
  return asked;
}

export function releaseTarget(platform: string): Target {
  const t = TARGETS.find((x) => x.platform === platform);
  if (!t) throw new Error(`no release target ${platform}`);
  return t;
}

/** Bun's compile target for a release target: `bun-darwin-arm64`, `bun-windows-x64`… */
export function bunTarget(t: Target): Bun.Build.CompileTarget {
  return `bun-${t.os === "win32" ? "windows" : t.os}-${t.cpu}` as Bun.Build.CompileTarget;
}

/** Hash file contents without holding a whole 200 MB binary twice. */
async function sha256File(file: string): Promise<string> {
  const h = createHash("sha256");
  for await (const chunk of fs.createReadStream(file)) h.update(chunk as Buffer);
  return h.digest("hex");
}

/** Write `<dist>/SHA256SUMS` (`<hex>  <file>` lines, `sha256sum -c` reads it) over the release binaries in dist/. */
export async function writeChecksums(dist: string): Promise<string> {
  const lines: string[] = [];
  for (const t of [...TARGETS].sort((a, b) => a.file.localeCompare(b.file))) {
    const file = path.join(dist, t.file);
    if (fs.existsSync(file)) lines.push(`${await sha256File(file)}  ${t.file}`);
  }
  const out = path.join(dist, "SHA256SUMS");
  fs.writeFileSync(out, lines.length ? `${lines.join("\n")}\n` : "");
  return out;
}

export interface ReleaseBuild extends BuildResult {
  platform: string;
}

/** Build the given release platforms into `dist` (default `dist/`), one after another, then SHA256SUMS. */
export async function buildReleases(platforms: string[], opts: Omit<BuildOptions, "target" | "outfile"> & { dist?: string } = {}): Promise<ReleaseBuild[]> {
  const dist = path.resolve(ROOT, opts.dist ?? "dist");
  const { dist: _dist, ...build } = opts;
  const out: ReleaseBuild[] = [];
  for (const platform of platforms) {
    const t = releaseTarget(platform);
    out.push({ platform, ...(await buildBinary({ ...build, target: bunTarget(t), outfile: path.join(dist, t.file) })) });
  }
  const sums = await writeChecksums(dist);
  if (!opts.quiet) console.log(`wrote ${path.relative(process.cwd(), sums) || sums}`);
  return out;
}
