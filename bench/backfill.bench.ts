/**
 * Backfill (DESIGN §10: "backfill 365 daily partitions × 3 trivial assets < 3 s").
 *
 *   bun bench/backfill.bench.ts [--runs N] [--phase-runs N] [--no-shapes] [--profile]
 *
 * A temp project outside the repo holds three daily-partitioned assets chained per partition:
 * `a` returns one row `{ day, v: 1 }` (stored as Parquet), `b` reads `a` through `ins` and adds 1,
 * `c` reads `b` the same way. Each sample is a fresh process on a fresh `.dagx` running
 * `dagx backfill 'a+' --partitions 2023-01-01..2024-01-01` (366 days × 3 = 1,098 steps, one run),
 * with the compiled binary and with the sources, interleaved round by round. The CLI's default
 * concurrency is used (config or CPU count). For comparison (binary only, not held to the target;
 * `--no-shapes` skips them) the same chain written with `ctx.sql`, and with JSON values.
 *
 * Where the time goes: a child `bun` process runs the same backfill in-process from the sources
 * (`loadProject` + `runBackfill`, as `dagx backfill` does) with a timed state store and reporter
 * hooks, and splits it into plan, run / backfill records, engine set-up, steps and the tail; then
 * once more with the in-memory state store, to show the DuckDB state's share.
 * `--profile` also writes a Bun CPU profile (markdown) of one CLI run from the sources, in a temp
 * folder that is kept (its path is printed).
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import {
  BUN, CLI, cliEnv, ensureBinary, type Figures, lastJsonLine, machineFigures, makeTempDir, makeTempProject, median, printFigures, printTargets,
  removeDir, resetState, round, sampleInterleaved, spawnOk, statFigures, type Target, timedStore,
} from "./_util.ts";

export const targets: Target[] = [
  { figure: "backfill.binary.median", label: "`dagx backfill`, 366 daily partitions × 3 assets (1,098 steps), binary", op: "<", value: 3000, unit: "ms" },
];

const RANGE = "2023-01-01..2024-01-01";
const DAYS = 366;
const ASSETS = 3;
const STEPS = DAYS * ASSETS;

/** The three chained assets, by how they store their output. `rows` is the measured case. */
const SHAPES = {
  // one row per partition → Parquet; b and c read their upstream partition back as rows
  rows: `import { asset, daily } from "dagx";

const days = daily({ start: "2023-01-01" });

export const a = asset({ partitions: days }, (ctx) => [{ day: ctx.partition!.key, v: 1 }]);
export const b = asset({ partitions: days, ins: { a } }, async (_ctx, { a }) => (await a.rows()).map((r) => ({ day: r.day, v: r.v + 1 })));
export const c = asset({ partitions: days, ins: { b } }, async (_ctx, { b }) => (await b.rows()).map((r) => ({ day: r.day, v: r.v + 1 })));
`,
  // the same with ctx.sql: DuckDB COPY straight to Parquet, no row crosses into JS
  sql: `import { asset, daily } from "dagx";

const days = daily({ start: "2023-01-01" });

export const a = asset({ partitions: days }, (ctx) => ctx.sql\`SELECT \${ctx.partition!.key} AS day, 1 AS v\`);
export const b = asset({ partitions: days, ins: { a } }, (ctx, { a }) => ctx.sql\`SELECT day, v + 1 AS v FROM \${a}\`);
export const c = asset({ partitions: days, ins: { b } }, (ctx, { b }) => ctx.sql\`SELECT day, v + 1 AS v FROM \${b}\`);
`,
  // one JSON value per partition: no DuckDB in the steps at all (orchestration + file overhead only)
  json: `import { asset, daily } from "dagx";

const days = daily({ start: "2023-01-01" });

export const a = asset({ partitions: days }, (ctx) => ({ day: ctx.partition!.key, v: 1 }));
export const b = asset({ partitions: days, ins: { a } }, (_ctx, { a }) => ({ day: a.day, v: a.v + 1 }));
export const c = asset({ partitions: days, ins: { b } }, (_ctx, { b }) => ({ day: b.day, v: b.v + 1 }));
`,
} as const;
type Shape = keyof typeof SHAPES;

