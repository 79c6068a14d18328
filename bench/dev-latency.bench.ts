/**
 * `dagx dev`: file saved → first step started (DESIGN §10: < 150 ms; Dagster has no hot reload).
 *
 * A temp project outside the repo with 10 trivial assets in 5 files is materialized once, then
 * `dagx dev --no-daemon` starts on it, once with the compiled binary and once from the sources
 * (`bun cli/main.ts`), both running side by side. After each has printed "watching for changes",
 * the bench edits one trivial asset file (a new literal each time, so its code version changes),
 * alternating between the two sessions, and waits for the run to finish ("up to date"). Latency
 * is `step_started.at` of the new run (`dagx logs <runId> --json`) minus `Date.now()` taken right
 * before `writeFileSync`. The split comes from the same run:
 *
 *   - write → "reloaded" line read from dev's stderr: file watcher + debounce (30 ms) + the
 *     pre-warmed worker's loadProject + IPC (the line is printed when the graph arrives);
 *   - write → `run.startedAt`: everything before `runMaterialize` begins;
 *   - `run.startedAt` → `run_started` event: state reads (readAssetState) + plan + createRun;
 *   - `run_started` → `step_started`: the run engine set-up (in-memory DuckDB) + executor;
 *   - `loadProject` of the same project timed alone in a fresh `bun` (what the worker does).
 *
 *   bun bench/dev-latency.bench.ts [--edits N] [--source-only | --binary-only] [--debounce 30ms]
 */
import fs from "node:fs";
import path from "node:path";
import type { Subprocess } from "bun";
import {
  BUN, CLI, cliEnv, ensureBinary, type Figures, lastJsonLine, machineFigures, makeTempDir, makeTempProject, median, printFigures, printTargets,
  REPO, removeDir, round, sleep, spawnOk, statFigures, type Target,
} from "./_util.ts";

export const targets: Target[] = [
  { figure: "binary.latency.median", label: "`dagx dev`: save → step started (binary, median)", op: "<", value: 150, unit: "ms" },
  { figure: "source.latency.median", label: "`dagx dev`: save → step started (sources, median)", op: "<", value: 150, unit: "ms" },
];

const EDITED = "edited.asset.ts";
const editedFile = (v: number) =>
  [`import { asset } from "dagx";`, `export const edited = asset(() => ({ v: ${v} }));`, `export const edited_double = asset({ ins: { edited } }, (_ctx, { edited }) => ({ v: edited.v * 2 }));`, ``].join("\n");

/** 10 trivial assets in 5 files; `edited` (+ one downstream) is the one the bench edits. */
export function devProject(): Record<string, string> {
  const files: Record<string, string> = {
    "dagx.config.ts": `import { defineConfig } from "dagx";\nexport default defineConfig({});\n`,
    [EDITED]: editedFile(0),
  };
  for (let i = 0; i < 4; i++) {
    files[`f${i}.asset.ts`] = [
      `import { asset } from "dagx";`,
      `export const raw_${i} = asset(() => ({ n: ${i} }));`,
      `export const sum_${i} = asset({ ins: { raw_${i} } }, (_ctx, { raw_${i} }) => ({ n: raw_${i}.n + 1 }));`,
      ``,
    ].join("\n");
  }
  return files;
}

interface Line {
  at: number;
  text: string;
}

/** A running `dagx dev`: its stderr lines with the time each was read. */
interface DevSession {
  name: string;
  dir: string;
  proc: Subprocess;
  lines: Line[];
  waitFor(re: RegExp, from: number, timeoutMs: number): Promise<{ line: Line; index: number; match: RegExpExecArray }>;
  stop(): Promise<void>;
}

