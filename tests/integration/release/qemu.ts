/**
 * qemu user-mode emulation of linux-arm64 for the release test: `qemu-aarch64 -L
 * /usr/aarch64-linux-gnu` with Debian's cross loader and C/C++ runtime. Installed with apt-get
 * when missing and possible (root with apt-get; idempotent, the packages stay installed), else a
 * reason to skip.
 */
import { existsSync } from "node:fs";

const SYSROOT = "/usr/aarch64-linux-gnu";
const PACKAGES = ["qemu-user", "libc6-arm64-cross", "libstdc++6-arm64-cross"];
const NEEDED = [`${SYSROOT}/lib/ld-linux-aarch64.so.1`, `${SYSROOT}/lib/libstdc++.so.6`];

function ready(): string | null {
  const qemu = Bun.which("qemu-aarch64");
  return qemu && NEEDED.every((f) => existsSync(f)) ? qemu : null;
}

function apt(args: string[]): boolean {
  const r = Bun.spawnSync(["apt-get", ...args], { env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" }, stdout: "ignore", stderr: "pipe" });
  return r.exitCode === 0;
}

/** The command prefix that runs an arm64 Linux executable here, or why there is none. */
export function arm64Runner(): { prefix: string[] } | { skip: string } {
  let qemu = ready();
  if (!qemu && Bun.which("apt-get") && process.getuid?.() === 0) {
    // a fresh image has no package lists yet: update once when the first try fails
    if (!apt(["install", "-y", "--no-install-recommends", ...PACKAGES])) apt(["update"]) && apt(["install", "-y", "--no-install-recommends", ...PACKAGES]);
    qemu = ready();
  }
  if (!qemu) return { skip: `qemu-aarch64 and the arm64 cross libraries are not available (install: apt-get install ${PACKAGES.join(" ")})` };
  return { prefix: [qemu, "-L", SYSROOT] };
}
