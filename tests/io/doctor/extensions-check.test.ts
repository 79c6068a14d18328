// `dagx doctor`'s "duckdb extensions" check from source: loads the files it finds (signed, by
// path), fails on a DAGX_EXTENSIONS_DIR without them, and reports (without fetching) files a
// source run has not fetched yet. The compiled binary's embedded copies: tests/io/platform/embedded-extensions.test.ts.
import { afterAll, describe, expect, test } from "bun:test";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { createDoctorContext, DOCTOR_CHECKS } from "../../../io/doctor/index.ts";
import { duckdbExtensionFile } from "../../../io/platform/index.ts";

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});
const tempDir = () => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), "dagx-doctor-ext-"));
  dirs.push(d);
  return d;
};

const check = DOCTOR_CHECKS.find((c) => c.name === "duckdb extensions")!;
const runCheck = (env: Record<string, string | undefined>) => check.run(createDoctorContext({ version: "0.0.0", cwd: tempDir(), env }));

describe("doctor: duckdb extensions", () => {
  test("runs after the duckdb checks", () => {
    const names = DOCTOR_CHECKS.map((c) => c.name);
    expect(names.indexOf("duckdb extensions")).toBeGreaterThan(names.indexOf("duckdb cache"));
  });

  test("loads httpfs and postgres_scanner from DAGX_EXTENSIONS_DIR", async () => {
    const dir = tempDir();
    for (const name of ["httpfs", "postgres_scanner"] as const) fs.symlinkSync(duckdbExtensionFile(name), path.join(dir, `${name}.duckdb_extension`));
    const r = await runCheck({ ...process.env, DAGX_EXTENSIONS_DIR: dir });
    expect(r.status, r.detail).toBe("ok");
    expect(r.detail).toContain("httpfs (DAGX_EXTENSIONS_DIR, ");
    expect(r.detail).toContain("postgres_scanner (DAGX_EXTENSIONS_DIR, ");
  }, 180_000);

  test("a file that is not a signed extension fails, naming it", async () => {
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, "httpfs.duckdb_extension"), "not an extension");
    fs.symlinkSync(duckdbExtensionFile("postgres_scanner"), path.join(dir, "postgres_scanner.duckdb_extension"));
    const r = await runCheck({ ...process.env, DAGX_EXTENSIONS_DIR: dir });
    expect(r.status).toBe("fail");
    expect(r.detail).toContain("httpfs: ");
    expect(r.detail).toContain("postgres_scanner (DAGX_EXTENSIONS_DIR, ");
    expect(r.fix).toContain("httpfs.duckdb_extension");
  }, 180_000);

  test("DAGX_EXTENSIONS_DIR without the files is a fail with the fix", async () => {
    const dir = tempDir();
    const r = await runCheck({ ...process.env, DAGX_EXTENSIONS_DIR: dir });
    expect(r.status).toBe("fail");
    expect(r.detail).toContain(path.join(dir, "httpfs.duckdb_extension"));
    expect(r.fix).toContain("DAGX_EXTENSIONS_DIR");
  });

  test("from source, files not fetched yet are a skip that says where they will come from (nothing is fetched)", async () => {
    const xdg = tempDir();
    const r = await runCheck({ ...process.env, DAGX_EXTENSIONS_DIR: "", XDG_CACHE_HOME: xdg });
    expect(r.status).toBe("skip");
    expect(r.detail).toContain("fetches them from PyPI");
    expect(fs.readdirSync(xdg)).toEqual([]);
  });
});
