// What the compiled binary does to keep its memory small (issue 12, target 1; bench/memory.bench.ts):
// the embedded DuckDB's allocator options are in the C environment before DuckDB allocates.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { closeSync, existsSync, fdatasyncSync, mkdtempSync, openSync, readFileSync } from "node:fs";
import { dlopen, FFIType } from "bun:ffi";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DUCKDB_MALLOC_CONF, DUCKDB_MALLOC_CONF_ENV, DUCKDB_OVERSIZE_BYTES, DUCKDB_WORK_DECAY_MS } from "../../io/platform/allocator.ts";
import { hostBinary } from "../support/binary.ts";
import { dagx, makeProject, removeProject } from "./helpers.ts";

let tmp: string;
let bin: string;

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), "dagx-binmem-"));
  bin = await hostBinary(tmp);
}, 120_000);

afterAll(() => {
  if (tmp) removeProject(tmp);
});

// An asset that reads the variable the way DuckDB's jemalloc does: libc's getenv, not process.env.
const GETENV = `import { asset } from "dagx";
import { dlopen, FFIType } from "bun:ffi";
export const conf = asset(async (ctx) => {
  await ctx.sql\`SELECT 1 AS x\`; // DuckDB loaded and allocating
  const libc = dlopen("libc.so.6", { getenv: { args: [FFIType.cstring], returns: FFIType.cstring } });
  const v = libc.symbols.getenv(Buffer.from("${DUCKDB_MALLOC_CONF_ENV}\\0"));
  return { c: v === null ? null : String(v), js: process.env.${DUCKDB_MALLOC_CONF_ENV} ?? null };
});
`;

describe.if(process.platform === "linux")("compiled binary: DuckDB's allocator", () => {
  test("jemalloc's options are in the C environment; process.env is left as the user's", async () => {
    const dir = makeProject({ "conf.asset.ts": GETENV });
    try {
      const r = await dagx(dir, ["materialize"], { bin });
      expect(r.stderr).not.toContain("error");
      expect(r.code).toBe(0);
      const own = process.env[DUCKDB_MALLOC_CONF_ENV];
      const got = JSON.parse(readFileSync(join(dir, ".dagx/data/conf/value.json"), "utf8"));
      expect(got).toEqual(own === undefined ? { c: DUCKDB_MALLOC_CONF, js: null } : { c: own, js: own });
    } finally {
      removeProject(dir);
    }
  }, 60_000);

  test("a value the user set wins", async () => {
    const dir = makeProject({ "conf.asset.ts": GETENV });
    try {
      const r = await dagx(dir, ["materialize"], { bin, env: { [DUCKDB_MALLOC_CONF_ENV]: "dirty_decay_ms:500" } });
      expect(r.code).toBe(0);
      expect(JSON.parse(readFileSync(join(dir, ".dagx/data/conf/value.json"), "utf8"))).toEqual({ c: "dirty_decay_ms:500", js: "dirty_decay_ms:500" });
    } finally {
      removeProject(dir);
    }
  }, 60_000);
});

// An asset that reads jemalloc's default decay from the DuckDB library this process loaded.
const decayAsset = (sql: boolean) => `import { asset } from "dagx";
import { readFileSync } from "node:fs";
import { dlopen, FFIType, ptr } from "bun:ffi";
${sql ? "export const t = asset((ctx) => ctx.sql`SELECT 1 AS x`); // stored (run by the run's DuckDB) before decay runs" : ""}
export const decay = asset({ deps: [${sql ? "t" : ""}] }, () => {
  const lib = /\\S*libduckdb\\.so\\S*/.exec(readFileSync("/proc/self/maps", "utf8"))![0];
  const { symbols } = dlopen(lib, { duckdb_je_mallctl: { args: [FFIType.cstring, FFIType.ptr, FFIType.ptr, FFIType.ptr, FFIType.u64], returns: FFIType.i32 } });
  const v = new BigInt64Array(1), len = new BigUint64Array([8n]);
  const rc = symbols.duckdb_je_mallctl(Buffer.from("arenas.dirty_decay_ms\\0"), ptr(v), ptr(len), null, 0);
  return { rc, ms: Number(v[0]) };
});
`;

describe.if(process.platform === "linux" && process.env[DUCKDB_MALLOC_CONF_ENV] === undefined)("compiled binary: DuckDB's allocator decay by kind of run", () => {
  for (const [sql, ms] of [[false, 0], [true, DUCKDB_WORK_DECAY_MS]] as const) {
    test(`${sql ? "a run with its own DuckDB (ctx.sql) keeps freed pages for reuse" : "a JSON-only run returns freed pages at once"}: decay ${ms} ms`, async () => {
      const dir = makeProject({ "decay.asset.ts": decayAsset(sql) });
      try {
        const r = await dagx(dir, ["materialize"], { bin });
        expect(r.stderr).not.toContain("error");
        expect(r.code).toBe(0);
        expect(JSON.parse(readFileSync(join(dir, ".dagx/data/decay/value.json"), "utf8"))).toEqual({ rc: 0, ms });
      } finally {
        removeProject(dir);
      }
    }, 60_000);
  }
});


