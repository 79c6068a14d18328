/**
 * `dagx status` end to end on an asset with ~1,000,000 partitions (DESIGN §10: "status of an asset
 * with 1,000,000 partitions < 500 ms").
 *
 *   bun bench/status-1m.bench.ts [--runs N] [--sizes 10000,100000,1000000] [--upstream-sizes 100000,1000000]
 *     [--partitioned-sizes 10000,100000,1000000] [--mappings hourly,daily,all] [--base path/to/other/dagx] [--keep]
 *
 * For each size N, a temp project outside the repo holds one asset
 * `hourly({ start: <N hours before this hour> })`, so its space has ~N partitions. One real
 * `dagx materialize events --partitions latest` creates and migrates `.dagx/state.duckdb` and
 * yields the asset's code version and the storage path pattern; then a child process replaces
 * that row with N − 40 materialized partitions written with DuckDB SQL (`INSERT … SELECT … FROM
 * range()` into `materializations` and `latest_materializations`, consecutive ordinals =
 * hours since the epoch, with 4 gaps of 10 hours), plus newer failures of a few materialized
 * partitions and a few failed-never-materialized ones (`latest_failures`).
 *
 * Timed, each sample a fresh process of the compiled binary, interleaved round by round:
 * `dagx status --json` and `dagx status` (human), wall and CPU time; then, in 3 separate runs per
 * case, the process's peak RSS (`/usr/bin/time -f %M`, or VmHWM polled from /proc). The RSS of the three sizes shows whether
 * memory grows per partition. The same asset with an unpartitioned upstream `src` (`deps`, all
 * partitions fresh) is measured at 100,000 and 1,000,000 partitions (every partition compared
 * with src's version). With a partitioned upstream `src`
 * (hourly, identity; daily, timeWindow(): each hour reads its day), at 10,000, 100,000 and
 * 1,000,000: every partition is compared with its upstream (the state store's query per edge),
 * and 2 upstream partitions (changedOf) hold newer data, so status names the stale hours. With an
 * hourly `src` read through `allPartitions()` ("all"), every hour recorded src's whole-asset version
 * (from its content fingerprint) but the 2 changedOf hours, which recorded an older one. `--keep`
 * only prepares the states and prints their folders (for profiling; nothing is removed). A child
 * `bun` process then runs the status code path from the sources with a timed state store, to show what dominates.
 */
import { DuckDBInstance } from "@duckdb/node-api";
import { hashText } from "../io/storage/index.ts";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import {
  BUN, cliEnv, ensureBinary, type Figures, lastJsonLine, machineFigures, makeTempProject, median, printFigures, printTargets, removeDir,
  round, statFigures, type Target, timedStore,
} from "./_util.ts";

export const targets: Target[] = [
  { figure: "1m.statusJson.median", label: "`dagx status --json`, ~1,000,000 hourly partitions (binary)", op: "<", value: 500, unit: "ms" },
  { figure: "1m.statusHuman.median", label: "`dagx status`, ~1,000,000 hourly partitions (binary)", op: "<", value: 500, unit: "ms" },
  { figure: "1m-hourlyUpstream.statusJson.median", label: "`dagx status --json`, 1,000,000 hourly partitions each compared with an hourly upstream (binary)", op: "<", value: 500, unit: "ms" },
  { figure: "1m-dailyUpstream.statusJson.median", label: "`dagx status --json`, 1,000,000 hourly partitions each compared with its day upstream (binary)", op: "<", value: 500, unit: "ms" },
];

const HOUR = 3_600_000;
const ASSET = "events";
/** Materialized indices left out: 4 gaps of 10 hours per 1,000,000 (1 per 250,000). */
const GAP = (i: string) => `((${i}) % 250000) BETWEEN 1000 AND 1009`;
/** Materialized partitions with a newer failure (every 100,003rd, offset 5). */
const FAILED_AFTER = (i: string) => `((${i}) % 100003) = 5`;
/** Never-materialized partitions that failed: the first 3 of each gap. */
const FAILED_ONLY = (i: string) => `((${i}) % 250000) BETWEEN 1000 AND 1002`;

const SIZE_NAMES: Record<number, string> = { 10_000: "10k", 100_000: "100k", 1_000_000: "1m" };
const sizeName = (n: number) => SIZE_NAMES[n] ?? String(n);

