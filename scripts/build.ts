/**
 * Build dagx executables (`bun build --compile`) with DuckDB embedded.
 *
 *   bun scripts/build.ts [entry] [outfile] [--no-minify] [--no-bytecode] [--no-sourcemap] [--no-splitting] [--no-extensions] [--target=bun-linux-x64]
 *   bun scripts/build.ts --target all|<os>-<arch>[,…]   release binaries dist/dagx-<os>-<arch>[.exe] + dist/SHA256SUMS
 *
 * Defaults: entry `cli/main.ts`, outfile `dist/dagx` (this machine). See docs/binary.md.
 *
 * `@duckdb/node-bindings` normally `require()`s a platform package's `duckdb.node`, which finds
 * `libduckdb.so|dylib` / `duckdb.dll` next to itself. A bundler plugin swaps that module for a
 * generated one that embeds the files and loads them through io/platform/duckdb-embedded.ts (copy
 * to a cache folder once, then `process.dlopen`). Other platforms' files come from
 * scripts/build/duckdb-packages.ts; macOS gets only its own CPU's half of DuckDB's universal dylib,
 * Linux a libduckdb.so without its static symbol table.
 *
 * The same module embeds DuckDB's signed `httpfs` and `postgres_scanner` extension files for the
 * target (PyPI's `duckdb-extension-*` wheels, fetched once into the build cache), zstd-compressed,
 * and registers them with io/platform/extensions.ts: each is extracted beside the DuckDB library
 * the first time a run needs S3 or Postgres, never at startup.
 */
import type { BunPlugin } from "bun";
import fs from "node:fs";
import path from "node:path";
import { bindingsVersion, buildCacheRoot, duckdbPackageDir } from "./build/duckdb-packages.ts";
import { CPU_TYPE, fatSlices, thinMachO, verifyCodeSignature } from "./build/macho.ts";
import { adhocSign } from "./build/macho-sign.ts";
import { maxGlibcVersion } from "./build/binfmt.ts";
import { stripSymbolTable } from "./build/elf-strip.ts";
import { downloadUrl, TARGETS } from "./npm/platforms.cjs";
import { buildReleases, parseReleaseTargets } from "./build/release.ts";
import { type DuckDBExtensionName, EXTENSION_VERSION, EXTENSION_WHEEL_PLATFORMS, fetchExtensionFiles } from "../io/platform/index.ts";

const ROOT = path.resolve(import.meta.dir, "..");
const LOADER = path.join(ROOT, "io", "platform", "duckdb-embedded.ts");
const EXTENSIONS_MODULE = path.join(ROOT, "io", "platform", "extensions.ts");
/** The DuckDB extensions every release binary embeds. */
export const EMBEDDED_EXTENSIONS: readonly DuckDBExtensionName[] = ["httpfs", "postgres_scanner"];
/** zstd level of the embedded extensions: 3× smaller, ~2 s once per platform (cached), ~0.2 s to inflate on first use. */
const EXTENSION_ZSTD_LEVEL = 9;
const NATIVE_EXT = /\.(node|so(\.\d+)*|dylib|dll)$/;

export interface BuildOptions {
  /** Entry file (default `cli/main.ts`), relative to the repo root or absolute. */
  entry?: string;
  /** Output executable (default `dist/dagx`), relative to the repo root or absolute. */
  outfile?: string;
  /** Minify the bundle (default true). */
  minify?: boolean;
  /** Embed JSC bytecode, ESM format (default true). */
  bytecode?: boolean;
  /** Embed a source map so stack traces point at the TypeScript sources (default true). */
  sourcemap?: boolean;
  /**
   * Split the bundle into chunks at its dynamic imports (default true): a command's code is read and
   * run only when that command runs (cli/main.ts imports each lazily). One bundle made every start
   * load the source and bytecode of every command: +9 MiB of peak RSS and +9 ms of CPU for `dagx
   * --version`, +2 MiB for a trivial `materialize` (docs/benchmarks.md, "Memory: code pages and
   * the SQL pipeline").
   */
  splitting?: boolean;
  /** Cross-compile target such as `bun-linux-arm64`; default: this machine. */
  target?: Bun.Build.CompileTarget;
  /** Print a one-line summary (default false). */
  quiet?: boolean;
  /** Embed the DuckDB extensions (httpfs, postgres_scanner) when the target has them (default true). */
  extensions?: boolean;
}

