/**
 * DuckDB extensions (`httpfs` for S3, `postgres_scanner` for Postgres): where each comes from
 * (DAGX_EXTENSIONS_DIR, embedded in the compiled binary, or the source run's PyPI cache) and
 * whether it loads, signed, into a fresh in-memory DuckDB (by path, as io/platform's
 * loadDuckDBExtension does, with this check's environment). In the compiled binary this is what
 * extracts the embedded files (io/platform/duckdb-embedded.ts), so a later run finds them ready.
 * From source, files not fetched yet are reported, not fetched (doctor stays offline).
 */
import fs from "node:fs";
import {
  type DuckDBExtensionName, duckdbExtensionFile, duckdbExtensionSource, embeddedExtensionNames, EXTENSION_VERSION, EXTENSION_WHEELS,
  EXTENSIONS_DIR_ENV, extensionLoadError, isCompiledBinary,
} from "../platform/index.ts";
import { formatSize } from "./context.ts";
import type { DoctorCheck, DoctorContext, DoctorResult } from "./types.ts";

/** The extensions dagx uses, in the order doctor reports them. */
export const DOCTOR_EXTENSIONS: readonly DuckDBExtensionName[] = ["httpfs", "postgres_scanner"];

const SOURCE_LABEL = { env: EXTENSIONS_DIR_ENV, embedded: "embedded", cache: "PyPI cache" } as const;

export const extensionsCheck: DoctorCheck = {
  name: "duckdb extensions",
  async run(ctx: DoctorContext): Promise<DoctorResult> {
    const env = ctx.env as NodeJS.ProcessEnv;
    // DuckDB loads first: the compiled binary registers its embedded extensions as it does
    const { DuckDBInstance } = await import("@duckdb/node-api");
    const instance = await DuckDBInstance.create(":memory:", { threads: "1", allow_unsigned_extensions: "false", autoinstall_known_extensions: "false", autoload_known_extensions: "false" });
    const conn = await instance.connect();
    const parts: string[] = [];
    const missing: string[] = [];
    const failed: string[] = [];
    const fixes: string[] = [];
    try {
      for (const name of DOCTOR_EXTENSIONS) {
        const source = duckdbExtensionSource(name, env);
        if (source.from !== "embedded" && !source.exists) {
          missing.push(name);
          parts.push(`${name}: not in ${source.from === "env" ? `${EXTENSIONS_DIR_ENV} (${source.file})` : source.file}`);
          continue;
        }
        try {
          const t0 = performance.now();
          const file = duckdbExtensionFile(name, env);
          const t1 = performance.now();
          try {
            await conn.run(`LOAD '${file.replaceAll("'", "''")}'`);
          } catch (error) {
            throw extensionLoadError(name, file, error);
          }
          const t2 = performance.now();
          const extract = source.from === "embedded" ? `ready in ${Math.round(t1 - t0)} ms, ` : "";
          parts.push(`${name} (${SOURCE_LABEL[source.from]}, ${formatSize(fs.statSync(file).size)} at ${file}; ${extract}LOAD ${Math.round(t2 - t1)} ms)`);
        } catch (error) {
          const [what, fix] = (error instanceof Error ? error.message : String(error)).split("\nfix: ");
          failed.push(name);
          parts.push(`${name}: ${what!.replaceAll("\n", " ")}`);
          if (fix) fixes.push(fix);
        }
      }
    } finally {
      conn.closeSync();
      instance.closeSync();
    }
    const detail = `DuckDB ${EXTENSION_VERSION}: ${parts.join("; ")}`;
    if (failed.length > 0) {
      if (fixes.length > 0) return { status: "fail", detail, fix: [...new Set(fixes)].join("; ") };
      return { status: "fail", detail, fix: `S3 and Postgres IO managers need them: set ${EXTENSIONS_DIR_ENV} to a folder holding ${failed.map((n) => `${n}.duckdb_extension`).join(" and ")} (DuckDB ${EXTENSION_VERSION}, from PyPI's ${failed.map((n) => EXTENSION_WHEELS[n as DuckDBExtensionName]).join(", ")}), or reinstall dagx` };
    }
    if (missing.length > 0) {
      const from = duckdbExtensionSource(missing[0] as DuckDBExtensionName, env).from;
      if (from === "env") return { status: "fail", detail, fix: `put ${missing.map((n) => `${n}.duckdb_extension`).join(" and ")} (DuckDB ${EXTENSION_VERSION}) into ${EXTENSIONS_DIR_ENV}, or unset it` };
      if (isCompiledBinary() && embeddedExtensionNames().length === 0) {
        return { status: "warn", detail: `${detail}; this binary embeds no extensions`, fix: `only S3 and Postgres IO managers need them: use a release binary, or set ${EXTENSIONS_DIR_ENV} to a folder holding ${missing.map((n) => `${n}.duckdb_extension`).join(" and ")}` };
      }
      return { status: "skip", detail: `${detail} (a source run fetches them from PyPI on first use of S3 or Postgres)` };
    }
    return { status: "ok", detail };
  },
};
