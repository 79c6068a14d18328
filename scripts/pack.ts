/**
 * Build the npm packages from the release binaries in dist/ (the esbuild/Bun pattern):
 *
 *   bun scripts/pack.ts [--dist dist] [--out dist/npm] [--all]      (npm run pack)
 *
 * - one package per platform, `@dagx/<os>-<cpu>` (`@dagx/linux-x64`, `@dagx/win32-x64`…): the
 *   binary `dist/dagx-<os>-<arch>[.exe]` as `bin/dagx[.exe]`, with npm's `os`/`cpu`/`libc` so npm
 *   installs only the matching one;
 * - the `dagx` package: the bin shim (scripts/npm/dagx.cjs → bin/dagx), its postinstall
 *   (scripts/npm/install.cjs → install.js), lib/platforms.js, and every platform package as an
 *   optional dependency pinned to the same version.
 *
 * Each is `npm pack`ed into the out folder (`dagx-0.1.0.tgz`, `dagx-linux-x64-0.1.0.tgz`…).
 * Binaries missing from dist/ are skipped with a note (the test packs only the host's); `--all`
 * requires all five, as a release does. Nothing is published. See docs/binary.md.
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { VERSION } from "../cli/version.ts";
import { binaryInPackage, downloadUrl, hostTarget, type Target, TARGETS } from "./npm/platforms.cjs";

const ROOT = path.resolve(import.meta.dir, "..");
const NPM_SOURCES = path.join(ROOT, "scripts", "npm");

export interface PackOptions {
  /** Folder holding `dagx-<os>-<arch>[.exe]` (default `dist`). */
  dist?: string;
  /** Folder the tarballs go to (default `<dist>/npm`). */
  out?: string;
  /** Require a binary for every platform (default false: pack those present). */
  all?: boolean;
  quiet?: boolean;
}

export interface PackedTarball {
  name: string;
  /** Absolute path of the .tgz. */
  file: string;
  /** Tarball size in bytes. */
  size: number;
}

export interface PackResult {
  version: string;
  /** The `dagx` package. */
  main: PackedTarball;
  /** One per platform binary found, by platform (`linux-x64`). */
  platforms: Record<string, PackedTarball>;
  /** Platforms without a binary in dist/. */
  missing: string[];
  ms: number;
}

export async function packNpm(opts: PackOptions = {}): Promise<PackResult> {
  const t0 = performance.now();
  const dist = path.resolve(ROOT, opts.dist ?? "dist");
  const out = path.resolve(ROOT, opts.out ?? path.join(dist, "npm"));
  const version = repoVersion();
  const present = TARGETS.filter((t) => fs.existsSync(path.join(dist, t.file)));
  const missing = TARGETS.filter((t) => !present.includes(t)).map((t) => t.platform);
  if (present.length === 0) {
    throw new Error(`No dagx binaries in ${dist} (expected ${TARGETS.map((t) => t.file).join(", ")}): build them with \`npm run build -- --target all\`, or copy dist/dagx to ${path.join(dist, hostTarget()?.file ?? "dagx-<os>-<arch>")}`);
  }
  if (opts.all && missing.length > 0) throw new Error(`--all: no binary for ${missing.join(", ")} in ${dist}`);
  checkHostBinary(dist, version);
  fs.mkdirSync(out, { recursive: true });
  const stage = fs.mkdtempSync(path.join(out, ".stage-"));
  try {
    const platforms: Record<string, PackedTarball> = {};
    for (const t of present) platforms[t.platform] = npmPack(stagePlatform(stage, dist, t, version), out);
    const main = npmPack(stageMain(stage, version), out);
    const ms = Math.round(performance.now() - t0);
    if (!opts.quiet) {
      const mb = (n: number) => (n < 1024 * 1024 ? `${(n / 1024).toFixed(1)} KiB` : `${(n / 1024 / 1024).toFixed(1)} MiB`);
      for (const p of [main, ...Object.values(platforms)]) console.log(`packed ${path.relative(process.cwd(), p.file) || p.file} (${p.name}, ${mb(p.size)})`);
      if (missing.length > 0) console.log(`no binary in ${path.relative(process.cwd(), dist) || dist} for: ${missing.join(", ")} (their packages were not packed)`);
      console.log(`${ms} ms`);
    }
    return { version, main, platforms, missing, ms };
  } finally {
    fs.rmSync(stage, { recursive: true, force: true });
  }
}

/** package.json's version, which must be cli/version.ts's: the shim, the packages and the binary agree. */
function repoVersion(): string {
  const version: string = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")).version;
  if (version !== VERSION) throw new Error(`package.json has version ${version} but cli/version.ts says ${VERSION}: make them equal`);
  return version;
}

/** A binary this machine can run must report this version (a stale dist/ would ship the wrong one). */
function checkHostBinary(dist: string, version: string): void {
  const host = hostTarget();
  const file = host && path.join(dist, host.file);
  if (!file || !fs.existsSync(file)) return;
  const r = spawnSync(file, ["--version", "--json"], { encoding: "utf8", timeout: 60_000 });
  let reported: string | undefined;
  try {
    reported = JSON.parse(r.stdout).version;
  } catch {
    throw new Error(`${file} --version --json did not answer with JSON (exit ${r.status}): ${(r.stderr || r.stdout || String(r.error)).trim()}`);
  }
  if (reported !== version) throw new Error(`${file} is dagx ${reported}, not ${version}: rebuild it (npm run build)`);
}