export interface BuildResult {
  outfile: string;
  /** Executable size in bytes. */
  size: number;
  /** Wall time of the build in ms. */
  ms: number;
  duckdb: DuckDBNativeFiles;
  /** The DuckDB extensions embedded (none for a target PyPI has no wheels for, or `extensions: false`). */
  extensions: EmbeddedExtension[];
  /** macOS targets: the code signature Bun left was invalid and the build re-signed it (ad hoc). */
  resigned?: boolean;
}

export interface DuckDBNativeFiles {
  /** `@duckdb/node-bindings-<platform>` package name. */
  pkg: string;
  version: string;
  /** First 10 hex chars of sha256 over the native files (cache-folder key). */
  hash: string;
  addon: { name: string; file: string; size: number };
  libs: { name: string; file: string; size: number }[];
  /** Linux: the highest glibc symbol version the native files need (`2.25`). */
  minGlibc?: string;
}

/** `linux-x64`, `linux-x64-musl`, `darwin-arm64`, `win32-x64`… for a compile target or this machine. */
export function duckdbPlatform(target?: string): string {
  if (!target) {
    let musl = false;
    if (process.platform === "linux") {
      const report = (process as any).report?.getReport?.();
      musl = !report?.header?.glibcVersionRuntime;
    }
    return `${process.platform}-${process.arch}${musl ? "-musl" : ""}`;
  }
  const parts = target.replace(/^bun-/, "").split("-");
  const os = parts.find((p) => ["linux", "darwin", "windows"].includes(p));
  const arch = parts.find((p) => ["x64", "arm64", "aarch64"].includes(p));
  if (!os || !arch) throw new Error(`unsupported compile target: ${target}`);
  return `${os === "windows" ? "win32" : os}-${arch === "aarch64" ? "arm64" : arch}${parts.includes("musl") ? "-musl" : ""}`;
}

/**
 * The DuckDB native files for a platform (installed, or fetched into the build cache) and their
 * fingerprint. A universal macOS dylib is cut down to the target CPU's slice (−56 MiB per binary),
 * and Linux's unstripped libduckdb.so loses its static symbol table (−10 MiB); see docs/binary.md.
 */
export function findDuckDBNative(target?: string): DuckDBNativeFiles {
  const platform = duckdbPlatform(target);
  const pkg = `@duckdb/node-bindings-${platform}`;
  const version = bindingsVersion();
  const dir = duckdbPackageDir(pkg, version);
  const names = fs.readdirSync(dir).filter((n) => NATIVE_EXT.test(n)).sort();
  const addonName = names.find((n) => n.endsWith(".node"));
  if (!addonName) throw new Error(`no .node addon in ${dir}`);
  const hasher = new Bun.CryptoHasher("sha256");
  const glibc: string[] = [];
  const entry = (name: string) => {
    let file = path.join(dir, name);
    let bytes: Uint8Array = fs.readFileSync(file);
    let prepared: Uint8Array | null = null;
    if (platform.startsWith("darwin-") && fatSlices(bytes)) {
      prepared = thinMachO(bytes, platform.endsWith("arm64") ? CPU_TYPE.arm64 : CPU_TYPE.x64);
    } else if (platform.startsWith("linux-") && /^lib.*\.so/.test(name)) {
      const stripped = stripSymbolTable(bytes);
      if (stripped.saved > 0) prepared = stripped.bytes;
    }
    if (prepared) {
      // the smaller file, made once per version and platform, beside the fetched packages
      file = path.join(buildCacheRoot(), "prepared", `${version}-${platform}`, name);
      if (!fs.existsSync(file) || fs.statSync(file).size !== prepared.length) {
        fs.mkdirSync(path.dirname(file), { recursive: true });
        fs.writeFileSync(`${file}.tmp`, prepared);
        fs.renameSync(`${file}.tmp`, file);
      }
      bytes = prepared;
    }
    hasher.update(bytes);
    if (platform.startsWith("linux-")) glibc.push(maxGlibcVersion(bytes) ?? "0");
    return { name, file, size: bytes.length };
  };
  const addon = entry(addonName);
  const libs = names.filter((n) => n !== addonName).map(entry);
  const minGlibc = glibc.sort((a, b) => Bun.semver.order(semverish(a), semverish(b))).at(-1);
  return { pkg, version, hash: hasher.digest("hex").slice(0, 10), addon, libs, ...(minGlibc && minGlibc !== "0" ? { minGlibc } : {}) };
}

