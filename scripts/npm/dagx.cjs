#!/usr/bin/env node
"use strict";
/**
 * `dagx` from npm: run the binary of this platform's package (@dagx/<os>-<cpu>) with the same
 * arguments, stdio, exit code and signals. install.js usually replaces this file with the binary
 * itself (no Node start per command); the shim remains where it cannot (Windows, --ignore-scripts).
 */
const { findBinary } = require("../lib/platforms.js");

const found = findBinary();
if (found.error) {
  process.stderr.write(`${found.error}\n`);
  process.exit(1);
}
const bin = found.path;
const args = process.argv.slice(2);

// Node >= 22.15 / 23.11 on POSIX: become the binary (same pid: signals, job control and the exit
// status are the binary's own). It returns only when execve(2) failed; then spawn reports why.
if (typeof process.execve === "function" && process.platform !== "win32") {
  try {
    process.execve(bin, [bin, ...args]);
  } catch {
    // fall through
  }
}

const { spawn } = require("child_process");
const os = require("os");
const child = spawn(bin, args, { stdio: "inherit" });

// A terminal sends Ctrl-C (SIGINT) and Ctrl-\ (SIGQUIT) to the whole foreground group, the binary
// included: forwarding those would deliver them twice (dagx exits at once at a second Ctrl-C).
// Signals sent to this process alone (kill PID, a supervisor) are forwarded.
const attached = process.stdin.isTTY || process.stdout.isTTY || process.stderr.isTTY;
const forwarded = ["SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT", "SIGUSR2", "SIGWINCH"].filter((s) => process.platform !== "win32" || s === "SIGINT");
const listeners = forwarded.map((signal) => {
  const listener = () => {
    if (attached && (signal === "SIGINT" || signal === "SIGQUIT")) return;
    try {
      child.kill(signal);
    } catch {
      // already gone
    }
  };
  process.on(signal, listener);
  return [signal, listener];
});

child.on("error", (error) => {
  process.stderr.write(`dagx: cannot run ${bin}: ${error.message}\n`);
  process.exit(1);
});
child.on("exit", (code, signal) => {
  if (signal === null) process.exit(code === null ? 1 : code);
  // end the way the binary ended, so a shell sees "killed by SIGTERM", not an exit code
  for (const [s, l] of listeners) process.off(s, l);
  process.kill(process.pid, signal);
  process.exit(128 + (os.constants.signals[signal] || 0));
});
