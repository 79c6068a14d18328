// What the compiled binary does to keep its memory small (issue 12, target 1; bench/memory.bench.ts):
// the embedded DuckDB's allocator options are in the C environment before DuckDB allocates.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync } from "node:fs";
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
