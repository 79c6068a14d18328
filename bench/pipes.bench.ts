/**
 * Per-step overhead of a trivial Pipes asset (bench/pipes/trivial.py: open, report, close) under
 * dagx next to the same script under Dagster's `PipesSubprocessClient`. Overhead = orchestrated
 * time − the same script spawned bare with a Pipes context, each measured in its own harness:
 * - dagx: the step's duration in an in-process `runMaterialize` (memory store), which covers the
 *   context and messages files, the spawn, the tail, recording; the bare spawn from Bun;
 * - Dagster: `PipesSubprocessClient.run(...).get_materialize_result()` timed inside the asset of a
 *   `materialize()` (bench/pipes/dagster_harness.py); the bare spawn from Python.
 * Interleaved, one repetition of each per round; medians. Needs the test venv (tests/support/pipes.ts)
 * and `DAGSTER_PYTHON`: a python with `dagster` installed (not part of npm test).
 *
 *   DAGSTER_PYTHON=/path/to/venv/bin/python bun bench/pipes.bench.ts [rounds=5]
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildPipesContext } from "../core/pipes/index.ts";
import { encodePipesParam } from "../io/pipes/index.ts";
import { pipesPython } from "../tests/support/pipes.ts";
import { testProjects } from "../tests/support/project.ts";

const rounds = Number(process.argv[2] ?? 5);
const dagsterPython = process.env.DAGSTER_PYTHON;
const script = join(import.meta.dir, "pipes/trivial.py");
const python = await pipesPython();
const projects = testProjects("dagx-pipes-bench-");
const p = await projects.open({ "a.asset.ts": `import { pipesAsset } from "dagx";\nexport const trivial = pipesAsset({ command: [${JSON.stringify(python)}, ${JSON.stringify(script)}] });\n` });

async function dagxStep(): Promise<number> {
  const r = await p.materialize("trivial");
  const s = r.steps[0]!;
  if (s.status !== "success") throw new Error(`dagx step failed: ${JSON.stringify(s)}`);
  return s.durationMs;
}

async function bare(): Promise<number> {
  const d = mkdtempSync(join(tmpdir(), "dagx-pipes-bare-"));
  try {
    const ctx = join(d, "context.json");
    const msgs = join(d, "messages.jsonl");
    writeFileSync(ctx, JSON.stringify(buildPipesContext({ assetKey: "trivial", codeVersion: "x", latest: null, partition: null, runId: "r", retryNumber: 0, inputs: {}, outputPath: join(d, "o.parquet") })));
    const t0 = performance.now();
    const child = Bun.spawn([python, script], { env: { ...process.env, DAGSTER_PIPES_CONTEXT: encodePipesParam({ path: ctx }), DAGSTER_PIPES_MESSAGES: encodePipesParam({ path: msgs }) }, stdout: "ignore", stderr: "ignore" });
    if ((await child.exited) !== 0) throw new Error("bare script failed");
    return performance.now() - t0;
  } finally {
    rmSync(d, { recursive: true, force: true });
  }
}

function dagsterRound(): { orchestrated: number; bare: number } | null {
  if (!dagsterPython) return null;
  const r = Bun.spawnSync([dagsterPython, join(import.meta.dir, "pipes/dagster_harness.py"), script, "1"], { stdout: "pipe", stderr: "pipe", env: { ...process.env, DAGSTER_HOME: "" } });
  if (r.exitCode !== 0) throw new Error(`Dagster harness failed: ${r.stderr.toString()}`);
  const j = JSON.parse(r.stdout.toString().trim().split("\n").pop()!) as { orchestrated_ms: number[]; bare_ms: number[] };
  return { orchestrated: j.orchestrated_ms[0]!, bare: j.bare_ms[0]! };
}

await dagxStep(); // warm-up: DuckDB, the project's first run
const d = { step: [] as number[], bare: [] as number[] };
const g = { step: [] as number[], bare: [] as number[] };
for (let i = 0; i < rounds; i++) {
  // alternate the order, so neither side always runs right after the other's process
  if (i % 2 === 0) {
    d.bare.push(await bare());
    d.step.push(await dagxStep());
  } else {
    d.step.push(await dagxStep());
    d.bare.push(await bare());
  }
  const r = dagsterRound();
  if (r) {
    g.step.push(r.orchestrated);
    g.bare.push(r.bare);
  }
}
projects.cleanup();
const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;
const fmt = (x: number) => `${x.toFixed(0)} ms`;
// the overhead is the median of each round's difference (paired: both ran within a second of each other)
const paired = (a: number[], b: number[]) => median(a.map((x, i) => x - b[i]!));
const dOver = paired(d.step, d.bare);
console.log(`rounds ${rounds}`);
console.log(`dagx step  ${d.step.map((x) => x.toFixed(0)).join(" ")}\ndagx bare  ${d.bare.map((x) => x.toFixed(0)).join(" ")}`);
if (g.step.length) console.log(`Dagster run ${g.step.map((x) => x.toFixed(0)).join(" ")}\nDagster bare ${g.bare.map((x) => x.toFixed(0)).join(" ")}`);
console.log(`dagx    step ${fmt(median(d.step))}  bare ${fmt(median(d.bare))}  overhead ${fmt(dOver)}`);
if (g.step.length) {
  const gOver = paired(g.step, g.bare);
  console.log(`Dagster run  ${fmt(median(g.step))}  bare ${fmt(median(g.bare))}  overhead ${fmt(gOver)}`);
  console.log(`overhead ratio dagx / Dagster: ${(dOver / gOver).toFixed(2)}× (goal ≤ 0.5×)`);
}