/** `YYYY-MM-DD-HH:00` of an epoch ms (UTC). */
function hourKey(ms: number): string {
  const iso = new Date(ms).toISOString();
  return `${iso.slice(0, 10)}-${iso.slice(11, 13)}:00`;
}

/**
 * The upstream of the hourly asset: none, an unpartitioned `src` (through `deps`), or a partitioned
 * `src` compared partition by partition: hourly (identity: the same hour) or daily (timeWindow():
 * each hour reads its day).
 */
type Upstream = "none" | "plain" | "hourly" | "daily" | "all";

/** The project: the hourly asset and its upstream `src`. */
function assetFile(start: string, upstream: Upstream): string {
  const src = {
    none: "",
    plain: "export const src = asset(() => ({ v: 1 }));\n",
    hourly: `export const src = asset({ partitions: hourly({ start: "${start}" }) }, (ctx) => ({ hour: ctx.partition!.key }));\n`,
    daily: `export const src = asset({ partitions: daily({ start: "${start.slice(0, 10)}", endOffset: 1 }) }, (ctx) => ({ day: ctx.partition!.key }));\n`,
    all: `export const src = asset({ partitions: hourly({ start: "${start}" }) }, (ctx) => ({ hour: ctx.partition!.key }));\n`,
  }[upstream];
  const deps = {
    none: "",
    plain: "deps: [src], ",
    hourly: "deps: [src], ",
    daily: "deps: [src], mappings: { src: timeWindow() }, ",
    all: "deps: [src], mappings: { src: allPartitions() }, ",
  }[upstream];
  return `import { allPartitions, asset, daily, hourly, timeWindow } from "dagx";\n\n${src}export const ${ASSET} = asset({ ${deps}partitions: hourly({ start: "${start}" }) }, (ctx) => ({ hour: ctx.partition!.key }));\n`;
}

/** Upstream partitions re-materialized with new data after the asset read them (hourly: these hours; daily: their days). */
const changedOf = (total: number) => [Math.floor(total / 4) + 7, Math.floor((3 * total) / 4) + 7];

/** What the child builder needs, from the real materialization and the status of the empty space. */
interface BuildSpec {
  file: string;
  upstream: Upstream;
  total: number;
  lastOrdinal: number;
  lastKey: string;
  /** The code version of the rows built (default: the real materialization's). */
  codeVersion?: string;
  /** Build latest rows as a state from before migration 9 holds them (no `input_map`: read from the JSON text). */
  legacy?: boolean;
}

interface BuildReport {
  materialized: number;
  failedAfter: number;
  failedOnly: number;
  firstKey: string;
  lastKey: string;
}

