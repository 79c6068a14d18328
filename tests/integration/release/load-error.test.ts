// The compiled binary when its embedded DuckDB cannot load: every cache folder on a `noexec`
// mount (a tmpfs mounted here when the test may mount, as root in a container), else every
// folder unwritable (under /dev/null). dagx exits 2 and names the platform, the cause and the fix,
// without a stack trace unless --verbose.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { hostBinary } from "../../support/binary.ts";

let tmp: string;
let bin: string;
let noexec: string | null = null;

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "dagx-loaderr-"));
  bin = await hostBinary(tmp);
  const mnt = path.join(tmp, "noexec");
  fs.mkdirSync(mnt);
  const r = Bun.spawnSync(["mount", "-t", "tmpfs", "-o", "noexec,size=256m", "tmpfs", mnt], { stdout: "ignore", stderr: "ignore" });
  if (r.exitCode === 0) noexec = mnt;
  else console.warn("load-error test: cannot mount a noexec tmpfs here (not root?); testing unwritable cache folders instead");
}, 120_000);

afterAll(() => {
  if (noexec) Bun.spawnSync(["umount", noexec]);
  fs.rmSync(tmp, { recursive: true, force: true });
});

async function dagx(args: string[], env: Record<string, string>): Promise<{ code: number; stderr: string }> {
  const base: Record<string, string | undefined> = { ...process.env, NO_COLOR: "1", ...env };
  const p = Bun.spawn([bin, ...args], { cwd: tmp, env: base, stdout: "pipe", stderr: "pipe" });
  const [stderr, code] = await Promise.all([new Response(p.stderr).text(), p.exited]);
  return { code, stderr };
}

describe("embedded DuckDB that cannot load", () => {
  test("exit 2: platform, cause, fix; the stack only with --verbose", async () => {
    const root = noexec ?? "/dev/null";
    const env = { DAGX_DUCKDB_DIR: path.join(root, "dir"), XDG_CACHE_HOME: path.join(root, "cache"), TMPDIR: noexec ? path.join(noexec, "tmp") : "/dev/null" };
    if (noexec) fs.mkdirSync(env.TMPDIR);
    const { code, stderr } = await dagx(["query", "select 42"], env);
    expect(code).toBe(2);
    const platform = `${process.platform === "win32" ? "windows" : process.platform}-${process.arch}`;
    expect(stderr).toContain(`dagx cannot load its embedded DuckDB library on ${platform}`);
    if (noexec) {
      expect(stderr).toContain("mounted noexec");
      expect(stderr).toContain("failed to map segment");
    } else expect(stderr).toContain("no cache folder could be written");
    expect(stderr).toContain("Set DAGX_DUCKDB_DIR to a folder");
    // each of the three candidate folders is listed with its error
    expect(stderr).toContain(env.DAGX_DUCKDB_DIR);
    expect(stderr).toContain(path.join(env.XDG_CACHE_HOME, "dagx"));
    expect(stderr).not.toContain("internal error");
    expect(stderr).not.toMatch(/^\s+at /m);
    const verbose = await dagx(["query", "select 42", "--verbose"], env);
    expect(verbose.code).toBe(2);
    expect(verbose.stderr).toMatch(/^\s+at /m);
  });
});
