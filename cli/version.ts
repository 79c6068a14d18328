/** dagx's version, and what `dagx --version` prints: it, the platform, DuckDB and Bun (no DuckDB load: it stays fast). */
import { runtimeInfo } from "../io/platform/index.ts";

export const VERSION = "0.1.0";

export interface VersionInfo {
  version: string;
  /** `linux-x64`, `darwin-arm64`, `windows-x64`… */
  platform: string;
  duckdb: string;
  bun: string;
  /** The compiled binary, or `bun cli/main.ts` from a checkout. */
  compiled: boolean;
}

export function versionInfo(): VersionInfo {
  const { platform, duckdb, bun, compiled } = runtimeInfo();
  return { version: VERSION, platform, duckdb, bun, compiled };
}

/** `dagx 0.1.0 (linux-x64, DuckDB v1.5.5, Bun 1.4.5)`; `, from source` when not the compiled binary. */
export function versionLine(v: VersionInfo = versionInfo()): string {
  return `dagx ${v.version} (${v.platform}, DuckDB ${v.duckdb}, Bun ${v.bun}${v.compiled ? "" : ", from source"})`;
}