/** Child process: replace the asset's rows with `total` hourly partitions (minus gaps) and failures. */
async function build(spec: BuildSpec): Promise<BuildReport> {
  const instance = await DuckDBInstance.create(spec.file);
  const conn = await instance.connect();
  const one = async <T>(sql: string) => (await conn.runAndReadAll(sql)).getRowObjectsJS()[0] as T;
  const real = await one<{ run_id: string; ts: bigint; code_version: string; input_versions: string; path: string; format: string; partition_key: string; ordinal: bigint }>(
    `SELECT * FROM latest_materializations WHERE asset_key = '${ASSET}'`,
  );
  if (Number(real.ordinal) !== spec.lastOrdinal || real.partition_key !== spec.lastKey) {
    throw new Error(`unexpected real row: ${real.partition_key} / ordinal ${real.ordinal}, expected ${spec.lastKey} / ${spec.lastOrdinal}`);
  }
  // The stored path of the latest partition, with its key as a placeholder (keys hold ':' → %3A).
  // a file of a build before migration 9 (the base of an A/B) has no input_map: its latest rows are built without it
  const hasMap = Number((await one<{ n: bigint }>("SELECT count(*) AS n FROM duckdb_columns() WHERE table_name = 'latest_materializations' AND column_name = 'input_map'")).n) > 0;
  if (!hasMap) spec.legacy = true;
  const encodedLast = encodeURIComponent(spec.lastKey);
  if (!real.path.includes(encodedLast)) throw new Error(`cannot find ${encodedLast} in the stored path ${real.path}`);
  const [pre, post] = [real.path.slice(0, real.path.indexOf(encodedLast)), real.path.slice(real.path.indexOf(encodedLast) + encodedLast.length)];
  const first = spec.lastOrdinal - spec.total + 1;
  const key = `strftime(make_timestamp((${first} + i) * ${HOUR * 1000}), '%Y-%m-%d-%H:%M')`;
  const ts = `${Number(real.ts)} - (${spec.total} - i) * 1000`;
  // input versions as the real partition recorded them (the upstream's data version, if any): every partition fresh;
  // of a partitioned upstream, the data version of the hour (day) it reads, which src rows below hold (but for changedOf)
  const day = `floor((${first} + i) / 24)::BIGINT`; // floor: the 1M range starts before the epoch
  const inputs = {
    none: `'${real.input_versions.replaceAll("'", "''")}'`,
    plain: `'${real.input_versions.replaceAll("'", "''")}'`,
    hourly: `'{"src":"u' || (${first} + i) || '"}'`,
    daily: `'{"src":"u' || ${day} || '"}'`,
    all: `'{"src":"old"}'`, // set below, once src's rows (and so its fingerprint) exist
  }[spec.upstream];
  // latest rows also carry input_map (migration 9): the same versions as a MAP, or NULL as rows from before it (`legacy`)
  const quoted = (text: string) => `'${text.replaceAll("'", "''")}'`;
  const realInputs = Object.entries(JSON.parse(real.input_versions) as Record<string, string>);
  const map = (vs: string) => (spec.legacy ? "NULL" : `MAP(['src'], [${vs}])`);
  const inputMap = {
    none: spec.legacy ? "NULL" : `MAP([${realInputs.map(([k]) => quoted(k)).join(", ")}]::VARCHAR[], [${realInputs.map(([, v]) => quoted(v)).join(", ")}]::VARCHAR[])`,
    plain: "",
    hourly: map(`'u' || (${first} + i)`),
    daily: map(`'u' || ${day}`),
    all: map("'old'"),
  };
  inputMap.plain = inputMap.none;
  const rows = (latest: boolean) => `SELECT '${ASSET}', ${key}, '${real.run_id}', ${ts}, 'dv' || i, '${spec.codeVersion ?? real.code_version}', ${inputs},
      '${pre}' || replace(${key}, ':', '%3A') || '${post}', '${real.format}', NULL, 16, NULL, NULL, ${first} + i, NULL${latest && hasMap ? `, ${inputMap[spec.upstream]}` : ""}
    FROM range(${spec.total}) t(i) WHERE NOT ${GAP("i")}`;
  await conn.run("BEGIN TRANSACTION");
  for (const table of ["latest_materializations", "materializations"]) {
    await conn.run(`DELETE FROM ${table} WHERE asset_key = '${ASSET}'`);
    await conn.run(`INSERT INTO ${table} ${rows(table === "latest_materializations")}`);
  }
  if (spec.upstream === "hourly" || spec.upstream === "daily" || spec.upstream === "all") {
    const src = await one<{ code_version: string; run_id: string }>("SELECT code_version, run_id FROM latest_materializations WHERE asset_key = 'src'");
    const hourly = spec.upstream !== "daily";
    const [lo, n] = hourly ? [first, spec.total] : [Math.floor(first / 24), Math.floor(spec.lastOrdinal / 24) - Math.floor(first / 24) + 1];
    const ukey = hourly ? `strftime(make_timestamp(o * ${HOUR * 1000}), '%Y-%m-%d-%H:%M')` : `strftime(make_timestamp(o * ${24 * HOUR * 1000}), '%Y-%m-%d')`;
    // all: no upstream partition changes; the reads of changedOf's hours recorded an older fingerprint
    const changed = spec.upstream === "all" ? [] : changedOf(spec.total).map((c) => (hourly ? first + c : Math.floor((first + c) / 24)));
    const dv = changed.length ? `CASE WHEN o IN (${changed.join(", ")}) THEN 'new' ELSE 'u' || o END` : "'u' || o";
    const srcRows = (latest: boolean) => `SELECT 'src', ${ukey}, '${src.run_id}', ${Number(real.ts)} - 5000, ${dv}, '${src.code_version}', '{}', 'src/' || o, 'json', NULL, 16, NULL, NULL, o, NULL
      ${latest && hasMap ? `, ${spec.legacy ? "NULL" : "MAP([]::VARCHAR[], []::VARCHAR[])"}` : ""} FROM (SELECT ${lo} + j AS o FROM range(${n}) t(j))`;
    for (const table of ["latest_materializations", "materializations"]) {
      await conn.run(`DELETE FROM ${table} WHERE asset_key = 'src'`);
      await conn.run(`INSERT INTO ${table} ${srcRows(table === "latest_materializations")}`);
    }
    if (spec.upstream === "all") {
      // what an all-partitions reader records (core/status/versions.ts wholeAssetVersion over the summary's fingerprint)
      const fp = await one<{ fp: string }>(
        "SELECT count(*)::VARCHAR || ':' || coalesce(bit_xor(hash(partition_key || '=' || data_version)), 0)::VARCHAR AS fp FROM latest_materializations WHERE asset_key = 'src' AND partition_key <> ''",
      );
      const version = hashText(`all:${fp.fp}`);
      const stale = changedOf(spec.total).map((c) => first + c);
      for (const table of ["latest_materializations", "materializations"]) {
        const alsoMap = table === "latest_materializations" && !spec.legacy ? `, input_map = MAP(['src'], ['${version}'])` : "";
        await conn.run(`UPDATE ${table} SET input_versions = '{"src":"${version}"}'${alsoMap} WHERE asset_key = '${ASSET}' AND ordinal NOT IN (${stale.join(", ")})`);
      }
    }
  }
  await conn.run(`DELETE FROM latest_failures WHERE asset_key = '${ASSET}'`);
  await conn.run(`INSERT INTO latest_failures
    SELECT '${ASSET}', ${key}, 'run-failed', ${Number(real.ts)} + 1000, 'boom', ${first} + i
    FROM range(${spec.total}) t(i) WHERE (${FAILED_AFTER("i")} AND NOT ${GAP("i")}) OR ${FAILED_ONLY("i")}`);
  await conn.run("COMMIT");
  const count = async (where: string) => Number((await one<{ n: bigint }>(`SELECT count(*) AS n FROM range(${spec.total}) t(i) WHERE ${where}`)).n);
  const check = await one<{ n: bigint; lo: string; hi: string }>(
    `SELECT count(*) AS n, min(partition_key) AS lo, max(partition_key) AS hi FROM latest_materializations WHERE asset_key = '${ASSET}'`,
  );
  const report: BuildReport = {
    materialized: Number(check.n),
    failedAfter: await count(`${FAILED_AFTER("i")} AND NOT ${GAP("i")}`),
    failedOnly: await count(FAILED_ONLY("i")),
    firstKey: check.lo,
    lastKey: check.hi,
  };
  if (report.lastKey !== spec.lastKey) throw new Error(`built keys end at ${report.lastKey}, expected ${spec.lastKey}`);
  conn.closeSync();
  instance.closeSync();
  return report;
}

