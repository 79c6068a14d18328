// Builds tests/fixtures/binary-entry.ts into a standalone executable with scripts/build.ts and runs it
// from a temp folder outside the repo: embedded DuckDB (cold + warm cache), runtime "dagx" module.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { buildBinary, type BuildResult } from "../../scripts/build.ts";
import * as publicApi from "../../core/public.ts";

const ENTRY = path.join(import.meta.dir, "..", "fixtures", "binary-entry.ts");

let tmp: string;
let build: BuildResult;

interface FixtureOutput {
  standalone: boolean;
  memory: number;
  file: number;
  duckdbVersion: string;
  user: { dagxKeys: string[]; probe: number; helper: string };
}

function cacheDir(xdg: string): string {
  return path.join(xdg, "dagx", `duckdb-${build.duckdb.version}-${build.duckdb.hash}`);
}

async function run(xdg: string, workdir: string, extraEnv: Record<string, string> = {}): Promise<FixtureOutput> {
  fs.mkdirSync(workdir, { recursive: true });
  const env: Record<string, string | undefined> = { ...process.env, XDG_CACHE_HOME: xdg };
  delete env.DAGX_DUCKDB_DIR;
  Object.assign(env, extraEnv);
  const proc = Bun.spawn([build.outfile, workdir, path.join(tmp, "project", "assets.ts")], {
    cwd: workdir,
    env,
    stdout: "pipe",
    stderr: "pipe",
  });
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  if (code !== 0) throw new Error(`binary exited with ${code}\n${stderr}\n${stdout}`);
  return JSON.parse(stdout.trim().split("\n").at(-1)!) as FixtureOutput;
}

function expectResult(out: FixtureOutput): void {
  expect(out.standalone).toBe(true);
  expect(out.memory).toBe(42);
  expect(out.file).toBe(45);
  expect(out.duckdbVersion).toStartWith("v");
  expect(out.user.probe).toBe(42);
  expect(out.user.helper).toBe("relative-ok");
  expect(out.user.dagxKeys).toEqual(Object.keys(publicApi).sort());
}

function expectCacheFiles(xdg: string, dir = cacheDir(xdg)): Map<string, number> {
  const inodes = new Map<string, number>();
  for (const f of [build.duckdb.addon, ...build.duckdb.libs]) {
    const st = fs.statSync(path.join(dir, f.name));
    expect(st.size).toBe(f.size);
    inodes.set(f.name, st.ino);
  }
  // No temp files left behind.
  expect(fs.readdirSync(dir).sort()).toEqual([build.duckdb.addon, ...build.duckdb.libs].map((f) => f.name).sort());
  return inodes;
}

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "dagx-binary-"));
  const project = path.join(tmp, "project");
  fs.mkdirSync(project);
  // A user asset file outside the bundle: TypeScript, imports the runtime "dagx" module, a second
  // plugin-provided module (named import) and a relative sibling.
  fs.writeFileSync(
    path.join(project, "assets.ts"),
    [
      `import * as dagx from "dagx";`,
      `import { probe } from "dagx-probe";`,
      `import { helper } from "./helper.ts";`,
      `const n: number = probe(21);`,
      `export default { dagxKeys: Object.keys(dagx).sort(), probe: n, helper: helper() };`,
      ``,
    ].join("\n"),
  );
  fs.writeFileSync(path.join(project, "helper.ts"), `export const helper = (): string => "relative-ok";\n`);
  build = await buildBinary({ entry: ENTRY, outfile: path.join(tmp, "bin", "dagx-fixture"), quiet: true });
}, 180_000);

afterAll(() => {
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

describe("standalone binary (scripts/build.ts)", () => {
  test("builds exactly one executable with DuckDB embedded", () => {
    expect(fs.readdirSync(path.dirname(build.outfile))).toEqual([path.basename(build.outfile)]);
    const native = build.duckdb.addon.size + build.duckdb.libs.reduce((n, l) => n + l.size, 0);
    expect(build.size).toBeGreaterThan(native);
    expect(build.duckdb.addon.name).toBe("duckdb.node");
    expect(build.duckdb.hash).toMatch(/^[0-9a-f]{10}$/);
  });

  test("cold run extracts DuckDB into $XDG_CACHE_HOME/dagx, warm run reuses it", async () => {
    const xdg = path.join(tmp, "cache-seq");
    expect(fs.existsSync(cacheDir(xdg))).toBe(false);

    expectResult(await run(xdg, path.join(tmp, "work-cold")));
    const first = expectCacheFiles(xdg);

    expectResult(await run(xdg, path.join(tmp, "work-warm")));
    const second = expectCacheFiles(xdg);
    expect(second).toEqual(first); // same inodes: nothing rewritten on the warm path
  }, 120_000);

  test("re-extracts a truncated cache file", async () => {
    const xdg = path.join(tmp, "cache-trunc");
    await run(xdg, path.join(tmp, "work-t1"));
    fs.truncateSync(path.join(cacheDir(xdg), build.duckdb.addon.name), 100);
    expectResult(await run(xdg, path.join(tmp, "work-t2")));
    expectCacheFiles(xdg);
  }, 120_000);

  test("concurrent cold starts do not corrupt each other", async () => {
    const xdg = path.join(tmp, "cache-par");
    const outs = await Promise.all([1, 2, 3, 4].map((i) => run(xdg, path.join(tmp, `work-par-${i}`))));
    for (const out of outs) expectResult(out);
    expectCacheFiles(xdg);
  }, 120_000);

  test("falls back to $TMPDIR/dagx-<uid> when the cache folder is not writable", async () => {
    const notADir = path.join(tmp, "xdg-is-a-file");
    fs.writeFileSync(notADir, "");
    const tmpdir = path.join(tmp, "tmpdir");
    fs.mkdirSync(tmpdir);
    expectResult(await run(notADir, path.join(tmp, "work-fb"), { TMPDIR: tmpdir }));
    const uid = process.getuid?.() ?? "u";
    const dir = path.join(tmpdir, `dagx-${uid}`, `duckdb-${build.duckdb.version}-${build.duckdb.hash}`);
    expectCacheFiles("", dir);
    expect(fs.statSync(path.dirname(dir)).mode & 0o077).toBe(0);
  }, 120_000);

  test("DAGX_DUCKDB_DIR overrides the folder", async () => {
    const dir = path.join(tmp, "override");
    expectResult(await run(path.join(tmp, "cache-unused"), path.join(tmp, "work-ov"), { DAGX_DUCKDB_DIR: dir }));
    expectCacheFiles("", dir);
    expect(fs.existsSync(path.join(tmp, "cache-unused"))).toBe(false);
  }, 120_000);
});
