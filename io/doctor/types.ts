/**
 * `dagx doctor`'s contract: a check is a name and a `run(ctx)` that reports ok / warn / fail /
 * skip with a one-line detail and, when something is wrong, the fix. A later capability (Python,
 * dbt, Postgres) adds its checks as a file exporting a `DoctorCheck` and one line in checks.ts.
 */
import type { Storage } from "../storage/index.ts";

export type DoctorStatus = "ok" | "warn" | "fail" | "skip";

export interface DoctorResult {
  status: DoctorStatus;
  /** One line: what was found (versions, paths, sizes), or why it is wrong. */
  detail: string;
  /** What to do about a warn or fail: a command or a setting. */
  fix?: string;
}

/** Where the project root came from: `-C` (exactly), found upward, or none found (the folder dagx started in). */
export type ProjectLocation =
  | { root: string; how: "flag" | "found" | "none"; storage: Storage }
  | { root: null; error: string };

/** What every check gets: facts gathered once, before the checks run. No asset file or config is imported. */
export interface DoctorContext {
  /** This dagx's version. */
  version: string;
  /** The folder dagx started in. */
  cwd: string;
  /** The environment of the invocation. */
  env: Record<string, string | undefined>;
  project: ProjectLocation;
}

export interface DoctorCheck {
  /** Short name shown in the table and the JSON: "platform", "duckdb", "state"… */
  name: string;
  run(ctx: DoctorContext): Promise<DoctorResult> | DoctorResult;
}

export interface DoctorReport {
  /** The worst status of any check: "fail" makes `dagx doctor` exit 1. */
  status: "ok" | "warn" | "fail";
  checks: (DoctorResult & { name: string; ms: number })[];
}