/** One timed child process: wall ms and CPU ms, stdout sent to a file (big JSON). */
async function spawnMeasured(cmd: string[], cwd: string, stdoutFile: string): Promise<{ ms: number; cpuMs: number; code: number; stdout: string; stderr: string }> {
  fs.rmSync(stdoutFile, { force: true });
  const t0 = performance.now();
  const proc = Bun.spawn(cmd, { cwd, env: cliEnv(), stdout: Bun.file(stdoutFile), stderr: "pipe", stdin: "ignore" });
  const [stderr, code] = await Promise.all([new Response(proc.stderr).text(), proc.exited]);
  const ms = performance.now() - t0;
  const usage = proc.resourceUsage();
  const cpuMs = usage ? Number(usage.cpuTime.total) / 1000 : Number.NaN;
  const stdout = fs.readFileSync(stdoutFile, "utf8");
  if (code !== 0) throw new Error(`\`${cmd.map((c) => path.basename(c)).join(" ")}\` exited with ${code}\n${stderr}\n${stdout.slice(0, 2000)}`);
  return { ms, cpuMs, code, stdout, stderr };
}

const TIME = "/usr/bin/time";

/**
 * Peak RSS (MB) of one run of `cmd`, in separate untimed runs: `/usr/bin/time -f %M` when installed,
 * else the last VmHWM read from /proc/<pid>/status while it runs. (Bun's `resourceUsage().maxRSS`
 * is not used: after `Bun.build` in this process, as `ensureBinary` may do, it reported the
 * build's peak for every later child.)
 */