export interface EmbeddedExtension {
  name: DuckDBExtensionName;
  /** The signed `<name>.duckdb_extension` in the build cache. */
  file: string;
  /** Its size in bytes. */
  size: number;
  /** The zstd-compressed copy that is embedded. */
  packed: string;
  packedSize: number;
  /** sha256 of the extension file (hex). */
  sha256: string;
}

/** Release name (`linux-x64`, `windows-x64`…) of a compile target or this machine, or null for musl. */
function releasePlatform(target?: string): string | null {
  const p = duckdbPlatform(target);
  return p.endsWith("-musl") ? null : p.replace(/^win32-/, "windows-");
}

/**
 * The DuckDB extension files to embed for a target: PyPI's signed files (fetched once into
 * `<build cache>/extensions/v<version>/<platform>/`) and their zstd-compressed copies beside
 * them. Empty for a platform without wheels (musl, Windows arm64).
 */
export function findDuckDBExtensions(target?: string, names: readonly DuckDBExtensionName[] = EMBEDDED_EXTENSIONS): EmbeddedExtension[] {
  const platform = releasePlatform(target);
  if (!platform || !EXTENSION_WHEEL_PLATFORMS[platform]) return [];
  const dir = path.join(buildCacheRoot(), "extensions", `v${EXTENSION_VERSION}`, platform);
  const missing = names.filter((n) => !fs.existsSync(path.join(dir, `${n}.duckdb_extension`)));
  if (missing.length > 0) fetchExtensionFiles(missing, platform, dir);
  return names.map((name) => {
    const file = path.join(dir, `${name}.duckdb_extension`);
    const bytes = fs.readFileSync(file);
    const packed = `${file}.zst`;
    // (re)made when missing or older than the file it packs
    if (!fs.existsSync(packed) || fs.statSync(packed).mtimeMs < fs.statSync(file).mtimeMs) {
      fs.writeFileSync(`${packed}.tmp`, Bun.zstdCompressSync(bytes, { level: EXTENSION_ZSTD_LEVEL }));
      fs.renameSync(`${packed}.tmp`, packed);
    }
    const sha256 = new Bun.CryptoHasher("sha256").update(bytes).digest("hex");
    return { name, file, size: bytes.length, packed, packedSize: fs.statSync(packed).size, sha256 };
  });
}

const semverish = (v: string) => (v.split(".").length === 2 ? `${v}.0` : v);

/** dagx's version (package.json), for the download URLs the binary names when DuckDB cannot load. */
function dagxVersion(): string {
  return JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")).version;
}