/** Phases of one in-process backfill (ms), from the sources. */
export interface Phases {
  /** loadProject (the project's one file). */
  load: number;
  /** runBackfill → createRun: markAbandoned, read latest materializations / failures / partition summaries, plan. */
  plan: number;
  /** createRun + createBackfill (1,098 pending partition rows) — the records written before any step. */
  records: number;
  /** After the records → first step start: the run engine. */
  engine: number;
  /** First step start → last step end. */
  steps: number;
  /** Last step end → runBackfill returns: engine close, last flushes, run + backfill updates. */
  tail: number;
  /** Whole runBackfill. */
  total: number;
  /** CPU time (user + system, all threads) of the process during runBackfill. */
  cpu: number;
  /** Median of the steps' own durations (start → end). */
  stepMedian: number;
  /** State store: calls and summed in-flight ms per method (they overlap the steps). */
  store: Record<string, { count: number; ms: number }>;
  /** Materializations and events that went through `store.write`. */
  writeMaterializations: number;
  writeEvents: number;
  stepsDone: number;
}

async function phasesChild(dir: string, storeKind: string): Promise<void> {
  const [{ loadProject }, { runBackfill }, { createDuckDBStateStore }, { createMemoryStateStore }, { resolveSelected }] = await Promise.all([
    import("../io/project/project.ts"),
    import("../io/run/backfill.ts"),
    import("../io/state/duckdb-store.ts"),
    import("../io/state/memory-store.ts"),
    import("../cli/selection.ts"),
  ]);
  const t0 = performance.now();
  const project = await loadProject(dir, { exactRoot: true, now: () => Date.now() });
  const t1 = performance.now();
  const { store, timings } = timedStore(storeKind === "memory" ? createMemoryStateStore() : createDuckDBStateStore(project.storage.statePath));
  const cpu0 = process.cpuUsage();
  const starts = new Map<unknown, number>();
  const durations: number[] = [];
  let firstStart = Number.POSITIVE_INFINITY;
  let lastEnd = 0;
  const concurrency = project.config.concurrency ?? navigator.hardwareConcurrency ?? 4;
  const t2 = performance.now();
  const result = await runBackfill(
    project,
    store,
    { selectionText: "a+", selected: resolveSelected(project, ["a+"]), concurrency, signal: new AbortController().signal, partitionSelection: RANGE, now: Date.now },
    {
      onStepStart(step) {
        const now = performance.now();
        starts.set(step, now);
        firstStart = Math.min(firstStart, now);
      },
      onStepEnd(step) {
        const now = performance.now();
        durations.push(now - (starts.get(step) ?? now));
        lastEnd = Math.max(lastEnd, now);
      },
    },
  );
  const t3 = performance.now();
  const cpu = process.cpuUsage(cpu0);
  await store.close();
  if (result.status !== "success") throw new Error(`backfill ${result.status}`);
  const span = (m: string) => timings.spans.find((x) => x.method === m);
  const createRun = span("createRun")!;
  const recordsEnd = span("createBackfill")?.end ?? createRun.end;
  const phases: Phases = {
    load: t1 - t0,
    plan: createRun.start - t2,
    records: recordsEnd - createRun.start,
    engine: firstStart - recordsEnd,
    steps: lastEnd - firstStart,
    tail: t3 - lastEnd,
    total: t3 - t2,
    cpu: (cpu.user + cpu.system) / 1000,
    stepMedian: median(durations),
    store: timings.calls,
    writeMaterializations: timings.writeMaterializations,
    writeEvents: timings.writeEvents,
    stepsDone: result.outcome?.steps.filter((s) => s.status === "success").length ?? 0,
  };
  console.log(JSON.stringify(phases));
}