async function peakRssMB(cmd: string[], cwd: string): Promise<number> {
  if (fs.existsSync(TIME)) {
    const file = path.join(os.tmpdir(), `dagx-bench-status-rss-${process.pid}.txt`);
    try {
      const proc = Bun.spawn([TIME, "-f", "%M", "-o", file, ...cmd], { cwd, env: cliEnv(), stdout: "ignore", stderr: "ignore", stdin: "ignore" });
      if ((await proc.exited) !== 0) throw new Error(`${cmd.join(" ")} failed under ${TIME}`);
      return Number(fs.readFileSync(file, "utf8").trim().split("\n").at(-1)) / 1024;
    } finally {
      fs.rmSync(file, { force: true });
    }
  }
  const proc = Bun.spawn(cmd, { cwd, env: cliEnv(), stdout: "ignore", stderr: "ignore", stdin: "ignore" });
  let hwmKB = 0;
  let done = false;
  void proc.exited.then(() => (done = true));
  while (!done) {
    try {
      const m = /VmHWM:\s+(\d+)/.exec(fs.readFileSync(`/proc/${proc.pid}/status`, "utf8"));
      if (m) hwmKB = Math.max(hwmKB, Number(m[1]));
    } catch {
      // exited between the check and the read
    }
    await Bun.sleep(1);
  }
  return hwmKB / 1024;
}

interface StatusJson {
  key: string;
  status: string;
  partitions?: { total: number; materialized: number; missing: number; failed: number; stale: number; ranges: { materialized: string; failed: string } };
  lastMaterialization: { partition: string | null } | null;
}

/** Phases of the status code path in a fresh `bun` process from the sources (ms). */
export interface Phases {
  load: number;
  /** readAssetState as a whole (state reads + per-partition status). */
  readState: number;
  /** Rendering the JSON (formatRanges of the sets included). */
  render: number;
  /** State store calls: count and in-flight ms per method (readAssetState starts them together, so they overlap). */
  store: Record<string, { count: number; ms: number }>;
  rssMB: number;
  heapMB: number;
}

async function phasesChild(dir: string): Promise<void> {
  const [{ loadProject }, { createDuckDBStateStore }, { readAssetState }, { formatRanges }] = await Promise.all([
    import("../io/project/project.ts"),
    import("../io/state/duckdb-store.ts"),
    import("../io/status/asset-state.ts"),
    import("../core/partitions/index.ts"),
  ]);
  const t0 = performance.now();
  const project = await loadProject(dir, { exactRoot: true, now: () => performance.now() });
  const t1 = performance.now();
  const { store, timings } = timedStore(createDuckDBStateStore(project.storage.statePath));
  const st = await readAssetState(project.graph, project.storage, store, { now: Date.now(), perPartition: true });
  const t2 = performance.now();
  const ps = st.partitionStatuses.get(ASSET)!;
  const text = JSON.stringify({
    total: ps.total,
    materialized: formatRanges(ps.materialized, ps.space, { maxRanges: 20 }),
    failed: formatRanges(ps.failed, ps.space, { maxRanges: 20 }),
    stale: formatRanges(ps.stale, ps.space, { maxRanges: 20 }),
    causes: ps.causes,
  });
  const t3 = performance.now();
  await store.close();
  if (text.length === 0) throw new Error("empty render");
  const phases: Phases = {
    load: t1 - t0,
    readState: t2 - t1,
    render: t3 - t2,
    store: timings.calls,
    rssMB: process.memoryUsage.rss() / 1024 ** 2,
    heapMB: process.memoryUsage().heapUsed / 1024 ** 2,
  };
  console.log(JSON.stringify(phases));
}

interface Prepared {
  n: number;
  upstream: Upstream;
  name: string;
  dir: string;
  /** The same state prepared by the base binary (`--base`): a base older than migration 9 cannot open this binary's state. */
  baseDir?: string;
  total: number;
  lastOrdinal: number;
  build: BuildReport;
  buildMs: number;
  stateMB: number;
}

