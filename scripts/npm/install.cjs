"use strict";
/**
 * postinstall of the `dagx` npm package (as esbuild and Bun do): replace the Node shim bin/dagx
 * with a hard link to this platform's binary, so each `dagx` command starts the binary directly,
 * without a Node process in front (~40 ms) or signal forwarding. Only when the binary runs and is
 * this version; anything unusual (Windows, where npm's bin wrapper calls node; another file
 * system; a read-only install) keeps the shim, which works everywhere. Never fails the install.
 */
const childProcess = require("child_process");
const fs = require("fs");
const path = require("path");
const { findBinary } = require("./lib/platforms.js");

function optimize() {
  if (process.platform === "win32") return;
  const found = findBinary();
  if (found.error) return; // the shim explains it at the first `dagx`
  const version = JSON.parse(fs.readFileSync(path.join(__dirname, "package.json"), "utf8")).version;
  const out = childProcess.execFileSync(found.path, ["--version", "--json"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"], timeout: 30_000 });
  if (JSON.parse(out).version !== version) return;
  const shim = path.join(__dirname, "bin", "dagx");
  const tmp = `${shim}.tmp-${process.pid}`;
  try {
    fs.linkSync(found.path, tmp);
    fs.renameSync(tmp, shim);
  } finally {
    fs.rmSync(tmp, { force: true });
  }
}

try {
  optimize();
} catch {
  // keep the shim
}