function writeJson(file: string, value: unknown): void {
  fs.writeFileSync(file, `${JSON.stringify(value, null, 2)}\n`);
}

function stagePlatform(stage: string, dist: string, t: Target, version: string): string {
  const dir = path.join(stage, t.platform);
  const bin = path.join(dir, binaryInPackage(t));
  fs.mkdirSync(path.dirname(bin), { recursive: true });
  // a hard link saves copying ~180 MB; npm pack reads it either way
  try {
    fs.linkSync(path.join(dist, t.file), bin);
  } catch {
    fs.copyFileSync(path.join(dist, t.file), bin);
  }
  fs.chmodSync(bin, 0o755);
  writeJson(path.join(dir, "package.json"), {
    name: t.pkg,
    version,
    description: `The ${t.description} binary of dagx (installed by the "dagx" package)`,
    repository: repository(),
    preferUnplugged: true,
    os: [t.os],
    cpu: [t.cpu],
    ...(t.libc ? { libc: [t.libc] } : {}),
  });
  fs.writeFileSync(path.join(dir, "README.md"), `# ${t.pkg}\n\nThe ${t.description} binary of [dagx](https://www.npmjs.com/package/dagx). Install \`dagx\` instead: it picks this package on ${t.description}.\nThe same file as ${downloadUrl(version, t)}.\n`);
  return dir;
}

function stageMain(stage: string, version: string): string {
  const dir = path.join(stage, "dagx");
  fs.mkdirSync(path.join(dir, "bin"), { recursive: true });
  fs.mkdirSync(path.join(dir, "lib"), { recursive: true });
  fs.copyFileSync(path.join(NPM_SOURCES, "dagx.cjs"), path.join(dir, "bin", "dagx"));
  fs.chmodSync(path.join(dir, "bin", "dagx"), 0o755);
  fs.copyFileSync(path.join(NPM_SOURCES, "install.cjs"), path.join(dir, "install.js"));
  fs.copyFileSync(path.join(NPM_SOURCES, "platforms.cjs"), path.join(dir, "lib", "platforms.js"));
  const repo = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8"));
  writeJson(path.join(dir, "package.json"), {
    name: "dagx",
    version,
    description: repo.description,
    repository: repository(),
    bin: { dagx: "bin/dagx" },
    scripts: { postinstall: "node install.js" },
    engines: { node: ">=18" },
    optionalDependencies: Object.fromEntries(TARGETS.map((t) => [t.pkg, version])),
  });
  fs.writeFileSync(path.join(dir, "README.md"), mainReadme(version));
  return dir;
}

function repository(): { type: string; url: string } {
  return { type: "git", url: "git+https://github.com/dagx/dagx.git" };
}

function mainReadme(version: string): string {
  return `# dagx

Dagster-style software-defined assets for local data pipelines, as one binary (DuckDB inside).

\`\`\`sh
npm i -g dagx          # or: npx dagx init shop
dagx init shop && cd shop && dagx materialize
dagx doctor            # checks the environment; attach \`dagx doctor --json\` to bug reports
\`\`\`

This package holds no binary: npm installs the one for your platform from an optional
dependency (${TARGETS.map((t) => `\`${t.pkg}\``).join(", ")}). Without npm, download the
one file: ${downloadUrl(version, { file: "dagx-<os>-<arch>" })} (SHA256SUMS beside it).
`;
}

/** `npm pack` the folder into `out`; what it wrote. */
function npmPack(dir: string, out: string): PackedTarball {
  const r = spawnSync("npm", ["pack", "--json", "--ignore-scripts", "--pack-destination", out], { cwd: dir, encoding: "utf8", shell: process.platform === "win32" });
  if (r.status !== 0) throw new Error(`npm pack in ${dir} failed (exit ${r.status}): ${(r.stderr || String(r.error)).trim()}`);
  const [info] = JSON.parse(r.stdout) as { name: string; filename: string; size: number }[];
  if (!info) throw new Error(`npm pack in ${dir} said nothing: ${r.stdout}`);
  const file = path.join(out, info.filename);
  return { name: info.name, file, size: fs.statSync(file).size };
}

function parseArgs(argv: string[]): PackOptions {
  const opts: PackOptions = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "--all") opts.all = true;
    else if (a === "--dist" || a === "--out") {
      const v = argv[++i];
      if (!v) throw new Error(`${a} needs a folder`);
      opts[a === "--dist" ? "dist" : "out"] = path.resolve(v);
    } else if (a === "-h" || a === "--help") {
      console.log("usage: bun scripts/pack.ts [--dist dist] [--out dist/npm] [--all]");
      process.exit(0);
    } else throw new Error(`unknown option ${a} (see --help)`);
  }
  return opts;
}

if (import.meta.main) {
  try {
    await packNpm(parseArgs(process.argv.slice(2)));
  } catch (err) {
    console.error((err as Error).message);
    process.exit(1);
  }
}