/** Temp project with ~n hourly partitions, state filled by the child builder. */
async function prepare(n: number, upstream: Upstream, bin: string, out: string, legacy = false): Promise<Prepared> {
  const name = `${sizeName(n)}${{ none: "", plain: "-upstream", hourly: "-hourlyUpstream", daily: "-dailyUpstream", all: "-allUpstream" }[upstream]}`;
  const lastFull = Math.floor(Date.now() / HOUR) * HOUR - HOUR; // the latest complete hour
  const start = hourKey(lastFull - (n - 1) * HOUR);
  const dir = makeTempProject({ "events.asset.ts": assetFile(start, upstream) }, `dagx-bench-status-${name}-`);
  try {
    // all: the one real materialization of events needs every src partition, so it runs with identity;
    // the rows built get the code version of the allPartitions() definition (the mapping is part of it)
    let codeVersion: string | undefined;
    if (upstream === "all") {
      const list = JSON.parse((await spawnMeasured([bin, "list", "--json"], dir, out)).stdout) as { key: string; codeVersion: string }[];
      codeVersion = list.find((a) => a.key === ASSET)!.codeVersion;
      fs.writeFileSync(path.join(dir, "events.asset.ts"), assetFile(start, "hourly"));
    }
    const filled = await fill(dir, n, upstream, name, bin, out, codeVersion, legacy);
    if (upstream === "all") fs.writeFileSync(path.join(dir, "events.asset.ts"), assetFile(start, upstream));
    return filled;
  } catch (e) {
    removeDir(dir);
    throw e;
  }
}

async function fill(dir: string, n: number, upstream: Upstream, name: string, bin: string, out: string, codeVersion?: string, legacy = false): Promise<Prepared> {
  const t0 = performance.now();
  if (upstream === "plain") await spawnMeasured([bin, "materialize", "src"], dir, out);
  if (upstream === "hourly" || upstream === "daily" || upstream === "all") await spawnMeasured([bin, "materialize", "src", "--partitions", "latest"], dir, out);
  const real = JSON.parse((await spawnMeasured([bin, "materialize", ASSET, "--partitions", "latest", "--json"], dir, out)).stdout) as { status: string; steps: { partition: string }[] };
  if (real.status !== "success" || real.steps.length !== 1) throw new Error(`materialize latest: ${JSON.stringify(real)}`);
  const lastKey = real.steps[0]!.partition;
  const empty = (JSON.parse((await spawnMeasured([bin, "status", "--json"], dir, out)).stdout) as StatusJson[]).find((x) => x.key === ASSET)!;
  const total = empty.partitions!.total;
  const lastOrdinal = Math.floor(Date.parse(`${lastKey.slice(0, 10)}T${lastKey.slice(11)}:00Z`) / HOUR);
  const spec: BuildSpec = { file: path.join(dir, ".dagx", "state.duckdb"), upstream, total, lastOrdinal, lastKey, codeVersion, legacy };
  const child = Bun.spawnSync([BUN, import.meta.path, "--child-build", JSON.stringify(spec)], { stdout: "pipe", stderr: "pipe" });
  if (child.exitCode !== 0) throw new Error(`building the state failed (exit ${child.exitCode}): ${child.stderr.toString()}`);
  const build = lastJsonLine<BuildReport>(child.stdout.toString());
  return { n, upstream, name, dir, total, lastOrdinal, build, buildMs: performance.now() - t0, stateMB: fs.statSync(spec.file).size / 1024 ** 2 };
}

/** Materialized partitions that read a changed upstream partition: an hour each (hourly), or the materialized hours of its day (daily). */
function expectedStale(p: Prepared): number {
  const changed = changedOf(p.total);
  if (p.upstream === "hourly" || p.upstream === "all") return changed.filter((c) => !(c % 250_000 >= 1000 && c % 250_000 <= 1009)).length;
  if (p.upstream !== "daily") return 0;
  const first = p.lastOrdinal - p.total + 1;
  let n = 0;
  for (const c of changed) {
    const d = Math.floor((first + c) / 24);
    for (let o = d * 24; o < d * 24 + 24; o++) {
      const i = o - first;
      if (i >= 0 && i < p.total && !(i % 250_000 >= 1000 && i % 250_000 <= 1009)) n++;
    }
  }
  return n;
}

/** Check one `status --json` answer against what was built (a materialized partition with a newer failure counts in both). */
function checkJson(p: Prepared, stdout: string): void {
  const s = (JSON.parse(stdout) as StatusJson[]).find((x) => x.key === ASSET)!;
  const got = { status: s.status, total: s.partitions?.total, materialized: s.partitions?.materialized, failed: s.partitions?.failed, stale: s.partitions?.stale };
  const want = { status: "failed", total: p.total, materialized: p.build.materialized, failed: p.build.failedAfter + p.build.failedOnly, stale: expectedStale(p) };
  if (JSON.stringify(got) !== JSON.stringify(want)) throw new Error(`status --json of ${p.name}: got ${JSON.stringify(got)}, expected ${JSON.stringify(want)} (${JSON.stringify({ ranges: s.partitions?.ranges, causes: (s as { causes?: string[] }).causes })})`);
}

