/** The platform and how dagx runs on it: OS and libc, the compiled binary or a source checkout, Bun. */
import os from "node:os";
import { RELEASE_PLATFORMS, runtimeInfo } from "../platform/index.ts";
import type { DoctorCheck } from "./types.ts";

/** `glibc 2.36` / `musl` on Linux; null elsewhere. */
function libc(): string | null {
  if (process.platform !== "linux") return null;
  const glibc = (process as { report?: { getReport?: () => { header?: { glibcVersionRuntime?: string } } } }).report?.getReport?.()?.header?.glibcVersionRuntime;
  return glibc ? `glibc ${glibc}` : "musl";
}

export const platformCheck: DoctorCheck = {
  name: "platform",
  run(ctx) {
    const info = runtimeInfo();
    const system = [`${os.type()} ${os.release()}`, libc()].filter(Boolean).join(", ");
    const how = info.compiled ? `binary ${info.executable}` : `from source, Bun at ${info.executable}`;
    const detail = `dagx ${ctx.version} on ${info.platform} (${system}), ${how}, Bun ${info.bun}`;
    if (!(RELEASE_PLATFORMS as readonly string[]).includes(info.platform)) {
      return { status: "warn", detail, fix: `no release binary is built for ${info.platform} (there are: ${RELEASE_PLATFORMS.join(", ")}); run dagx from a source checkout` };
    }
    if (libc() === "musl" && info.compiled) {
      return { status: "warn", detail, fix: "the Linux binaries are built for glibc; on musl (Alpine) install gcompat, or run dagx from a source checkout" };
    }
    return { status: "ok", detail };
  },
};
