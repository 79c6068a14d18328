/**
 * Cold start (DESIGN §10: `dagx materialize` of one trivial asset with the compiled binary < 200 ms
 * wall). Each timed command is a fresh process; `.dagx` is deleted before every materialize, so the
 * state file is created and migrated each time. The DuckDB native files are extracted once into a
 * bench-owned XDG_CACHE_HOME (the very first run, with that cache cold, is reported separately).
 *
 *   bun bench/cold-start.bench.ts [--runs N]
 */
import fs from "node:fs";
import path from "node:path";
import {
  BUN, CLI, cliEnv, ensureBinary, type Figures, lastJsonLine, machineFigures, makeTempDir, median, makeTempProject, printFigures, printTargets,
  removeDir, resetState, round, sampleInterleaved, spawnOk, statFigures, type Target, timedStore,
} from "./_util.ts";

export const targets: Target[] = [
  { figure: "materialize.binary.median", label: "cold `dagx materialize` (1 trivial asset, binary)", op: "<", value: 200, unit: "ms" },
];

const ASSET = `import { asset } from "dagx";\n\nexport const one = asset(() => ({ v: 1 }));\n`;

/** Phases of one materialize, measured inside a fresh `bun` process running the sources. */
export interface Phases {
  /** Process start → this script's main code (Bun startup + bench helpers). */
  startup: number;
  /** Importing what `dagx materialize` imports (project loader, runner, state store, DuckDB). */
  imports: number;
  /** loadProject: config, discovery, import of the asset file, code versions, graph. */
  load: number;
  /** First state session: create + migrate the file, mark abandoned runs. */
  stateOpen: number;
  /** Reading latest materializations + failures. */
  stateRead: number;
  createRun: number;
  /** Run engine set-up (its in-memory DuckDB) up to the step start. */
  engine: number;
  step: number;
  /** After the step: engine close, event/materialization flush, run update. */
  finish: number;
  /** Whole runMaterialize call. */
  run: number;
  /** Process start → end of this script's work (the exit comes after). */
  total: number;
}

async function phasesChild(dir: string): Promise<void> {
  const startup = performance.now();
  const t0 = performance.now();
  const [{ loadProject }, { runMaterialize }, { createDuckDBStateStore }] = await Promise.all([
    import("../io/project/project.ts"),
    import("../io/run/materialize.ts"),
    import("../io/state/duckdb-store.ts"),
    import("@duckdb/node-api"),
  ]);
  const t1 = performance.now();
  const project = await loadProject(dir, { exactRoot: true, now: () => performance.now() });
  const t2 = performance.now();
  const { store, timings } = timedStore(createDuckDBStateStore(project.storage.statePath));
  const marks: Record<string, number> = {};
  const t3 = performance.now();
  const outcome = await runMaterialize(project, store, {
    selectionText: "*", selected: new Set(project.graph.order), stale: false, concurrency: 1, dryRun: false, trigger: "bench",
    signal: new AbortController().signal, now: Date.now,
    reporter: { onStepStart: () => void (marks.stepStart = performance.now()), onStepEnd: () => void (marks.stepEnd = performance.now()) },
  });
  const t4 = performance.now();
  await store.close();
  if (outcome.status !== "success") throw new Error(`run ${outcome.status}`);
  const span = (m: string) => timings.spans.find((x) => x.method === m)!;
  const lastRead = timings.spans.filter((x) => x.method === "latestFailures" || x.method === "latestMaterializations").reduce((a, b) => Math.max(a, b.end), 0);
  const phases: Phases = {
    startup,
    imports: t1 - t0,
    load: t2 - t1,
    stateOpen: span("markAbandoned").end - t3,
    stateRead: lastRead - span("markAbandoned").end,
    createRun: span("createRun").end - lastRead,
    engine: marks.stepStart! - span("createRun").end,
    step: marks.stepEnd! - marks.stepStart!,
    finish: t4 - marks.stepEnd!,
    run: t4 - t3,
    total: performance.now(),
  };
  console.log(JSON.stringify(phases));
}