function startDev(name: string, cmd: string[], dir: string, env: Record<string, string | undefined>): DevSession {
  const proc = Bun.spawn(cmd, { cwd: dir, env, stdin: "ignore", stdout: "pipe", stderr: "pipe" });
  const lines: Line[] = [];
  let wake: (() => void) | null = null;
  const pump = async (stream: ReadableStream<Uint8Array>) => {
    const decoder = new TextDecoder();
    let buf = "";
    for await (const chunk of stream) {
      const at = Date.now();
      buf += decoder.decode(chunk, { stream: true });
      let nl = buf.indexOf("\n");
      while (nl >= 0) {
        lines.push({ at, text: buf.slice(0, nl) });
        buf = buf.slice(nl + 1);
        nl = buf.indexOf("\n");
      }
      wake?.();
    }
  };
  void pump(proc.stderr as ReadableStream<Uint8Array>);
  void pump(proc.stdout as ReadableStream<Uint8Array>);
  let exited = false;
  void proc.exited.then(() => {
    exited = true;
    wake?.();
  });
  return {
    name,
    dir,
    proc,
    lines,
    async waitFor(re, from, timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        for (let i = from; i < lines.length; i++) {
          const match = re.exec(lines[i]!.text);
          if (match) return { line: lines[i]!, index: i, match };
        }
        if (exited) throw new Error(`${name}: dagx dev exited (${proc.exitCode}) before ${re}:\n${lines.map((l) => l.text).join("\n").slice(-3000)}`);
        if (Date.now() > deadline) throw new Error(`${name}: no ${re} within ${timeoutMs} ms:\n${lines.slice(from).map((l) => l.text).join("\n").slice(-3000)}`);
        await new Promise<void>((r) => {
          wake = r;
          setTimeout(r, 50);
        });
        wake = null;
      }
    },
    async stop() {
      if (exited) return;
      proc.kill("SIGINT");
      const t = setTimeout(() => proc.kill(9), 10_000);
      await proc.exited;
      clearTimeout(t);
    },
  };
}

interface LogsJson {
  run: { runId: string; status: string; startedAt: string };
  events: { seq: number; type: string; at: string; assetKey: string | null }[];
}

interface EditSample {
  latency: number;
  stepLine: number;
  reloadedLine: number;
  toRunStart: number;
  stateAndPlan: number;
  engine: number;
  runMs: number;
}

/** One edit: write, wait for the run to finish, read its events back. */
async function edit(s: DevSession, value: number, logsCmd: (args: string[]) => string[], env: Record<string, string | undefined>, scratch: string): Promise<EditSample> {
  const from = s.lines.length;
  const file = path.join(s.dir, EDITED);
  const text = editedFile(value);
  const tWrite = Date.now();
  fs.writeFileSync(file, text);
  const done = await s.waitFor(/^✔ up to date \(run (\S+)\)|^nothing stale|^run (\S*) ?(failed|canceled|error)|^error /, from, 30_000);
  if (!done.match[1]) throw new Error(`${s.name}: edit ${value} did not end in a successful run: ${done.line.text}`);
  const runId = done.match[1];
  const reloaded = s.lines.slice(from).find((l) => l.text.startsWith("reloaded"));
  const stepLine = s.lines.slice(from).find((l) => l.text.startsWith("▶ edited"));
  const out = path.join(scratch, `${runId}.json`);
  const logs = JSON.parse((await spawnOk(logsCmd(["logs", runId, "--json"]), { cwd: s.dir, env, stdoutFile: out })).stdout) as LogsJson;
  fs.rmSync(out, { force: true });
  const at = (type: string) => {
    const e = logs.events.find((x) => x.type === type);
    if (!e) throw new Error(`${s.name}: run ${runId} has no ${type} event`);
    return Date.parse(e.at);
  };
  const runStart = Date.parse(logs.run.startedAt);
  const step = at("step_started");
  return {
    latency: step - tWrite,
    stepLine: (stepLine?.at ?? Number.NaN) - tWrite,
    reloadedLine: (reloaded?.at ?? Number.NaN) - tWrite,
    toRunStart: runStart - tWrite,
    stateAndPlan: at("run_started") - runStart,
    engine: step - at("run_started"),
    runMs: at("run_finished") - runStart,
  };
}

/** loadProject of the dev project in a fresh `bun` that has already imported the loader (like a warm worker). */
async function timeLoad(dir: string, runs: number): Promise<number[]> {
  const script = [
    `const { loadProject } = await import(${JSON.stringify(path.join(REPO, "io", "project.ts"))});`,
    `const t0 = performance.now();`,
    `const p = await loadProject(${JSON.stringify(dir)}, { exactRoot: true, now: () => performance.now() });`,
    `console.log(JSON.stringify({ ms: performance.now() - t0, assets: p.graph.order.length }));`,
  ].join("\n");
  const ms: number[] = [];
  for (let i = 0; i < runs; i++) ms.push(lastJsonLine<{ ms: number }>((await spawnOk([BUN, "-e", script], { cwd: dir })).stdout).ms);
  return ms;
}

