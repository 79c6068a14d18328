/**
 * DuckDB's native files for any release platform, at exactly the version of the installed
 * `@duckdb/node-bindings`. `npm ci` installs only the host's `@duckdb/node-bindings-<platform>`
 * (npm's os/cpu filters), so the others are fetched from the npm registry with `npm pack`, checked
 * against the registry's `dist.integrity` (sha512 of the tarball), and unpacked into a cache
 * outside the repository: `~/.cache/dagx-build/duckdb/<name>-<version>/` ($DAGX_BUILD_CACHE
 * overrides the root). A second build finds them there and runs no npm at all.
 */
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { createRequire } from "node:module";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

const ROOT = path.resolve(import.meta.dir, "..", "..");

/** Root of the build's caches (fetched bindings, thinned libraries). */
export function buildCacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  return env.DAGX_BUILD_CACHE ? path.resolve(env.DAGX_BUILD_CACHE) : path.join(os.homedir(), ".cache", "dagx-build");
}

/** Version of the installed `@duckdb/node-bindings` (the one `@duckdb/node-api` is built against). */
export function bindingsVersion(): string {
  const req = createRequire(path.join(ROOT, "package.json"));
  return JSON.parse(fs.readFileSync(req.resolve("@duckdb/node-bindings/package.json"), "utf8")).version;
}

/** The installed platform package's folder when it has `version`, else null. */
function installedPackage(pkg: string, version: string): string | null {
  const req = createRequire(path.join(ROOT, "package.json"));
  try {
    const bindingsDir = path.dirname(req.resolve("@duckdb/node-bindings/package.json"));
    const dir = path.dirname(req.resolve(`${pkg}/package.json`, { paths: [bindingsDir, ROOT] }));
    const v = JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8")).version;
    return v === version ? dir : null;
  } catch {
    return null;
  }
}

function npm(args: string[], cwd: string): string {
  const r = spawnSync("npm", args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  if (r.error) throw new Error(`cannot run npm (${r.error.message}): it is needed to fetch DuckDB bindings for other platforms`);
  if (r.status !== 0) throw new Error(`npm ${args.join(" ")} failed:\n${r.stderr.trim()}`);
  return r.stdout;
}

/**
 * Folder holding `pkg@version`'s files (`duckdb.node`, `libduckdb.so|dylib`, `duckdb.dll`):
 * node_modules when npm installed it, else the build cache, fetching it once.
 */
export function duckdbPackageDir(pkg: string, version: string, env: NodeJS.ProcessEnv = process.env): string {
  const installed = installedPackage(pkg, version);
  if (installed) return installed;
  const dest = path.join(buildCacheRoot(env), "duckdb", `${pkg.replace(/^@/, "").replace("/", "+")}-${version}`);
  const marker = path.join(dest, ".integrity");
  if (fs.existsSync(marker)) return path.join(dest, "package");
  fs.mkdirSync(path.dirname(dest), { recursive: true });
  const tmp = fs.mkdtempSync(path.join(path.dirname(dest), ".tmp-"));
  try {
    const spec = `${pkg}@${version}`;
    const want: string = JSON.parse(npm(["view", spec, "dist.integrity", "--json"], tmp));
    const [packed] = JSON.parse(npm(["pack", spec, "--json", "--pack-destination", tmp], tmp)) as { filename: string }[];
    const tarball = path.join(tmp, packed!.filename);
    const got = `sha512-${createHash("sha512").update(fs.readFileSync(tarball)).digest("base64")}`;
    if (got !== want) throw new Error(`${spec}: the downloaded tarball's sha512 (${got}) is not the registry's dist.integrity (${want})`);
    const unpack = path.join(tmp, "out");
    fs.mkdirSync(unpack);
    const tar = spawnSync("tar", ["-xzf", tarball, "-C", unpack], { encoding: "utf8" });
    if (tar.status !== 0) throw new Error(`cannot unpack ${tarball}: ${tar.stderr || tar.error?.message}`);
    fs.writeFileSync(path.join(unpack, ".integrity"), `${want}\n`);
    fs.rmSync(dest, { recursive: true, force: true });
    fs.renameSync(unpack, dest);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  return path.join(dest, "package");
}
