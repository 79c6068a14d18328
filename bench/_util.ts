/**
 * Shared helpers for the benchmarks: statistics, temp projects outside the repo, timed child
 * processes, the compiled binary (rebuilt when older than its sources), and a text table.
 * Timing is done here in TypeScript (performance.now around Bun.spawn), so `npm ci` is enough.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { StateStore } from "../core/state-store.ts";

export const REPO = path.resolve(import.meta.dir, "..");
/** The Bun running the benchmark (node_modules/.bin/bun under `npm run bench`). */
export const BUN = process.execPath;
export const CLI = path.join(REPO, "cli", "main.ts");
export const BINARY = path.join(REPO, "dist", "dagx");

/** What a benchmark module returns: flat figures, JSON-friendly. */
export type Figures = Record<string, number | string | boolean>;

/** A target a figure is checked against in the summary (`npm run bench`). */
export interface Target {
  /** Key in the figures. */
  figure: string;
  /** Human description of the measured thing. */
  label: string;
  /** `<` / `<=`: figure must stay under `value`; `==`: must equal it (errors, lost events). */
  op: "<" | "<=" | "==";
  value: number;
  unit: string;
}

// ---------------------------------------------------------------------------------------------
// Statistics

export interface Stats {
  n: number;
  median: number;
  p10: number;
  p90: number;
  min: number;
  max: number;
  mean: number;
}

/** Quantile with linear interpolation between closest ranks (q in [0, 1]). */
export function percentile(xs: readonly number[], q: number): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  const pos = (s.length - 1) * Math.min(1, Math.max(0, q));
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return s[lo]! + (s[hi]! - s[lo]!) * (pos - lo);
}

export const median = (xs: readonly number[]): number => percentile(xs, 0.5);

export function stats(xs: readonly number[]): Stats {
  return {
    n: xs.length,
    median: median(xs),
    p10: percentile(xs, 0.1),
    p90: percentile(xs, 0.9),
    min: Math.min(...xs),
    max: Math.max(...xs),
    mean: xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length),
  };
}

/** Round to `digits` decimals (default 1). */
export const round = (n: number, digits = 1): number => {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
};

/** `prefix.median`, `prefix.p10`, `prefix.p90`, `prefix.n` as flat figures (ms, 1 decimal). */
export function statFigures(prefix: string, xs: readonly number[], digits = 1): Figures {
  const s = stats(xs);
  return {
    [`${prefix}.median`]: round(s.median, digits),
    [`${prefix}.p10`]: round(s.p10, digits),
    [`${prefix}.p90`]: round(s.p90, digits),
    [`${prefix}.n`]: s.n,
  };
}

/** One timed sample: wall ms, and CPU ms when the sample is a child process. */
export type Sample = number | { ms: number; cpuMs?: number };

/**
 * Run each case `runs` times (after `warmup` untimed rounds), interleaved round by round so the
 * machine's noise hits every case alike. Each case returns its own measured milliseconds.
 */