/** Generated replacement for `@duckdb/node-bindings` (ESM; node-api's `__importDefault` picks `default`). */
export function embeddedBindingsSource(native: DuckDBNativeFiles, extensions: readonly EmbeddedExtension[] = []): string {
  const files = [native.addon, ...native.libs];
  const imports = files.map((f, i) => `import f${i} from ${JSON.stringify(f.file)} with { type: "file" };`);
  const spec = (f: { name: string; size: number }, i: number) => `{ name: ${JSON.stringify(f.name)}, src: f${i}, size: ${f.size} }`;
  // An extension's import is only a path into the binary: nothing is read until its function runs.
  const extImports = extensions.map((e, i) => `import e${i} from ${JSON.stringify(e.packed)} with { type: "file" };`);
  const extEntries = extensions.map((e, i) => `  ${e.name}: () => extractEmbeddedExtension({ name: ${JSON.stringify(`${e.name}.duckdb_extension`)}, src: e${i}, size: ${e.size} }),`);
  // The cache folder stays keyed by the native files: an extension's version is DuckDB's (part
  // of the folder name), PyPI never changes a released file, and DuckDB checks its signature.
  return [
    ...imports,
    ...extImports,
    `import { ${extensions.length ? "extractEmbeddedExtension, " : ""}loadEmbeddedDuckDB } from ${JSON.stringify(LOADER)};`,
    ...(extensions.length ? [`import { registerEmbeddedExtensions } from ${JSON.stringify(EXTENSIONS_MODULE)};`] : []),
    `const binding = loadEmbeddedDuckDB({`,
    `  version: ${JSON.stringify(native.version)},`,
    `  hash: ${JSON.stringify(native.hash)},`,
    `  addon: ${spec(native.addon, 0)},`,
    `  libs: [${native.libs.map((l, i) => spec(l, i + 1)).join(", ")}],`,
    `  platform: ${JSON.stringify(duckdbPlatformName(native.pkg))},`,
    ...(native.minGlibc ? [`  minGlibc: ${JSON.stringify(native.minGlibc)},`] : []),
    `  downloads: ${JSON.stringify(Object.fromEntries(TARGETS.map((t) => [t.platform, downloadUrl(dagxVersion(), t)])))},`,
    `});`,
    ...(extensions.length ? [`registerEmbeddedExtensions({`, ...extEntries, `});`] : []),
    `export default binding;`,
    "",
  ].join("\n");
}

/** `@duckdb/node-bindings-win32-x64` -> `windows-x64` (release names). */
function duckdbPlatformName(pkg: string): string {
  return pkg.replace("@duckdb/node-bindings-", "").replace(/^win32-/, "windows-");
}

/** Bundler plugin: `@duckdb/node-bindings` -> embedded native files + io/platform/duckdb-embedded.ts. */
export function duckdbEmbedPlugin(native: DuckDBNativeFiles, extensions: readonly EmbeddedExtension[] = []): BunPlugin {
  return {
    name: "dagx-duckdb-embed",
    setup(build) {
      build.onResolve({ filter: /^@duckdb\/node-bindings$/ }, () => ({ path: "@duckdb/node-bindings", namespace: "dagx-duckdb" }));
      build.onLoad({ filter: /.*/, namespace: "dagx-duckdb" }, () => ({ contents: embeddedBindingsSource(native, extensions), loader: "js" }));
    },
  };
}

