// The five release binaries from `npm run build -- --target all` (built once per state of the
// sources into a shared temp folder, or dist/ when newer than the sources): each is the right executable for its OS/CPU and embeds
// DuckDB's native files for that platform byte for byte, and its DuckDB extensions; the macOS ones carry a valid code
// signature; SHA256SUMS matches; README states the measured glibc and macOS floors; and the
// linux-arm64 one runs init + materialize + query under qemu (installed with apt-get when missing).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { findDuckDBExtensions, findDuckDBNative } from "../../../scripts/build.ts";
import { executableFormat, maxGlibcVersion } from "../../../scripts/build/binfmt.ts";
import { machOHeader, verifyCodeSignature } from "../../../scripts/build/macho.ts";
import { adhocSign } from "../../../scripts/build/macho-sign.ts";
import { bunTarget } from "../../../scripts/build/release.ts";
import { TARGETS } from "../../../scripts/npm/platforms.cjs";
import { releaseBinaries, type ReleaseBinaries } from "../../support/release.ts";
import { arm64Runner } from "./qemu.ts";

const REPO = path.join(import.meta.dir, "../../..");
const OS_NAME: Record<string, string> = { linux: "linux", darwin: "darwin", win32: "windows" };
const FORMAT: Record<string, string> = { linux: "ELF", darwin: "Mach-O", win32: "PE32+" };
const sha256 = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

let tmp: string;
let rel: ReleaseBinaries;
/** Per platform: where each embedded native file starts in the binary, and its length. */
const embedded: Record<string, { name: string; at: number; size: number }[]> = {};

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "dagx-release-"));
  rel = await releaseBinaries();
  console.log(`release binaries: ${rel.built ? `built in ${rel.ms} ms` : `reused from ${rel.dir}`}`);
}, 600_000);

afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe("release binaries", () => {
  for (const t of TARGETS) {
    test(`${t.file}: ${FORMAT[t.os]} for ${t.os}-${t.cpu}, embedding @duckdb/node-bindings-${t.os}-${t.cpu}`, () => {
      const bin = fs.readFileSync(rel.files[t.platform]!);
      expect(executableFormat(bin.subarray(0, 4096))).toEqual({ os: OS_NAME[t.os] as never, arch: t.cpu as never, format: FORMAT[t.os]! });
      const native = findDuckDBNative(bunTarget(t));
      expect(native.pkg).toBe(`@duckdb/node-bindings-${t.os}-${t.cpu}`);
      embedded[t.platform] = [];
      for (const f of [native.addon, ...native.libs]) {
        const want = fs.readFileSync(f.file);
        const at = bin.indexOf(want.subarray(0, 64 * 1024));
        expect(at, `${f.name} is embedded in ${t.file}`).toBeGreaterThan(0);
        expect(sha256(bin.subarray(at, at + want.length))).toBe(sha256(want));
        // the embedded file's own header: a library for the same OS and CPU
        expect(executableFormat(bin.subarray(at, at + 4096))).toMatchObject({ os: OS_NAME[t.os], arch: t.cpu });
        embedded[t.platform]!.push({ name: f.name, at, size: want.length });
      }
      expect(embedded[t.platform]!.map((e) => e.name)).toContain(t.os === "win32" ? "duckdb.dll" : t.os === "darwin" ? "libduckdb.dylib" : "libduckdb.so");
      // the DuckDB extensions: each compressed copy embedded whole, inflating to PyPI's signed file
      const extensions = findDuckDBExtensions(bunTarget(t));
      expect(extensions.map((e) => e.name)).toEqual(["httpfs", "postgres_scanner"]);
      for (const e of extensions) {
        const packed = fs.readFileSync(e.packed);
        const at = bin.indexOf(packed.subarray(0, 64 * 1024));
        expect(at, `${e.name} is embedded in ${t.file}`).toBeGreaterThan(0);
        expect(sha256(bin.subarray(at, at + packed.length))).toBe(sha256(packed));
        expect(sha256(Bun.zstdDecompressSync(packed))).toBe(e.sha256);
      }
    });
  }

  test("dist/SHA256SUMS lists every binary with its sha256 (sha256sum format)", () => {
    const lines = fs.readFileSync(path.join(rel.dir, "SHA256SUMS"), "utf8").trim().split("\n");
    expect(lines.map((l) => l.split("  ")[1]).sort()).toEqual(TARGETS.map((t) => t.file).sort());
    for (const line of lines) {
      const [hex, file] = line.split("  ");
      expect(hex).toMatch(/^[0-9a-f]{64}$/);
      expect(sha256(fs.readFileSync(path.join(rel.dir, file!)))).toBe(hex!);
    }
  });

  test("macOS binaries: a valid ad-hoc signature (every page hash recomputed); a changed page is caught and re-signing fixes it", () => {
    for (const platform of ["darwin-arm64", "darwin-x64"]) {
      const bin = new Uint8Array(fs.readFileSync(rel.files[platform]!));
      const check = verifyCodeSignature(bin);
      expect(check.problems, platform).toEqual([]);
      expect(check).toMatchObject({ ok: true, adhoc: true, hashType: "sha256", pageSize: 4096 });
      expect(check.pages).toBe(Math.ceil(machOHeader(bin).codeSignature!.dataoff / 4096));
      // the embedded libduckdb.dylib keeps DuckDB's own (Apple-verified) signature
      const lib = embedded[platform]?.find((e) => e.name === "libduckdb.dylib");
      if (lib) expect(verifyCodeSignature(bin.subarray(lib.at, lib.at + lib.size)).ok).toBe(true);
      if (platform === "darwin-x64") {
        // negative control on a copy: one changed byte in the bundle's pages
        const broken = bin.slice();
        broken[4096 * 1000 + 7]! ^= 0xff;
        const bad = verifyCodeSignature(broken);
        expect(bad.ok).toBe(false);
        expect(bad.problems.join()).toContain("1 of");
        expect(verifyCodeSignature(adhocSign(broken, "dagx")).ok).toBe(true);
      }
    }
  });

  test("README states the measured minimum glibc and macOS", () => {
    const readme = fs.readFileSync(path.join(REPO, "README.md"), "utf8");
    const glibc = ["linux-x64", "linux-arm64"].map((p) => maxGlibcVersion(fs.readFileSync(rel.files[p]!))!);
    expect(glibc[0]).toBe(glibc[1]!);
    expect(readme.includes(`glibc ${glibc[0]} or newer`), `README states glibc ${glibc[0]}`).toBe(true);
    const minos = ["darwin-arm64", "darwin-x64"].flatMap((p) => {
      const bin = fs.readFileSync(rel.files[p]!);
      return [machOHeader(bin).minos!, ...embedded[p]!.map((e) => machOHeader(bin.subarray(e.at, e.at + 4096)).minos!)];
    });
    const max = minos.sort((a, b) => Bun.semver.order(`${a}.0`, `${b}.0`)).at(-1)!;
    expect(readme.includes(`macOS ${max.replace(/\.0$/, "")} `), `README states macOS ${max}`).toBe(true);
  });
});

const arm64 = arm64Runner();
if ("skip" in arm64) console.warn(`\n*** SKIPPED: linux-arm64 binary not run: ${arm64.skip} ***\n`);

describe("linux-arm64 under qemu", () => {
  test.skipIf("skip" in arm64)(
    "init + materialize + query on a temp project",
    async () => {
      const prefix = "prefix" in arm64 ? arm64.prefix : [];
      const work = path.join(tmp, "arm64");
      fs.mkdirSync(work, { recursive: true });
      const env: Record<string, string | undefined> = { ...process.env, XDG_CACHE_HOME: path.join(work, "cache"), NO_COLOR: "1" };
      delete env.DAGX_DUCKDB_DIR;
      const dagx = async (cwd: string, args: string[]) => {
        const p = Bun.spawn([...prefix, rel.files["linux-arm64"]!, ...args], { cwd, env, stdout: "pipe", stderr: "pipe" });
        const [stdout, stderr, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
        expect(code, `dagx ${args.join(" ")}\n${stderr}`).toBe(0);
        return stdout + stderr;
      };
      expect(await dagx(work, ["--version"])).toContain("linux-arm64");
      await dagx(work, ["init", "p"]);
      const project = path.join(work, "p");
      expect(await dagx(project, ["materialize", "*"])).toContain("success");
      const out = await dagx(project, ["query", "--json", "select count(*) as n from daily_revenue"]);
      expect(out).toMatch(/"n":\s*\d+/);
    },
    240_000,
  );
});