export async function run(options: { runs?: number; warmup?: number; coldRuns?: number } = {}): Promise<Figures> {
  const runs = options.runs ?? 15;
  const warmup = options.warmup ?? 2;
  const coldRuns = options.coldRuns ?? 3;
  const bin = await ensureBinary();
  const project = makeTempProject({ "one.asset.ts": ASSET }, "dagx-bench-cold-");
  const xdgRoot = makeTempDir("dagx-bench-xdg-");
  const warmXdg = path.join(xdgRoot, "warm");
  const envFor = (xdg: string) => {
    const env = cliEnv({ XDG_CACHE_HOME: xdg });
    delete env.DAGX_DUCKDB_DIR;
    return env;
  };
  const dagx = (args: string[], xdg = warmXdg) => spawnOk([bin.path, ...args], { cwd: project, env: envFor(xdg) });
  try {
    // The very first runs: a cold DuckDB extraction cache (fresh XDG_CACHE_HOME each time).
    const cold: number[] = [];
    for (let i = 0; i < coldRuns; i++) {
      resetState(project);
      const xdg = path.join(xdgRoot, `cold-${i}`);
      fs.mkdirSync(xdg, { recursive: true });
      cold.push((await dagx(["materialize"], xdg)).ms);
    }
    // Sanity: the trivial asset materializes and lands as JSON (warms the bench's own cache too).
    resetState(project);
    const check = JSON.parse((await dagx(["materialize", "--json"])).stdout) as { status: string; steps: { key: string; status: string }[] };
    if (check.status !== "success" || check.steps.length !== 1) throw new Error(`unexpected materialize result: ${JSON.stringify(check)}`);
    if (!fs.existsSync(path.join(project, ".dagx", "data", "one", "value.json"))) throw new Error("one/value.json was not written");

    const samples = await sampleInterleaved(
      [
        { name: "materialize.binary", run: async () => (resetState(project), await dagx(["materialize"])) },
        { name: "status.binary", run: () => dagx(["status"]) },
        { name: "rematerialize.binary", run: () => dagx(["materialize"]) },
        { name: "version.binary", run: () => dagx(["--version"]) },
        {
          name: "materialize.source",
          run: async () => (resetState(project), await spawnOk([BUN, CLI, "materialize"], { cwd: project, env: envFor(warmXdg) })),
        },
        { name: "version.source", run: () => spawnOk([BUN, CLI, "--version"], { cwd: project }) },
      ],
      runs,
      warmup,
    );
    const figures: Figures = {
      ...machineFigures(),
      "binary.built": bin.built,
      "binary.sizeMB": round(fs.statSync(bin.path).size / 1024 / 1024),
      "materialize.binary.coldCacheFirst": round(cold[0]!),
      ...statFigures("materialize.binary.coldCache", cold),
    };
    // Where the time goes (sources under `bun`, since the binary cannot be instrumented).
    const phaseRuns: Phases[] = [];
    for (let i = 0; i < Math.max(3, Math.ceil(runs / 3)); i++) {
      resetState(project);
      const r = await spawnOk([BUN, import.meta.path, "--phases", project], { cwd: project, env: envFor(warmXdg) });
      phaseRuns.push(lastJsonLine<Phases>(r.stdout));
    }
    for (const k of Object.keys(phaseRuns[0]!) as (keyof Phases)[]) figures[`phases.source.${k}`] = round(median(phaseRuns.map((p) => p[k])));
    for (const [name, xs] of samples) {
      Object.assign(figures, statFigures(name, xs.ms));
      if (xs.cpuMs.length) figures[`${name}.cpuMedian`] = round(median(xs.cpuMs));
    }
    figures["materialize.binary.ratio"] = round(Number(figures["materialize.binary.median"]) / targets[0]!.value, 2);
    return figures;
  } finally {
    removeDir(project);
    removeDir(xdgRoot);
  }
}

if (import.meta.main && process.argv[2] === "--phases") {
  await phasesChild(process.argv[3]!);
  process.exit(0);
} else if (import.meta.main) {
  const i = process.argv.indexOf("--runs");
  const figures = await run({ runs: i > 0 ? Number(process.argv[i + 1]) : undefined });
  printFigures("cold start (ms; fresh process per run; .dagx deleted before each materialize)", figures);
  process.exitCode = printTargets(figures, targets) ? 0 : 1;
}