export async function run(options: { runs?: number; warmup?: number; sizes?: number[]; upstreamSizes?: number[]; partitionedSizes?: number[]; mappings?: ("hourly" | "daily" | "all")[]; base?: string; keep?: boolean; legacy?: boolean } = {}): Promise<Figures> {
  const runs = options.runs ?? 7;
  const warmup = options.warmup ?? 1;
  const sizes = options.sizes ?? [10_000, 100_000, 1_000_000];
  const upstreamSizes = options.upstreamSizes ?? [100_000, 1_000_000];
  // with a partitioned upstream (hourly: identity; daily: timeWindow()), every partition compared in SQL
  const partitionedSizes = options.partitionedSizes ?? [10_000, 100_000, 1_000_000];
  const bin = await ensureBinary();
  const out = path.join(os.tmpdir(), `dagx-bench-status-${process.pid}.out`);
  const prepared: Prepared[] = [];
  let kept = false;
  try {
    const both = async (n: number, upstream: Upstream) => {
      const p = await prepare(n, upstream, bin.path, out, options.legacy);
      prepared.push(p);
      if (options.base) p.baseDir = (await prepare(n, upstream, options.base, out)).dir;
    };
    for (const n of sizes) await both(n, "none");
    for (const n of upstreamSizes) await both(n, "plain");
    for (const kind of options.mappings ?? (["hourly", "daily", "all"] as const)) {
      for (const n of partitionedSizes) await both(n, kind);
    }
    if (options.keep) {
      // prepared states for profiling by hand; nothing timed, nothing removed
      console.log(JSON.stringify(prepared.map((p) => ({ name: p.name, dir: p.dir, baseDir: p.baseDir }))));
      kept = true;
      return {};
    }
    const samples = new Map<string, { ms: number[]; cpuMs: number[]; rssMB: number[] }>();
    const slot = (name: string) => samples.get(name) ?? samples.set(name, { ms: [], cpuMs: [], rssMB: [] }).get(name)!;
    const record = (name: string, r: { ms: number; cpuMs: number }) => {
      slot(name).ms.push(r.ms);
      slot(name).cpuMs.push(r.cpuMs);
    };
    for (let round_ = 0; round_ < warmup + runs; round_++) {
      for (const p of prepared) {
        const json = await spawnMeasured([bin.path, "status", "--json"], p.dir, out);
        checkJson(p, json.stdout);
        const human = await spawnMeasured([bin.path, "status"], p.dir, out);
        const parts = `${p.build.materialized.toLocaleString("en-US")}/${p.total.toLocaleString("en-US")} parts`;
        if (!`${human.stdout}${human.stderr}`.includes(parts)) throw new Error(`human status of ${p.name} lacks "${parts}":\n${human.stderr}${human.stdout}`);
        // A/B: the base binary right after, on its twin of the state (its answer is not checked: it may predate a fix)
        const base = options.base ? await spawnMeasured([options.base, "status", "--json"], p.baseDir!, out) : null;
        if (round_ < warmup) continue;
        if (base) record(`${p.name}.base.statusJson`, base);
        record(`${p.name}.statusJson`, json);
        record(`${p.name}.statusHuman`, human);
      }
    }
    // peak RSS, in separate runs (3 per case)
    for (let i = 0; i < 3; i++) {
      for (const p of prepared) {
        slot(`${p.name}.statusJson`).rssMB.push(await peakRssMB([bin.path, "status", "--json"], p.dir));
        slot(`${p.name}.statusHuman`).rssMB.push(await peakRssMB([bin.path, "status"], p.dir));
        if (options.base) slot(`${p.name}.base.statusJson`).rssMB.push(await peakRssMB([options.base, "status", "--json"], p.baseDir!));
      }
    }
    const figures: Figures = { ...machineFigures(), "binary.built": bin.built };
    for (const p of prepared) {
      const name = p.name;
      const phases: Phases[] = [];
      for (let i = 0; i < 3; i++) {
        const r = Bun.spawnSync([BUN, import.meta.path, "--child-phases", p.dir], { cwd: p.dir, env: cliEnv(), stdout: "pipe", stderr: "pipe" });
        if (r.exitCode !== 0) throw new Error(`status phases child failed: ${r.stderr.toString()}`);
        phases.push(lastJsonLine<Phases>(r.stdout.toString()));
      }
      const pm = (f: (x: Phases) => number) => round(median(phases.map(f)));
      Object.assign(figures, {
        [`${name}.partitions`]: p.total,
        [`${name}.materialized`]: p.build.materialized,
        [`${name}.failed`]: p.build.failedAfter + p.build.failedOnly,
        [`${name}.stateFileMB`]: round(p.stateMB),
        [`${name}.buildMs`]: round(p.buildMs),
      });
      const base = samples.get(`${name}.base.statusJson`);
      if (base) {
        const ratios = base.ms.map((b, i) => samples.get(`${name}.statusJson`)!.ms[i]! / b);
        Object.assign(figures, {
          ...statFigures(`${name}.base.statusJson`, base.ms), ...statFigures(`${name}.statusJson.pairRatio`, ratios, 3),
          [`${name}.base.statusJson.cpuMedian`]: round(median(base.cpuMs)), [`${name}.base.statusJson.peakRssMB`]: round(median(base.rssMB)),
        });
      }
      for (const kind of ["statusJson", "statusHuman"]) {
        const s = samples.get(`${name}.${kind}`)!;
        Object.assign(figures, {
          ...statFigures(`${name}.${kind}`, s.ms),
          [`${name}.${kind}.cpuMedian`]: round(median(s.cpuMs)),
          [`${name}.${kind}.peakRssMB`]: round(median(s.rssMB)),
          [`${name}.${kind}.peakRssMaxMB`]: round(Math.max(...s.rssMB)),
        });
      }
      Object.assign(figures, {
        [`${name}.phases.load`]: pm((x) => x.load),
        [`${name}.phases.readState`]: pm((x) => x.readState),
        [`${name}.phases.render`]: pm((x) => x.render),
        [`${name}.phases.store.markAbandoned.inFlight`]: pm((x) => x.store.markAbandoned?.ms ?? 0),
        [`${name}.phases.store.latestMaterializations.inFlight`]: pm((x) => x.store.latestMaterializations?.ms ?? 0),
        [`${name}.phases.store.latestFailures.inFlight`]: pm((x) => x.store.latestFailures?.ms ?? 0),
        [`${name}.phases.store.listDynamicPartitions.inFlight`]: pm((x) => x.store.listDynamicPartitions?.ms ?? 0),
        [`${name}.phases.store.partitionSummary.inFlight`]: pm((x) => x.store.partitionSummary?.ms ?? 0),
        [`${name}.phases.store.partitionSummary.count`]: pm((x) => x.store.partitionSummary?.count ?? 0),
        [`${name}.phases.store.changedPartitions.inFlight`]: pm((x) => x.store.changedPartitions?.ms ?? 0),
        [`${name}.phases.rssMB`]: pm((x) => x.rssMB),
        [`${name}.phases.heapMB`]: pm((x) => x.heapMB),
      });
    }
    return figures;
  } finally {
    if (!kept) for (const p of prepared) for (const d of [p.dir, p.baseDir]) if (d) removeDir(d);
    fs.rmSync(out, { force: true });
  }
}

