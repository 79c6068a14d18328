// The compiled binary's embedded DuckDB extensions (scripts/build.ts, io/platform/duckdb-embedded.ts):
// nothing is extracted by a process that does not need them; `dagx doctor` extracts both beside the
// extracted libduckdb, byte for byte the signed PyPI files, and loads them; a damaged cached file
// is replaced; concurrent first uses both succeed; DAGX_EXTENSIONS_DIR wins over the embedded copy.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { EMBEDDED_EXTENSIONS, type EmbeddedExtension, findDuckDBExtensions, findDuckDBNative } from "../../../scripts/build.ts";
import { hostBinary } from "../../support/binary.ts";
import { dagx, makeProject, removeProject } from "../../cli/helpers.ts";

let tmp: string;
let bin: string;
let expected: EmbeddedExtension[];
let leaf: string;

const sha256 = (file: string) => createHash("sha256").update(fs.readFileSync(file)).digest("hex");

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "dagx-embext-"));
  bin = await hostBinary(tmp);
  expected = findDuckDBExtensions();
  const native = findDuckDBNative();
  leaf = `duckdb-${native.version}-${native.hash}`;
}, 300_000);

afterAll(() => {
  if (tmp) removeProject(tmp);
});

/** A fresh XDG cache home for one test, and the folder the binary extracts DuckDB into there. */
function freshCache(): { env: Record<string, string>; dir: string } {
  const xdg = fs.mkdtempSync(path.join(tmp, "xdg-"));
  return { env: { XDG_CACHE_HOME: xdg, DAGX_DUCKDB_DIR: "", DAGX_EXTENSIONS_DIR: "" }, dir: path.join(xdg, "dagx", leaf) };
}

const extensionFiles = (dir: string) => (fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.includes("duckdb_extension")).sort() : []);

async function doctorJson(cwd: string, env: Record<string, string>): Promise<{ code: number; ext: { status: string; detail: string; fix: string | null } }> {
  const r = await dagx(cwd, ["doctor", "--json"], { bin, env, timeoutMs: 120_000 });
  const report = JSON.parse(r.stdout) as { checks: { name: string; status: string; detail: string; fix: string | null }[] };
  return { code: r.code, ext: report.checks.find((c) => c.name === "duckdb extensions")! };
}

describe.if(process.platform === "linux" || process.platform === "darwin")("compiled binary: embedded DuckDB extensions", () => {
  test("the build embeds httpfs and postgres_scanner for this platform", () => {
    expect(expected.map((e) => e.name)).toEqual([...EMBEDDED_EXTENSIONS]);
    for (const e of expected) expect(e.packedSize).toBeLessThan(e.size / 2);
  });

  test("--version and a materialize (ctx.sql) extract nothing; doctor extracts both beside libduckdb and loads them", async () => {
    const { env, dir } = freshCache();
    const project = makeProject({ "a.asset.ts": `import { asset } from "dagx";\nexport const a = asset(async (ctx) => (await ctx.sql\`SELECT 42 AS x\`));\n` });
    try {
      expect((await dagx(project, ["--version"], { bin, env })).code).toBe(0);
      const run = await dagx(project, ["materialize"], { bin, env });
      expect(run.stderr).not.toContain("error");
      expect(run.code).toBe(0);
      expect(fs.existsSync(path.join(dir, process.platform === "darwin" ? "libduckdb.dylib" : "libduckdb.so"))).toBe(true);
      expect(extensionFiles(dir)).toEqual([]);

      const { code, ext } = await doctorJson(project, env);
      expect(ext.status, ext.detail).toBe("ok");
      expect(code).toBe(0);
      for (const e of expected) expect(ext.detail).toContain(`${e.name} (embedded, `);
      expect(extensionFiles(dir)).toEqual(expected.map((e) => `${e.name}.duckdb_extension`).sort());
      for (const e of expected) expect(sha256(path.join(dir, `${e.name}.duckdb_extension`))).toBe(e.sha256);
    } finally {
      removeProject(project);
    }
  }, 180_000);

  test("a damaged extracted file (wrong size) is replaced on the next use", async () => {
    const { env, dir } = freshCache();
    expect((await doctorJson(tmp, env)).ext.status).toBe("ok");
    const file = path.join(dir, "httpfs.duckdb_extension");
    fs.truncateSync(file, 1000);
    const { ext } = await doctorJson(tmp, env);
    expect(ext.status, ext.detail).toBe("ok");
    expect(sha256(file)).toBe(expected.find((e) => e.name === "httpfs")!.sha256);
  }, 180_000);

  test("two processes extracting at once both load the extensions; no temp file is left", async () => {
    const { env, dir } = freshCache();
    const both = await Promise.all([doctorJson(tmp, env), doctorJson(tmp, env)]);
    for (const { ext } of both) expect(ext.status, ext.detail).toBe("ok");
    expect(fs.readdirSync(dir).filter((f) => f.includes(".tmp-"))).toEqual([]);
    for (const e of expected) expect(sha256(path.join(dir, `${e.name}.duckdb_extension`))).toBe(e.sha256);
  }, 180_000);

  test("DAGX_EXTENSIONS_DIR is used as is: without the files, doctor fails and names the folder and the fix", async () => {
    const { env, dir } = freshCache();
    const empty = fs.mkdtempSync(path.join(tmp, "ext-"));
    const { code, ext } = await doctorJson(tmp, { ...env, DAGX_EXTENSIONS_DIR: empty });
    expect(ext.status).toBe("fail");
    expect(code).toBe(1);
    expect(ext.detail).toContain(path.join(empty, "httpfs.duckdb_extension"));
    expect(ext.fix).toContain("DAGX_EXTENSIONS_DIR");
    expect(extensionFiles(dir)).toEqual([]);
  }, 120_000);
});
