"use strict";
/**
 * The release binaries and the npm packages that carry them, shared by the `dagx` package's
 * bin shim (bin/dagx), its postinstall (install.js) and scripts/pack.ts, which builds the
 * packages. Plain Node (CommonJS, no dependencies): it runs under whatever Node npm uses.
 */
const fs = require("fs");
const path = require("path");

/** One entry per release binary: its file in dist/ (and in a release), its npm package, npm's os/cpu/libc. */
const TARGETS = [
  { platform: "darwin-arm64", file: "dagx-darwin-arm64", pkg: "@dagx/darwin-arm64", os: "darwin", cpu: "arm64", description: "macOS arm64 (Apple silicon)" },
  { platform: "darwin-x64", file: "dagx-darwin-x64", pkg: "@dagx/darwin-x64", os: "darwin", cpu: "x64", description: "macOS x64 (Intel)" },
  { platform: "linux-arm64", file: "dagx-linux-arm64", pkg: "@dagx/linux-arm64", os: "linux", cpu: "arm64", libc: "glibc", description: "Linux arm64 (glibc)" },
  { platform: "linux-x64", file: "dagx-linux-x64", pkg: "@dagx/linux-x64", os: "linux", cpu: "x64", libc: "glibc", description: "Linux x64 (glibc)" },
  { platform: "windows-x64", file: "dagx-windows-x64.exe", pkg: "@dagx/win32-x64", os: "win32", cpu: "x64", description: "Windows x64" },
];

/** Where releases put the binaries: `${DOWNLOAD_BASE}/v<version>/dagx-<os>-<arch>[.exe]` (and SHA256SUMS). */
const DOWNLOAD_BASE = "https://github.com/dagx/dagx/releases/download";

/** Env var naming a dagx binary to run instead of the platform package's (a downloaded one, say). */
const BINARY_PATH_ENV = "DAGX_BINARY_PATH";

/** The binary's path inside its platform package. */
function binaryInPackage(target) {
  return target.os === "win32" ? "bin/dagx.exe" : "bin/dagx";
}

function downloadUrl(version, target) {
  return `${DOWNLOAD_BASE}/v${version}/${target.file}`;
}

/** Linux without glibc (Alpine's musl): npm skips the glibc packages there. */
function isMusl() {
  if (process.platform !== "linux") return false;
  const report = process.report && typeof process.report.getReport === "function" ? process.report.getReport() : null;
  return Boolean(report && report.header && !report.header.glibcVersionRuntime);
}

function hostTarget() {
  return TARGETS.find((t) => t.os === process.platform && t.cpu === process.arch) || null;
}

/** This package's own version (the binary and every platform package have the same). */
function ownVersion() {
  return JSON.parse(fs.readFileSync(path.join(__dirname, "..", "package.json"), "utf8")).version;
}

/** `{ path }` of the binary to run here, or `{ error }`: a message naming the platform and what to do. */
function findBinary() {
  const override = process.env[BINARY_PATH_ENV];
  if (override) return { path: path.resolve(override) };
  const version = ownVersion();
  const target = hostTarget();
  const here = `${process.platform === "win32" ? "windows" : process.platform}-${process.arch}`;
  if (!target) {
    return {
      error:
        `dagx: no dagx binary is built for this platform (${here}); there are: ${TARGETS.map((t) => t.platform).join(", ")}.\n` +
        "Run dagx from a source checkout instead (Node.js and npm: `npm ci`, then `npm run dagx -- ARGS`).",
    };
  }
  if (target.libc === "glibc" && isMusl()) {
    return {
      error:
        `dagx: the ${target.platform} binary needs glibc, and this Linux uses musl (Alpine?), so npm skipped ${target.pkg}.\n` +
        "Install glibc compatibility (apk add gcompat) and the binary directly, or run dagx from a source checkout.",
    };
  }
  try {
    const dir = path.dirname(require.resolve(`${target.pkg}/package.json`, { paths: [path.join(__dirname, "..")] }));
    return { path: path.join(dir, binaryInPackage(target)) };
  } catch {
    return {
      error:
        `dagx: the dagx binary for this platform (${target.platform}) is not installed: the npm package "${target.pkg}" is missing.\n` +
        `The "dagx" package carries no binary itself; npm installs it from the optional dependency ${target.pkg}@${version}, and leaves it out when\n` +
        "optional dependencies are omitted (--omit=optional, --no-optional, a lockfile made that way) or node_modules came from another platform.\n" +
        `Fix: reinstall without omitting optional dependencies (npm i dagx@${version}), or add it: npm i ${target.pkg}@${version}\n` +
        `Or download the binary: ${downloadUrl(version, target)} and run it directly (or set ${BINARY_PATH_ENV} to its path).`,
    };
  }
}

module.exports = { TARGETS, DOWNLOAD_BASE, BINARY_PATH_ENV, binaryInPackage, downloadUrl, findBinary, hostTarget, isMusl };
