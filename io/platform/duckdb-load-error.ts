/**
 * Why the compiled binary's embedded DuckDB did not load, in words a user can act on: the
 * platform, the cause, and what to run or download instead. Pure (facts in, text out) so every
 * cause is unit-tested; io/platform/duckdb-embedded.ts gathers the facts and throws
 * {@link DuckDBLoadError} (exit 2, no stack unless --verbose).
 */
import { DagxError } from "../../core/errors.ts";

export interface LoadFailureFacts {
  /** Platform the binary was built for: `linux-x64`, `darwin-arm64`, `windows-x64`… */
  platform: string;
  /** Platform it runs on (`process.platform`/`arch`, named the same way). */
  host: string;
  /** glibc of this process (Linux), null when none (musl) or not Linux. */
  glibc: string | null;
  musl: boolean;
  /** Lowest glibc the embedded library needs (its highest `GLIBC_` symbol version), when known. */
  minGlibc?: string;
  /** Each cache folder tried, with the error there. */
  attempts: { dir: string; error: string }[];
  /** Release download per platform (`linux-x64` -> URL), when the build knew them. */
  downloads?: Record<string, string>;
}

export type LoadFailureCause = "musl" | "glibc" | "library" | "platform" | "noexec" | "write" | "signature" | "unknown";

const PATTERNS: [LoadFailureCause, RegExp][] = [
  ["glibc", /GLIBC_[\d.]+'? not found|version `GLIBC/],
  ["platform", /wrong ELF class|invalid ELF header|Exec format error|incompatible architecture|not a valid Win32 application|mach-o file, but is/i],
  ["signature", /code signature|not valid for use in process|Code Signature Invalid/i],
  ["library", /cannot open shared object file|Library not loaded|specified module could not be found/i],
  ["noexec", /failed to map segment|operation not permitted|EPERM/i],
  ["write", /EACCES|EROFS|ENOSPC|ENOTDIR|EEXIST|permission denied|read-only file system|no space|refusing to use|short copy/i],
];

/** The cause of one folder's error. */
export function causeOf(error: string): LoadFailureCause {
  return PATTERNS.find(([, re]) => re.test(error))?.[0] ?? "unknown";
}

/** The cause to report: a property of the system (libc, a missing library) beats one of a folder. */
export function classifyLoadFailure(facts: Pick<LoadFailureFacts, "musl" | "attempts">): LoadFailureCause {
  if (facts.musl) return "musl";
  const causes = facts.attempts.map((a) => causeOf(a.error));
  const order: LoadFailureCause[] = ["glibc", "platform", "signature", "library", "noexec", "write"];
  return order.find((c) => causes.includes(c)) ?? "unknown";
}

/** The library a "cannot open shared object file" names (`libstdc++.so.6`), if any. */
function missingLibrary(attempts: LoadFailureFacts["attempts"]): string | null {
  for (const a of attempts) {
    const m = /([\w+.-]+\.(?:so[\d.]*|dylib|dll)): cannot open shared object file/.exec(a.error) ?? /Library not loaded: (\S+)/.exec(a.error);
    if (m) return m[1]!;
  }
  return null;
}

/** The full message: what failed on which platform, why, each folder's error, and what to do. */
export function explainLoadFailure(f: LoadFailureFacts): string {
  const cause = classifyLoadFailure(f);
  const file = `dagx-${f.platform}`;
  const here = f.glibc ? `${f.host}, glibc ${f.glibc}` : f.musl ? `${f.host}, musl libc` : f.host;
  const own = f.downloads?.[f.platform];
  const instead = f.downloads?.[f.host];
  const needs = f.minGlibc ? `glibc ${f.minGlibc} or newer` : "glibc";
  const why: Record<LoadFailureCause, string> = {
    musl: `this Linux uses musl libc (Alpine?), and ${file} is built for glibc (it needs ${needs}).`,
    glibc: `this system's glibc${f.glibc ? ` (${f.glibc})` : ""} is too old: DuckDB in ${file} needs ${needs}.`,
    library: `a system library DuckDB needs is missing${missingLibrary(f.attempts) ? `: ${missingLibrary(f.attempts)}` : ""}.`,
    platform: `the embedded library is not for this machine (${file} runs on ${f.host}).`,
    signature: "macOS refused the library's code signature.",
    noexec: "no cache folder allows running native code (a file system mounted noexec?).",
    write: "no cache folder could be written.",
    unknown: "the native library failed to load.",
  };
  const fix: Record<LoadFailureCause, string> = {
    musl: `There is no musl build: use a glibc-based system or image (Debian, Ubuntu, Fedora; e.g. docker image debian:bookworm-slim) with ${own ?? file}, or run dagx from a source checkout with Bun (npm ci installs DuckDB's musl bindings; npm run dagx -- ARGS).`,
    glibc: `Use a newer system or a container image with ${needs} (Debian 10, Ubuntu 18.04, RHEL/Rocky 8 or later) and ${own ?? file}; there is no build for older glibc.`,
    library: /libstdc\+\+|libgcc/.test(missingLibrary(f.attempts) ?? "")
      ? "Install the C++ runtime: apt-get install libstdc++6 (Debian/Ubuntu), dnf install libstdc++ (Fedora/RHEL)."
      : "Install the missing library with the system's package manager, then run dagx again.",
    platform: instead ? `Download the build for this machine instead: ${instead}` : `There is no dagx build for ${f.host}; run dagx from a source checkout with Bun.`,
    signature: `Download ${file} again${own ? ` (${own})` : ""} and check it against SHA256SUMS; remove the cache folder above so it is extracted again.`,
    noexec: "Set DAGX_DUCKDB_DIR to a folder on a file system that allows executing programs, e.g. DAGX_DUCKDB_DIR=~/.local/share/dagx/duckdb.",
    write: "Set DAGX_DUCKDB_DIR to a folder you can write (and that is not mounted noexec), e.g. DAGX_DUCKDB_DIR=~/.local/share/dagx/duckdb.",
    unknown: `Run \`dagx doctor\` for details; setting DAGX_DUCKDB_DIR to another folder may help.${instead && f.host !== f.platform ? ` This machine's build: ${instead}` : ""}`,
  };
  // dlopen repeats the folder in its message: once is enough
  const tried = f.attempts.map((a) => `  ${a.dir}: ${a.error.replaceAll(`${a.dir}/`, "").replaceAll(`${a.dir}\\`, "")}`);
  return [`dagx cannot load its embedded DuckDB library on ${here}: ${why[cause]}`, ...tried, fix[cause]].join("\n");
}

/** The embedded DuckDB did not load: exit 2, the explanation, no stack unless --verbose. */
export class DuckDBLoadError extends DagxError {
  readonly reason: LoadFailureCause;
  constructor(facts: LoadFailureFacts) {
    super("PLATFORM", explainLoadFailure(facts), { exitCode: 2 });
    this.name = "DuckDBLoadError";
    this.reason = classifyLoadFailure(facts);
  }
}