export async function sampleInterleaved(
  cases: { name: string; run: () => Promise<Sample> }[],
  runs: number,
  warmup = 1,
): Promise<Map<string, { ms: number[]; cpuMs: number[] }>> {
  const out = new Map<string, { ms: number[]; cpuMs: number[] }>(cases.map((c) => [c.name, { ms: [], cpuMs: [] }]));
  for (let r = 0; r < warmup + runs; r++) {
    for (const c of cases) {
      const s = await c.run();
      if (r < warmup) continue;
      const slot = out.get(c.name)!;
      if (typeof s === "number") slot.ms.push(s);
      else {
        slot.ms.push(s.ms);
        if (s.cpuMs !== undefined && Number.isFinite(s.cpuMs)) slot.cpuMs.push(s.cpuMs);
      }
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Temp projects

/** A fresh folder under the OS temp dir (never inside the repo: project-root discovery walks up). */
export function makeTempDir(prefix = "dagx-bench-", base = os.tmpdir()): string {
  const dir = fs.realpathSync(fs.mkdtempSync(path.join(base, prefix)));
  if (dir === REPO || dir.startsWith(`${REPO}${path.sep}`)) throw new Error(`temp dir ${dir} is inside the repo; set TMPDIR elsewhere`);
  return dir;
}

/**
 * A writable memory-backed folder (Linux `/dev/shm`), or null: benches use it to separate
 * dagx's own cost from the disk's.
 */
export function memoryFsDir(): string | null {
  try {
    fs.accessSync("/dev/shm", fs.constants.W_OK);
    return fs.statSync("/dev/shm").isDirectory() ? "/dev/shm" : null;
  } catch {
    return null;
  }
}

/** Write a temp project from relative path → content. Returns its root. */
export function makeTempProject(files: Record<string, string>, prefix = "dagx-bench-", base?: string): string {
  const dir = makeTempDir(prefix, base);
  writeFiles(dir, files);
  return dir;
}

export function writeFiles(dir: string, files: Record<string, string>): void {
  for (const [rel, text] of Object.entries(files)) {
    const p = path.join(dir, rel);
    fs.mkdirSync(path.dirname(p), { recursive: true });
    fs.writeFileSync(p, text);
  }
}

export function removeDir(dir: string): void {
  fs.rmSync(dir, { recursive: true, force: true });
}

/** Delete a project's `.dagx` (state + outputs) so the next run starts fresh. */
export function resetState(projectDir: string): void {
  removeDir(path.join(projectDir, ".dagx"));
}

// ---------------------------------------------------------------------------------------------
// Child processes

export interface SpawnResult {
  /** Wall time from spawn to exit, ms. */
  ms: number;
  /** CPU time (user + system) of the child, ms: less sensitive to a busy machine than wall time. */
  cpuMs: number;
  code: number;
  stdout: string;
  stderr: string;
}

/** Environment for CLI children: no colours, no TTY progress. */
export function cliEnv(extra: Record<string, string | undefined> = {}): Record<string, string | undefined> {
  return { ...process.env, NO_COLOR: "1", CI: "1", ...extra };
}

export interface SpawnOptions {
  cwd?: string;
  env?: Record<string, string | undefined>;
  timeoutMs?: number;
  /**
   * Send stdout to this file instead of a pipe (read back after exit). Needed for big outputs:
   * the CLI exits right after writing, and a pipe loses what it had not drained by then.
   */
  stdoutFile?: string;
}

/** Spawn `cmd`, wait for it, return wall-clock ms (performance.now around spawn → exit) and output. */
export async function spawnTimed(cmd: string[], opts: SpawnOptions = {}): Promise<SpawnResult> {
  const t0 = performance.now();
  const stdoutTarget = opts.stdoutFile ? Bun.file(opts.stdoutFile) : "pipe";
  const proc = Bun.spawn(cmd, { cwd: opts.cwd ?? REPO, env: opts.env ?? cliEnv(), stdout: stdoutTarget, stderr: "pipe", stdin: "ignore" });
  const timer = setTimeout(() => proc.kill(9), opts.timeoutMs ?? 120_000);
  const [out, stderr, code] = await Promise.all([
    proc.stdout instanceof ReadableStream ? new Response(proc.stdout).text() : Promise.resolve(null),
    new Response(proc.stderr).text(),
    proc.exited,
  ]);
  const ms = performance.now() - t0;
  const stdout = out ?? (opts.stdoutFile ? fs.readFileSync(opts.stdoutFile, "utf8") : "");
  clearTimeout(timer);
  const cpu = proc.resourceUsage()?.cpuTime;
  return { ms, cpuMs: cpu ? Number(cpu.total) / 1000 : Number.NaN, code, stdout, stderr };
}

/** Like spawnTimed, but throws with the output when the exit code is not 0. */
export async function spawnOk(cmd: string[], opts: SpawnOptions = {}): Promise<SpawnResult> {
  const r = await spawnTimed(cmd, opts);
  if (r.code !== 0) throw new Error(`\`${cmd.map((c) => path.basename(c)).join(" ")}\` exited with ${r.code}\nstderr:\n${r.stderr}\nstdout:\n${r.stdout.slice(0, 2000)}`);
  return r;
}

/** Last line of stdout parsed as JSON (child scripts print their report last). */
export function lastJsonLine<T>(stdout: string): T {
  const line = stdout.trim().split("\n").at(-1) ?? "";
  try {
    return JSON.parse(line) as T;
  } catch {
    throw new Error(`expected a JSON line on stdout, got:\n${stdout.slice(-2000)}`);
  }
}

// ---------------------------------------------------------------------------------------------
// The compiled binary

const SOURCE_DIRS = ["cli", "core", "io"];
const SOURCE_FILES = ["scripts/build.ts", "package.json", "package-lock.json"];

function newestMtime(): { file: string; mtime: number } {
  let best = { file: "", mtime: 0 };
  const consider = (file: string) => {
    const m = fs.statSync(file).mtimeMs;
    if (m > best.mtime) best = { file, mtime: m };
  };
  const walk = (dir: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile() && /\.(ts|js|json)$/.test(e.name)) consider(p);
    }
  };
  for (const d of SOURCE_DIRS) walk(path.join(REPO, d));
  for (const f of SOURCE_FILES) if (fs.existsSync(path.join(REPO, f))) consider(path.join(REPO, f));
  return best;
}

/** `dist/dagx`, built with scripts/build.ts when missing or older than any source file. */
export async function ensureBinary(): Promise<{ path: string; built: boolean; buildMs: number | null; reason: string }> {
  const newest = newestMtime();
  const exists = fs.existsSync(BINARY);
  const stale = exists && fs.statSync(BINARY).mtimeMs < newest.mtime;
  if (exists && !stale) return { path: BINARY, built: false, buildMs: null, reason: "up to date" };
  const reason = exists ? `older than ${path.relative(REPO, newest.file)}` : "missing";
  const { buildBinary } = await import("../scripts/build.ts");
  const r = await buildBinary({ quiet: true });
  return { path: r.outfile, built: true, buildMs: r.ms, reason };
}

// ---------------------------------------------------------------------------------------------
// Output

/** A plain text table, columns padded; numbers right-aligned. */
export function formatTable(headers: string[], rows: (string | number)[][]): string {
  const cells = [headers, ...rows.map((r) => r.map((c) => String(c)))];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? "").length)));
  const numeric = headers.map((_, i) => rows.length > 0 && rows.every((r) => typeof r[i] === "number" || /^[-\d.,]+( ?(ms|s|×|%))?$/.test(String(r[i] ?? ""))));
  const line = (r: string[]) => r.map((c, i) => (numeric[i] ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join("  ").trimEnd();
  return [line(cells[0]!), widths.map((w) => "-".repeat(w)).join("  "), ...cells.slice(1).map(line)].join("\n");
}

/** Print figures as `key  value` lines (standalone runs). */
export function printFigures(title: string, figures: Figures): void {
  console.log(title);
  const width = Math.max(...Object.keys(figures).map((k) => k.length));
  for (const [k, v] of Object.entries(figures)) console.log(`  ${k.padEnd(width)}  ${v}`);
}

/** Check a figure against a target. */
export function meets(value: number, t: Target): boolean {
  if (!Number.isFinite(value)) return false;
  return t.op === "<" ? value < t.value : t.op === "<=" ? value <= t.value : value === t.value;
}

/** Print a figure/target/ratio/pass table for one bench (standalone runs). */
export function printTargets(figures: Figures, targets: Target[]): boolean {
  let ok = true;
  const rows = targets.map((t) => {
    const v = Number(figures[t.figure]);
    const pass = meets(v, t);
    ok &&= pass;
    const ratio = t.value === 0 ? "" : `${round(v / t.value, 2)}×`;
    return [t.label, `${v} ${t.unit}`, `${t.op} ${t.value} ${t.unit}`, ratio, pass ? "pass" : "FAIL"];
  });
  console.log(`\n${formatTable(["figure", "measured", "target", "ratio", "pass"], rows)}`);
  return ok;
}

/** 1-minute load average and CPU count, to put wall times in context. */
export function machine(): { cpus: number; load1: number; cpuModel: string } {
  return { cpus: os.cpus().length, load1: round(os.loadavg()[0]!, 2), cpuModel: os.cpus()[0]?.model ?? "?" };
}

/** `machine.cpus`, `machine.load1` as figures (the load when the bench started). */
export function machineFigures(): Figures {
  const m = machine();
  return { "machine.cpus": m.cpus, "machine.load1": m.load1 };
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

// ---------------------------------------------------------------------------------------------
// Instrumentation for in-process runs

/** Per-method call count and total ms of a StateStore, plus the batch sizes of `write`. */
export interface StoreTimings {
  calls: Record<string, { count: number; ms: number }>;
  writeEvents: number;
  writeMaterializations: number;
  /** [start, end] (performance.now) of every call, in call order. */
  spans: { method: string; start: number; end: number }[];
}

/** Wrap a StateStore so every call is timed (wall time from call to settle, queueing included). */
export function timedStore(store: StateStore): { store: StateStore; timings: StoreTimings } {
  const timings: StoreTimings = { calls: {}, writeEvents: 0, writeMaterializations: 0, spans: [] };
  const wrapped = {} as Record<string, unknown>;
  for (const [name, fn] of Object.entries(store as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>)) {
    wrapped[name] = async (...args: unknown[]) => {
      if (name === "write") {
        const b = args[0] as { events?: unknown[]; materializations?: unknown[] };
        timings.writeEvents += b.events?.length ?? 0;
        timings.writeMaterializations += b.materializations?.length ?? 0;
      }
      const start = performance.now();
      try {
        return await fn.apply(store, args);
      } finally {
        const end = performance.now();
        const slot = (timings.calls[name] ??= { count: 0, ms: 0 });
        slot.count++;
        slot.ms += end - start;
        timings.spans.push({ method: name, start, end });
      }
    };
  }
  return { store: wrapped as unknown as StateStore, timings };
}