/** Compile `entry` into one executable at `outfile`. Throws with the bundler's messages on failure. */
export async function buildBinary(opts: BuildOptions = {}): Promise<BuildResult> {
  const t0 = performance.now();
  const entry = path.resolve(ROOT, opts.entry ?? "cli/main.ts");
  const outfile = path.resolve(ROOT, opts.outfile ?? "dist/dagx");
  if (!fs.existsSync(entry)) throw new Error(`entry not found: ${entry}`);
  const native = findDuckDBNative(opts.target);
  const extensions = opts.extensions === false ? [] : findDuckDBExtensions(opts.target);
  fs.mkdirSync(path.dirname(outfile), { recursive: true });
  const bytecode = opts.bytecode ?? true;
  const result = await Bun.build({
    entrypoints: [entry],
    compile: {
      outfile,
      ...(opts.target ? { target: opts.target } : {}),
      // A user's bunfig.toml (preload, etc.) must not change how dagx itself starts; nor may the
      // .env of whatever folder dagx starts in: dagx reads the project root's (io/secrets/dotenv.ts).
      autoloadBunfig: false,
      autoloadDotenv: false,
    },
    target: "bun",
    format: "esm",
    minify: opts.minify ?? true,
    bytecode,
    splitting: opts.splitting ?? true,
    // Embedded (zstd) and only decoded when an error is printed: readable stack traces, no startup cost.
    sourcemap: opts.sourcemap === false ? "none" : "linked",
    plugins: [duckdbEmbedPlugin(native, extensions)],
    throw: false,
  });
  if (!result.success) {
    throw new Error(`build failed:\n${result.logs.map((l) => String(l)).join("\n")}`);
  }
  // The maps (one per chunk when split) are also embedded in the executable; drop the side files so
  // dist/ holds exactly one file.
  for (const o of result.outputs) {
    if (o.kind === "sourcemap" && path.resolve(o.path) !== outfile) fs.rmSync(o.path, { force: true });
  }
  fs.rmSync(`${outfile}.map`, { force: true });
  const resigned = opts.target?.includes("darwin") ? ensureValidSignature(outfile) : undefined;
  const size = fs.statSync(outfile).size;
  const ms = Math.round(performance.now() - t0);
  if (!opts.quiet) {
    const mb = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MB`;
    const note = resigned ? ", re-signed ad hoc" : "";
    const ext = extensions.length ? `, ${extensions.map((e) => e.name).join(" + ")} ${mb(extensions.reduce((n, e) => n + e.packedSize, 0))}` : ", no extensions";
    console.log(`built ${path.relative(process.cwd(), outfile) || outfile} (${mb(size)}, DuckDB ${native.version} ${native.hash}${ext}${note}, ${ms} ms)`);
  }
  return { outfile, size, ms, duckdb: native, extensions, ...(resigned === undefined ? {} : { resigned }) };
}

/**
 * A macOS binary must carry a valid signature (Apple silicon kills it at launch otherwise). Bun
 * re-signs its arm64 output but leaves darwin-x64 with the Bun release's now-invalid signature:
 * re-sign ad hoc when the check fails. Returns whether it re-signed; throws if still invalid.
 */
function ensureValidSignature(file: string): boolean {
  const before = verifyCodeSignature(new Uint8Array(fs.readFileSync(file)));
  if (before.ok) return false;
  const signed = adhocSign(new Uint8Array(fs.readFileSync(file)), "dagx");
  const after = verifyCodeSignature(signed);
  if (!after.ok) throw new Error(`${file}: the code signature is still invalid after re-signing: ${after.problems.join("; ")}`);
  fs.writeFileSync(`${file}.tmp`, signed, { mode: 0o755 });
  fs.renameSync(`${file}.tmp`, file);
  return true;
}

function parseArgs(argv: string[]): BuildOptions & { release?: string[]; dist?: string } {
  const opts: BuildOptions & { release?: string[]; dist?: string } = {};
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "--no-minify") opts.minify = false;
    else if (a === "--no-bytecode") opts.bytecode = false;
    else if (a === "--no-sourcemap") opts.sourcemap = false;
    else if (a === "--no-splitting") opts.splitting = false;
    else if (a === "--no-extensions") opts.extensions = false;
    else if (a === "--dist") opts.dist = path.resolve(argv[++i] ?? ".");
    else if (a === "--target" || a.startsWith("--target=")) {
      const value = a === "--target" ? argv[++i] : a.slice("--target=".length);
      if (!value) throw new Error("--target needs a value: all, a platform (darwin-arm64, linux-x64…) or a Bun target (bun-linux-x64)");
      if (value.startsWith("bun-")) opts.target = value as Bun.Build.CompileTarget;
      else opts.release = parseReleaseTargets(value);
    }
    else if (a === "-h" || a === "--help") {
      console.log(
        "usage: bun scripts/build.ts [entry=cli/main.ts] [outfile=dist/dagx] [--no-minify] [--no-bytecode] [--no-sourcemap] [--no-splitting] [--no-extensions] [--target=bun-<os>-<arch>]\n" +
          "       bun scripts/build.ts --target all|<os>-<arch>[,<os>-<arch>…] [--dist dir]   (release binaries + SHA256SUMS)",
      );
      process.exit(0);
    } else if (a.startsWith("-")) throw new Error(`unknown option ${a}`);
    else positional.push(a);
  }
  // Positional paths are relative to where the command is run.
  if (positional[0]) opts.entry = path.resolve(positional[0]);
  if (positional[1]) opts.outfile = path.resolve(positional[1]);
  return opts;
}

if (import.meta.main) {
  try {
    const { release, dist, ...opts } = parseArgs(process.argv.slice(2));
    if (release) await buildReleases(release, { ...opts, dist });
    else await buildBinary(opts);
  } catch (err) {
    console.error((err as Error).message);
    process.exit(1);
  }
}