interface BackfillJson {
  status: string;
  steps: { key: string; partition: string | null; status: string }[];
}

export async function run(options: { runs?: number; warmup?: number; phaseRuns?: number; shapes?: boolean; profile?: boolean } = {}): Promise<Figures> {
  const runs = options.runs ?? 5;
  const warmup = options.warmup ?? 1;
  const phaseRuns = options.phaseRuns ?? 3;
  const shapes = options.shapes ?? true;
  const bin = await ensureBinary();
  const projects = Object.fromEntries(
    (Object.keys(SHAPES) as Shape[]).map((shape) => [shape, makeTempProject({ "chain.asset.ts": SHAPES[shape] }, `dagx-bench-backfill-${shape}-`)]),
  ) as Record<Shape, string>;
  const out = path.join(os.tmpdir(), `dagx-bench-backfill-${process.pid}.json`);
  const env = cliEnv();
  const args = ["backfill", "a+", "--partitions", RANGE, "--json"];
  /** One fresh backfill; checks that every one of the 1,098 steps succeeded. */
  const backfill = async (shape: Shape, cmd: string[]) => {
    resetState(projects[shape]);
    fs.rmSync(out, { force: true }); // a stdout file is not truncated by the spawn
    const r = await spawnOk([...cmd, ...args], { cwd: projects[shape], env, stdoutFile: out, timeoutMs: 300_000 });
    const j = JSON.parse(r.stdout) as BackfillJson;
    const ok = j.steps.filter((s) => s.status === "success").length;
    if (j.status !== "success" || ok !== STEPS) throw new Error(`backfill (${shape}): status ${j.status}, ${ok}/${STEPS} steps succeeded`);
    return r;
  };
  try {
    const samples = await sampleInterleaved(
      [
        { name: "backfill.binary", run: () => backfill("rows", [bin.path]) },
        { name: "backfill.source", run: () => backfill("rows", [BUN, CLI]) },
        ...(shapes
          ? [
              { name: "backfill.sql.binary", run: () => backfill("sql", [bin.path]) },
              { name: "backfill.json.binary", run: () => backfill("json", [bin.path]) },
            ]
          : []),
      ],
      runs,
      warmup,
    );
    // The state the last run left: every partition of the three assets materialized.
    fs.rmSync(out, { force: true });
    const status = JSON.parse((await spawnOk([bin.path, "status", "--json"], { cwd: projects.rows, env, stdoutFile: out })).stdout) as { key: string; partitions?: { materialized: number } }[];
    const materialized = status.map((s) => s.partitions?.materialized ?? 0).reduce((x, y) => x + y, 0);
    if (materialized !== STEPS) throw new Error(`status after the backfill: ${materialized} partitions materialized, expected ${STEPS}`);

    // In-process split of the measured (rows) case, with the DuckDB state store and with the in-memory one.
    const phaseSamples: Phases[] = [];
    const memorySamples: Phases[] = [];
    for (let i = 0; i < phaseRuns; i++) {
      for (const [kind, into] of [["duckdb", phaseSamples], ["memory", memorySamples]] as const) {
        resetState(projects.rows);
        const r = await spawnOk([BUN, import.meta.path, "--child-phases", projects.rows, kind], { cwd: projects.rows, env, timeoutMs: 300_000 });
        into.push(lastJsonLine<Phases>(r.stdout));
      }
    }
    let profile: string | null = null;
    if (options.profile) {
      resetState(projects.rows);
      const dir = makeTempDir("dagx-bench-backfill-prof-");
      fs.rmSync(out, { force: true });
      await spawnOk([BUN, "--cpu-prof-md", `--cpu-prof-dir=${dir}`, CLI, ...args], { cwd: projects.rows, env, stdoutFile: out, timeoutMs: 300_000 });
      const md = fs.readdirSync(dir).find((f) => f.endsWith(".md"));
      profile = md ? path.join(dir, md) : null;
    }

    const pm = (f: (p: Phases) => number, xs = phaseSamples) => round(median(xs.map(f)));
    const storeMs = (m: string) => pm((p) => p.store[m]?.ms ?? 0);
    const storeCount = (m: string) => pm((p) => p.store[m]?.count ?? 0);
    const cli = (name: string): Figures => {
      const x = samples.get(name);
      if (!x) return {};
      return {
        ...statFigures(name, x.ms),
        [`${name}.cpuMedian`]: round(median(x.cpuMs)),
        [`${name}.stepsPerSecond`]: round(STEPS / (median(x.ms) / 1000)),
      };
    };
    const figures: Figures = {
      ...machineFigures(),
      "binary.built": bin.built,
      steps: STEPS,
      ...cli("backfill.binary"),
      ...cli("backfill.source"),
      ...cli("backfill.sql.binary"),
      ...cli("backfill.json.binary"),
      "status.materializedAfter": materialized,
      // in-process split (sources, rows case), median over phaseRuns
      "phases.n": phaseSamples.length,
      "phases.load": pm((p) => p.load),
      "phases.plan": pm((p) => p.plan),
      "phases.records": pm((p) => p.records),
      "phases.engine": pm((p) => p.engine),
      "phases.steps": pm((p) => p.steps),
      "phases.tail": pm((p) => p.tail),
      "phases.total": pm((p) => p.total),
      "phases.cpu": pm((p) => p.cpu),
      "phases.perStepMs": round(median(phaseSamples.map((p) => p.steps / STEPS)), 3),
      "phases.stepMedian": round(median(phaseSamples.map((p) => p.stepMedian)), 2),
      "phases.stepsPerSecond": round(median(phaseSamples.map((p) => STEPS / (p.total / 1000)))),
      "phases.store.write.count": storeCount("write"),
      "phases.store.write.inFlightMs": storeMs("write"),
      "phases.store.updateBackfillPartitions.count": storeCount("updateBackfillPartitions"),
      "phases.store.updateBackfillPartitions.inFlightMs": storeMs("updateBackfillPartitions"),
      "phases.store.getBackfill.count": storeCount("getBackfill"),
      "phases.store.getBackfill.inFlightMs": storeMs("getBackfill"),
      "phases.store.createBackfill.ms": storeMs("createBackfill"),
      "phases.store.createRun.ms": storeMs("createRun"),
      "phases.store.partitionSummary.count": storeCount("partitionSummary"),
      "phases.store.latestPartitionMaterializations.count": storeCount("latestPartitionMaterializations"),
      "phases.writeMaterializations": pm((p) => p.writeMaterializations),
      // same runs with the in-memory state store: what is left without DuckDB state
      "phases.memoryStore.total": pm((p) => p.total, memorySamples),
      "phases.memoryStore.steps": pm((p) => p.steps, memorySamples),
      "phases.memoryStore.cpu": pm((p) => p.cpu, memorySamples),
    };
    if (profile) figures.profile = profile;
    return figures;
  } finally {
    for (const dir of Object.values(projects)) removeDir(dir);
    fs.rmSync(out, { force: true });
  }
}

if (import.meta.main && process.argv[2] === "--child-phases") {
  await phasesChild(process.argv[3]!, process.argv[4] ?? "duckdb");
  process.exit(0);
} else if (import.meta.main) {
  const arg = (name: string) => {
    const i = process.argv.indexOf(name);
    return i > 0 ? Number(process.argv[i + 1]) : undefined;
  };
  const figures = await run({ runs: arg("--runs"), phaseRuns: arg("--phase-runs"), shapes: !process.argv.includes("--no-shapes"), profile: process.argv.includes("--profile") });
  printFigures("backfill: 366 daily partitions × 3 chained assets", figures);
  if (!printTargets(figures, targets)) process.exitCode = 1;
}
