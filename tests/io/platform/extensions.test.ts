import { describe, expect, test } from "bun:test";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { DuckDBExtensionError, duckdbExtensionFile, EXTENSION_VERSION, EXTENSIONS_DIR_ENV, extensionLoadError, loadDuckDBExtension } from "../../../io/platform/index.ts";

describe("DuckDB extensions", () => {
  test("the extension version is the embedded DuckDB's", () => {
    expect(EXTENSION_VERSION).toBe("1.5.5");
  });

  test("httpfs and postgres_scanner load signed into the embedded DuckDB, once per instance", async () => {
    const db = await DuckDBInstance.create(":memory:", { allow_unsigned_extensions: "false", autoinstall_known_extensions: "false" });
    const c = await db.connect();
    try {
      await loadDuckDBExtension(c, "httpfs", db);
      await loadDuckDBExtension(c, "postgres_scanner", db);
      await loadDuckDBExtension(c, "httpfs", db);
      const rows = (await c.runAndReadAll("select extension_name from duckdb_extensions() where loaded and extension_name in ('httpfs','postgres_scanner') order by 1")).getRows();
      expect(rows.map((r) => r[0])).toEqual(["httpfs", "postgres_scanner"]);
    } finally {
      c.closeSync();
      db.closeSync();
    }
  }, 180_000);

  test("a DAGX_EXTENSIONS_DIR without the file is a clear error naming the folder", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dagx-ext-"));
    try {
      expect(() => duckdbExtensionFile("httpfs", { ...process.env, [EXTENSIONS_DIR_ENV]: dir })).toThrow(DuckDBExtensionError);
      expect(() => duckdbExtensionFile("httpfs", { ...process.env, [EXTENSIONS_DIR_ENV]: dir })).toThrow(`${dir}, which has no httpfs.duckdb_extension`);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("a file DuckDB refuses", () => {
  test("LOAD fails with a DuckDBExtensionError naming the file and the fix; nothing is marked loaded", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dagx-ext-bad-"));
    const before = process.env[EXTENSIONS_DIR_ENV];
    const db = await DuckDBInstance.create(":memory:", { allow_unsigned_extensions: "false" });
    const c = await db.connect();
    try {
      fs.writeFileSync(path.join(dir, "httpfs.duckdb_extension"), "not a DuckDB extension");
      process.env[EXTENSIONS_DIR_ENV] = dir;
      const err = await loadDuckDBExtension(c, "httpfs", db).then(() => null, (e: unknown) => e);
      expect(err).toBeInstanceOf(DuckDBExtensionError);
      expect((err as Error).message).toContain(`DuckDB could not load the httpfs extension from ${path.join(dir, "httpfs.duckdb_extension")}: `);
      expect((err as Error).message).toContain("\nfix: delete ");
      // the bad file replaced by the real one: the same instance loads it (the failure was not remembered)
      delete process.env[EXTENSIONS_DIR_ENV];
      await loadDuckDBExtension(c, "httpfs", db);
    } finally {
      if (before === undefined) delete process.env[EXTENSIONS_DIR_ENV];
      else process.env[EXTENSIONS_DIR_ENV] = before;
      c.closeSync();
      db.closeSync();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 180_000);

  test("a glibc too old for the extension is said as such", () => {
    const err = extensionLoadError("httpfs", "/c/httpfs.duckdb_extension", new Error("IO Error: Extension \"/c/httpfs.duckdb_extension\" could not be loaded: /lib/x86_64-linux-gnu/libc.so.6: version `GLIBC_2.28' not found"));
    expect(err.message).toContain("fix: the httpfs extension needs glibc 2.28 or newer");
  });
});