if (import.meta.main && process.argv[2] === "--child-build") {
  console.log(JSON.stringify(await build(JSON.parse(process.argv[3]!) as BuildSpec)));
  process.exit(0);
} else if (import.meta.main && process.argv[2] === "--child-phases") {
  await phasesChild(process.argv[3]!);
  process.exit(0);
} else if (import.meta.main) {
  const arg = (name: string) => {
    const i = process.argv.indexOf(name);
    return i > 0 ? process.argv[i + 1] : undefined;
  };
  const figures = await run({
    runs: arg("--runs") ? Number(arg("--runs")) : undefined,
    warmup: arg("--warmup") ? Number(arg("--warmup")) : undefined,
    sizes: arg("--sizes")?.split(",").filter(Boolean).map(Number),
    upstreamSizes: arg("--upstream-sizes")?.split(",").filter(Boolean).map(Number),
    partitionedSizes: arg("--partitioned-sizes")?.split(",").filter(Boolean).map(Number),
    base: arg("--base"),
    mappings: arg("--mappings")?.split(",").filter(Boolean) as ("hourly" | "daily" | "all")[] | undefined,
    keep: process.argv.includes("--keep"),
    legacy: process.argv.includes("--legacy"),
  });
  printFigures(`status: one hourly asset, ${Object.keys(SIZE_NAMES).join(" / ")} partitions`, figures);
  if (!printTargets(figures, targets)) process.exitCode = 1;
}
