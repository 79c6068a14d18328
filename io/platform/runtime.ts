/**
 * What this dagx runs on: the platform (named as the release binaries are, `linux-x64`,
 * `windows-x64`…), the Bun runtime, the DuckDB version, and whether it is the compiled binary.
 * Cheap enough for `dagx --version` (no DuckDB load): the DuckDB version comes from
 * `@duckdb/node-api`'s package.json, which the bundler inlines into the binary. Its versions are
 * `<DuckDB version>-r.<release>`; `dagx doctor` checks it against the loaded library's own answer.
 */
import { version as duckdbApiVersion } from "@duckdb/node-api/package.json";

/** `linux`, `darwin`, `windows` (Node's `win32` renamed as in the binaries' file names) or another `process.platform`. */
export function dagxOs(platform: string = process.platform): string {
  return platform === "win32" ? "windows" : platform;
}

/** `<os>-<arch>` as in `dist/dagx-<os>-<arch>[.exe]`: `linux-x64`, `darwin-arm64`, `windows-x64`. */
export function dagxPlatform(platform: string = process.platform, arch: string = process.arch): string {
  return `${dagxOs(platform)}-${arch}`;
}

/** The platforms a release ships a binary for. */
export const RELEASE_PLATFORMS = ["darwin-arm64", "darwin-x64", "linux-x64", "linux-arm64", "windows-x64"] as const;

/** The DuckDB library version this build embeds (or loads from node_modules), e.g. `v1.5.5`. */
export const DUCKDB_VERSION = `v${duckdbApiVersion.replace(/-r\.\d+$/, "")}`;

/** Running as the compiled single binary (`bun build --compile`): its modules live in Bun's virtual `$bunfs`. */
export function isCompiledBinary(main: string = Bun.main): boolean {
  return main.startsWith("/$bunfs/") || /^[A-Za-z]:[\\/]~BUN[\\/]/.test(main);
}

export interface RuntimeInfo {
  /** `linux-x64`, `darwin-arm64`, `windows-x64`… */
  platform: string;
  /** DuckDB library version, `v1.5.5`. */
  duckdb: string;
  /** Bun runtime version, `1.4.5`. */
  bun: string;
  /** The compiled binary (true) or `bun cli/main.ts` from a source checkout (false). */
  compiled: boolean;
  /** Path of the running executable (the dagx binary, or bun). */
  executable: string;
}

export function runtimeInfo(): RuntimeInfo {
  return { platform: dagxPlatform(), duckdb: DUCKDB_VERSION, bun: Bun.version, compiled: isCompiledBinary(), executable: process.execPath };
}