// Big allocations (≥ DUCKDB_OVERSIZE_BYTES) go to jemalloc's oversize arena, which returns them at
// once, also while the run's DuckDB keeps the rest for DUCKDB_WORK_DECAY_MS. `pre` creates that
// arena before the run's DuckDB switches the decay (a JSON step, so decay 0 then); the switch
// must leave it alone (it used to set every arena, this one included, to 1 s).
const OVERSIZE = `import { asset } from "dagx";
import { readFileSync } from "node:fs";
import { dlopen, FFIType, ptr } from "bun:ffi";
const je = () => {
  const lib = /\\S*libduckdb\\.so\\S*/.exec(readFileSync("/proc/self/maps", "utf8"))![0];
  return dlopen(lib, {
    duckdb_je_mallctl: { args: [FFIType.cstring, FFIType.ptr, FFIType.ptr, FFIType.ptr, FFIType.u64], returns: FFIType.i32 },
    duckdb_je_malloc: { args: [FFIType.u64], returns: FFIType.ptr },
    duckdb_je_free: { args: [FFIType.ptr], returns: FFIType.void },
  }).symbols;
};
const read = (name: string, bytes: 4 | 8) => {
  const v = new BigInt64Array(1), len = new BigUint64Array([BigInt(bytes)]);
  const rc = je().duckdb_je_mallctl(Buffer.from(name + "\\0"), ptr(v), ptr(len), null, 0);
  return rc !== 0 ? "rc" + rc : bytes === 4 ? new Int32Array(v.buffer)[0] : Number(v[0]);
};
export const pre = asset(() => {
  const p = je().duckdb_je_malloc(32 << 20); // above the threshold: creates the oversize arena now
  je().duckdb_je_free(p);
  return 1;
});
export const t = asset({ deps: [pre] }, (ctx) => ctx.sql\`SELECT 1 AS x\`);
export const probe = asset({ deps: [t] }, () => {
  const huge = read("opt.narenas", 4) as number; // the oversize arena's index: right after the automatic ones
  return {
    threshold: read("opt.oversize_threshold", 8),
    work: read("arenas.dirty_decay_ms", 8),
    auto0: read("arena.0.dirty_decay_ms", 8),
    huge: [read("arena." + huge + ".dirty_decay_ms", 8), read("arena." + huge + ".muzzy_decay_ms", 8)],
  };
});
`;

describe.if(process.platform === "linux" && process.env[DUCKDB_MALLOC_CONF_ENV] === undefined)("compiled binary: DuckDB's oversize arena", () => {
  test("big allocations are returned at once, also after the run's DuckDB switched the other arenas to its decay", async () => {
    const dir = makeProject({ "oversize.asset.ts": OVERSIZE });
    try {
      const r = await dagx(dir, ["materialize"], { bin });
      expect(r.stderr).not.toContain("error");
      expect(r.code).toBe(0);
      const got = JSON.parse(readFileSync(join(dir, ".dagx/data/probe/value.json"), "utf8"));
      expect(got).toEqual({ threshold: DUCKDB_OVERSIZE_BYTES, work: DUCKDB_WORK_DECAY_MS, auto0: DUCKDB_WORK_DECAY_MS, huge: [0, 0] });
    } finally {
      removeProject(dir);
    }
  }, 60_000);
});

// Drop `file`'s pages from the page cache the way the fix does it, from the test's side: the reference.
function dropCache(file: string): void {
  const libc = dlopen("libc.so.6", { posix_fadvise: { args: [FFIType.i32, FFIType.i64, FFIType.i64, FFIType.i32], returns: FFIType.i32 } });
  const fd = openSync(file, "r");
  try {
    fdatasyncSync(fd);
    expect(libc.symbols.posix_fadvise(fd, 0, 0, 4)).toBe(0); // POSIX_FADV_DONTNEED
  } finally {
    closeSync(fd);
    libc.close();
  }
}

async function peakKB(dir: string, env: Record<string, string>): Promise<number> {
  const report = join(dir, ".time");
  const p = Bun.spawn(["/usr/bin/time", "-o", report, "-f", "%M", bin, "materialize"], { cwd: dir, env: { ...process.env, ...env, NO_COLOR: "1" }, stdout: "ignore", stderr: "pipe" });
  const [stderr, code] = await Promise.all([new Response(p.stderr).text(), p.exited]);
  expect(stderr).not.toContain("error");
  expect(code).toBe(0);
  return Number(readFileSync(report, "utf8").trim().split("\n").at(-1));
}

// A file just written sits in the page cache in large folios, and a process that maps it gets whole
// folios into its RSS, touched or not: a freshly extracted libduckdb.so added ~18 MB to every dagx
// run until the kernel evicted it. The extraction drops its own writes from the cache.
describe.if(process.platform === "linux" && existsSync("/usr/bin/time"))("compiled binary: the extracted DuckDB library", () => {
  test("a fresh extraction costs later runs no more memory than a library read back from disk", async () => {
    const dir = makeProject({ "a.asset.ts": `import { asset } from "dagx";\nexport const a = asset(() => 1);\n` });
    const duckdbDir = mkdtempSync(join(tmpdir(), "dagx-binmem-duckdb-"));
    try {
      const env = { DAGX_DUCKDB_DIR: duckdbDir };
      await peakKB(dir, env); // extracts the library and creates the state
      const afterExtraction = Math.min(await peakKB(dir, env), await peakKB(dir, env));
      dropCache(join(duckdbDir, "libduckdb.so"));
      await peakKB(dir, env); // read back from disk
      const settled = Math.min(await peakKB(dir, env), await peakKB(dir, env));
      expect((afterExtraction - settled) / 1024).toBeLessThan(6);
    } finally {
      removeProject(dir);
      removeProject(duckdbDir);
    }
  }, 120_000);
});