export async function run(options: { edits?: number; warmup?: number; binary?: boolean; source?: boolean; debounce?: string; pauseMs?: number } = {}): Promise<Figures> {
  const edits = options.edits ?? 10;
  const warmup = options.warmup ?? 1;
  const pauseMs = options.pauseMs ?? 400;
  const bin = options.binary === false ? null : await ensureBinary();
  const env = cliEnv();
  const extra = options.debounce ? ["--debounce", options.debounce] : [];
  const cases: { name: "binary" | "source"; cmd: (args: string[]) => string[] }[] = [];
  if (bin) cases.push({ name: "binary", cmd: (a) => [bin.path, ...a] });
  if (options.source !== false) cases.push({ name: "source", cmd: (a) => [BUN, CLI, ...a] });
  const scratch = makeTempDir("dagx-bench-dev-out-");
  const sessions: DevSession[] = [];
  const dirs: string[] = [];
  const samples = new Map<string, EditSample[]>(cases.map((c) => [c.name, []]));
  try {
    for (const c of cases) {
      const dir = makeTempProject(devProject(), `dagx-bench-dev-${c.name}-`);
      dirs.push(dir);
      await spawnOk(c.cmd(["materialize", "--json"]), { cwd: dir, env });
      const s = startDev(c.name, c.cmd(["dev", "--no-daemon", ...extra]), dir, env);
      sessions.push(s);
      await s.waitFor(/watching for changes/, 0, 60_000);
    }
    await sleep(1000); // let the spare workers come up
    let value = 1;
    for (let r = 0; r < warmup + edits; r++) {
      for (let i = 0; i < cases.length; i++) {
        const c = cases[i]!;
        const sample = await edit(sessions[i]!, value++, c.cmd, env, scratch);
        if (r >= warmup) samples.get(c.name)!.push(sample);
        await sleep(pauseMs); // a save every few hundred ms at most; the next spare worker warms up meanwhile
      }
    }
    const loadMs = await timeLoad(dirs[0]!, Math.max(3, Math.min(5, edits)));
    const figures: Figures = { ...machineFigures(), edits, debounceMs: options.debounce ?? "30ms (default)" };
    for (const [name, xs] of samples) {
      const col = (k: keyof EditSample) => xs.map((x) => x[k]).filter(Number.isFinite);
      Object.assign(figures, statFigures(`${name}.latency`, col("latency")));
      figures[`${name}.latency.max`] = round(Math.max(...col("latency")));
      figures[`${name}.split.reloadedLine.median`] = round(median(col("reloadedLine")));
      figures[`${name}.split.toRunStart.median`] = round(median(col("toRunStart")));
      figures[`${name}.split.stateAndPlan.median`] = round(median(col("stateAndPlan")));
      figures[`${name}.split.engine.median`] = round(median(col("engine")));
      figures[`${name}.stepLine.median`] = round(median(col("stepLine")));
      figures[`${name}.run.median`] = round(median(col("runMs")));
    }
    figures["split.loadProject.median"] = round(median(loadMs));
    return figures;
  } finally {
    await Promise.all(sessions.map((s) => s.stop()));
    for (const d of dirs) removeDir(d);
    removeDir(scratch);
  }
}

if (import.meta.main) {
  const arg = (name: string) => {
    const i = process.argv.indexOf(name);
    return i > 0 ? process.argv[i + 1] : undefined;
  };
  const figures = await run({
    edits: arg("--edits") ? Number(arg("--edits")) : undefined,
    binary: !process.argv.includes("--source-only"),
    source: !process.argv.includes("--binary-only"),
    debounce: arg("--debounce"),
  });
  printFigures("dagx dev: save → first step started (ms)", figures);
  const shown = targets.filter((t) => figures[t.figure] !== undefined);
  process.exitCode = printTargets(figures, shown) ? 0 : 1;
}
