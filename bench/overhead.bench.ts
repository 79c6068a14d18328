/**
 * Orchestration overhead per asset (DESIGN §10: < 2 ms per trivial asset, in-process, for a chain
 * and a fan-out of 1,000). Each repetition is a fresh `bun` process over a generated temp project
 * with a fresh `.dagx`: it loads the definitions (timed separately), then calls `runMaterialize`
 * the way `dagx materialize` does (DuckDB state store, CLI-default concurrency) and reports where
 * the time went. overhead per asset = runMaterialize wall time / 1,000.
 *
 *   bun bench/overhead.bench.ts [--runs N] [--assets N] [--profile]
 *
 * `--profile` also writes a Bun CPU profile (markdown) of one chain run and prints its top entries.
 */
import fs from "node:fs";
import path from "node:path";
import {
  BUN, cliEnv, type Figures, lastJsonLine, machineFigures, makeTempDir, makeTempProject, median, memoryFsDir, printFigures, printTargets,
  removeDir, resetState, round, spawnOk, statFigures, type Target, timedStore,
} from "./_util.ts";

export const targets: Target[] = [
  { figure: "chain.perAssetMs.median", label: "overhead per asset, chain of 1,000", op: "<", value: 2, unit: "ms" },
  { figure: "fanout.perAssetMs.median", label: "overhead per asset, fan-out 1 → 999", op: "<", value: 2, unit: "ms" },
];

export type Shape = "chain" | "fanout";

/** One asset file with `n` trivial assets: a chain a0 → a1 → … (ins), or root → children (ins / deps alternately). */
export function generateProject(shape: Shape, n: number): Record<string, string> {
  const lines = [`import { asset } from "dagx";`, ``];
  if (shape === "chain") {
    lines.push(`export const a0 = asset(() => 1);`);
    for (let i = 1; i < n; i++) lines.push(`export const a${i} = asset({ ins: { up: a${i - 1} } }, (_ctx, { up }) => up + 1);`);
  } else {
    lines.push(`export const root = asset(() => 1);`);
    for (let i = 1; i < n; i++) {
      lines.push(i % 2 === 1 ? `export const c${i} = asset({ ins: { root } }, (_ctx, { root }) => root + ${i});` : `export const c${i} = asset({ deps: [root] }, () => ${i});`);
    }
  }
  return { [`${shape}.asset.ts`]: `${lines.join("\n")}\n`, "dagx.config.ts": `import { defineConfig } from "dagx";\nexport default defineConfig({});\n` };
}

/** What one child process reports. */
export interface ChildReport {
  assets: number;
  concurrency: number;
  status: string;
  /** loadProject (config, discovery, import, code versions, graph), ms. */
  loadMs: number;
  /** The whole runMaterialize call, ms. */
  runMs: number;
  /** runMaterialize start → first step start (state read, createRun, run engine). */
  preludeMs: number;
  /** Last step end → runMaterialize returns (engine close, final flush, run update). */
  finishMs: number;
  /** Sum over steps of step start → step end (user fn, input read, output write + fsync, DuckDB connection). */
  stepSumMs: number;
  stepMedianMs: number;
  /** First step start → last step end. */
  stepsWallMs: number;
  store: Record<string, { count: number; ms: number }>;
  writeEvents: number;
  writeMaterializations: number;
  /** Micro-measurements in the same process, per call (median of 200): */
  micro: { writeFileAtomicMs: number; writeNoFsyncMs: number; duckdbConnectCloseMs: number; duckdbInstanceMs: number; readJsonInputMs: number };
}

/** `duckdb`: the real state file (what the CLI uses); `memory`: io/memory-state-store.ts, to isolate the state store's share. */
export type StoreKind = "duckdb" | "memory";

async function child(dir: string, concurrency: number, storeKind: StoreKind): Promise<void> {
  const [{ loadProject }, { runMaterialize }, { createDuckDBStateStore }, { createMemoryStateStore }, { writeFileAtomic }, { DuckDBInstance }] = await Promise.all([
    import("../io/project/project.ts"),
    import("../io/run/materialize.ts"),
    import("../io/state/duckdb-store.ts"),
    import("../io/state/memory-store.ts"),
    import("../io/storage/atomic.ts"),
    import("@duckdb/node-api"),
  ]);
  const t0 = performance.now();
  const project = await loadProject(dir, { exactRoot: true, now: () => performance.now() });
  const loadMs = performance.now() - t0;
  const { store, timings } = timedStore(storeKind === "memory" ? createMemoryStateStore() : createDuckDBStateStore(project.storage.statePath));
  const starts = new Map<string, number>();
  const durations: number[] = [];
  let firstStart = Number.POSITIVE_INFINITY;
  let lastEnd = 0;
  const t1 = performance.now();
  const outcome = await runMaterialize(project, store, {
    selectionText: "*",
    selected: new Set(project.graph.order),
    stale: false,
    concurrency,
    dryRun: false,
    trigger: "bench",
    signal: new AbortController().signal,
    now: Date.now,
    reporter: {
      onStepStart: (s) => {
        const now = performance.now();
        if (now < firstStart) firstStart = now;
        starts.set(s.key, now);
      },
      onStepEnd: (s) => {
        const now = performance.now();
        lastEnd = Math.max(lastEnd, now);
        durations.push(now - starts.get(s.key)!);
      },
    },
  });
  const t2 = performance.now();
  await store.close();
  const failed = outcome.steps.filter((s) => s.status !== "success");
  if (outcome.status !== "success") throw new Error(`run ${outcome.status}: ${JSON.stringify(failed.slice(0, 3))}`);

  // Micro-measurements of the per-step building blocks, on the same file system.
  const scratch = path.join(dir, ".dagx", "bench-scratch");
  fs.mkdirSync(scratch, { recursive: true });
  const per = (n: number, fn: (i: number) => void) => {
    const xs: number[] = [];
    for (let i = 0; i < n; i++) {
      const s = performance.now();
      fn(i);
      xs.push(performance.now() - s);
    }
    return median(xs);
  };
  const writeFileAtomicMs = per(200, (i) => writeFileAtomic(path.join(scratch, `f${i}.json`), "1"));
  const writeNoFsyncMs = per(200, (i) => fs.writeFileSync(path.join(scratch, `g${i}.json`), "1"));
  const readJsonInputMs = per(200, (i) => JSON.parse(fs.readFileSync(path.join(scratch, `g${i}.json`), "utf8")));
  const instance = await DuckDBInstance.create(":memory:");
  const cc: number[] = [];
  for (let i = 0; i < 200; i++) {
    const s = performance.now();
    (await instance.connect()).closeSync();
    cc.push(performance.now() - s);
  }
  instance.closeSync();
  const ic: number[] = [];
  for (let i = 0; i < 5; i++) {
    const s = performance.now();
    (await DuckDBInstance.create(":memory:")).closeSync();
    ic.push(performance.now() - s);
  }
  const report: ChildReport = {
    assets: project.graph.order.length,
    concurrency,
    status: outcome.status,
    loadMs,
    runMs: t2 - t1,
    preludeMs: firstStart - t1,
    finishMs: t2 - lastEnd,
    stepSumMs: durations.reduce((a, b) => a + b, 0),
    stepMedianMs: median(durations),
    stepsWallMs: lastEnd - firstStart,
    store: timings.calls,
    writeEvents: timings.writeEvents,
    writeMaterializations: timings.writeMaterializations,
    micro: { writeFileAtomicMs, writeNoFsyncMs, duckdbConnectCloseMs: median(cc), duckdbInstanceMs: median(ic), readJsonInputMs },
  };
  console.log(JSON.stringify(report));
}

export async function run(options: { runs?: number; assets?: number; concurrency?: number; memoryStore?: boolean; memoryFs?: boolean } = {}): Promise<Figures> {
  const runs = options.runs ?? 5;
  const withMemory = options.memoryStore ?? true;
  const n = options.assets ?? 1000;
  const concurrency = options.concurrency ?? navigator.hardwareConcurrency ?? 4; // the CLI's default
  // The same projects on a memory file system, when there is one: what dagx itself costs, without the disk.
  const shm = (options.memoryFs ?? true) ? memoryFsDir() : null;
  const projects: Record<Shape, string> = {
    chain: makeTempProject(generateProject("chain", n), "dagx-bench-chain-"),
    fanout: makeTempProject(generateProject("fanout", n), "dagx-bench-fanout-"),
  };
  const shmProjects: Record<Shape, string> | null = shm
    ? { chain: makeTempProject(generateProject("chain", n), "dagx-bench-chain-", shm), fanout: makeTempProject(generateProject("fanout", n), "dagx-bench-fanout-", shm) }
    : null;
  try {
    const reports: Record<Shape, ChildReport[]> = { chain: [], fanout: [] };
    const memory: Record<Shape, ChildReport[]> = { chain: [], fanout: [] };
    const inShm: Record<Shape, ChildReport[]> = { chain: [], fanout: [] };
    const once = async (dir: string, kind: StoreKind) => {
      resetState(dir);
      const out = await spawnOk([BUN, import.meta.path, "--child", dir, String(concurrency), kind], { cwd: dir, env: cliEnv(), timeoutMs: 300_000 });
      const rep = lastJsonLine<ChildReport>(out.stdout);
      if (rep.assets !== n) throw new Error(`${dir}: expected ${n} assets, loaded ${rep.assets}`);
      return rep;
    };
    // Interleave the shapes (and the in-memory-store and memory-fs variants) run by run; each run
    // is a fresh process with a fresh .dagx.
    for (let r = 0; r < runs; r++) {
      for (const shape of ["chain", "fanout"] as const) {
        reports[shape].push(await once(projects[shape], "duckdb"));
        if (withMemory) memory[shape].push(await once(projects[shape], "memory"));
        if (shmProjects) inShm[shape].push(await once(shmProjects[shape], "duckdb"));
      }
    }
    const figures: Figures = { ...machineFigures(), assets: n, concurrency, runs };
    for (const shape of ["chain", "fanout"] as const) {
      const rs = reports[shape];
      const m = (f: (r: ChildReport) => number, digits = 1) => round(median(rs.map(f)), digits);
      Object.assign(figures, statFigures(`${shape}.perAssetMs`, rs.map((r) => r.runMs / n), 3));
      figures[`${shape}.perAssetMs.ratio`] = round(Number(figures[`${shape}.perAssetMs.median`]) / 2, 2);
      figures[`${shape}.runMs.median`] = m((r) => r.runMs);
      figures[`${shape}.loadMs.median`] = m((r) => r.loadMs);
      figures[`${shape}.preludeMs.median`] = m((r) => r.preludeMs);
      figures[`${shape}.stepsWallMs.median`] = m((r) => r.stepsWallMs);
      figures[`${shape}.finishMs.median`] = m((r) => r.finishMs);
      figures[`${shape}.stepMs.median`] = m((r) => r.stepMedianMs, 3);
      figures[`${shape}.stepSumMs.median`] = m((r) => r.stepSumMs);
      for (const method of Object.keys(rs[0]!.store)) {
        figures[`${shape}.store.${method}.calls`] = m((r) => r.store[method]?.count ?? 0, 0);
        figures[`${shape}.store.${method}.ms`] = m((r) => r.store[method]?.ms ?? 0);
      }
      figures[`${shape}.store.writeEvents`] = m((r) => r.writeEvents, 0);
      if (withMemory) {
        const mm = memory[shape];
        figures[`${shape}.memoryStore.perAssetMs.median`] = round(median(mm.map((r) => r.runMs / n)), 3);
        figures[`${shape}.memoryStore.stepMs.median`] = round(median(mm.map((r) => r.stepMedianMs)), 3);
      }
      if (shmProjects) {
        const ss = inShm[shape];
        figures[`${shape}.memoryFs.perAssetMs.median`] = round(median(ss.map((r) => r.runMs / n)), 3);
        figures[`${shape}.memoryFs.stepMs.median`] = round(median(ss.map((r) => r.stepMedianMs)), 3);
      }
    }
    const all = [...reports.chain, ...reports.fanout];
    const micro = (f: (r: ChildReport) => number) => round(median(all.map(f)), 3);
    figures["micro.writeFileAtomicMs"] = micro((r) => r.micro.writeFileAtomicMs);
    figures["micro.writeFileNoFsyncMs"] = micro((r) => r.micro.writeNoFsyncMs);
    figures["micro.readJsonInputMs"] = micro((r) => r.micro.readJsonInputMs);
    figures["micro.duckdbConnectCloseMs"] = micro((r) => r.micro.duckdbConnectCloseMs);
    figures["micro.duckdbInstanceCreateCloseMs"] = micro((r) => r.micro.duckdbInstanceMs);
    return figures;
  } finally {
    removeDir(projects.chain);
    removeDir(projects.fanout);
    if (shmProjects) {
      removeDir(shmProjects.chain);
      removeDir(shmProjects.fanout);
    }
  }
}

/** One chain run under `bun --cpu-prof-md`; returns the markdown profile's path. */
export async function profile(n = 1000, concurrency = navigator.hardwareConcurrency ?? 4): Promise<string> {
  const dir = makeTempProject(generateProject("chain", n), "dagx-bench-prof-");
  const outDir = makeTempDir("dagx-bench-cpuprof-");
  try {
    await spawnOk([BUN, "--cpu-prof-md", `--cpu-prof-dir=${outDir}`, "--cpu-prof-interval=250", import.meta.path, "--child", dir, String(concurrency)], { cwd: dir, timeoutMs: 300_000 });
    const md = fs.readdirSync(outDir).find((f) => f.endsWith(".md"));
    if (!md) throw new Error(`no profile written in ${outDir}`);
    return path.join(outDir, md);
  } finally {
    removeDir(dir);
  }
}

if (import.meta.main && process.argv[2] === "--child") {
  await child(process.argv[3]!, Number(process.argv[4] ?? 4), (process.argv[5] ?? "duckdb") as StoreKind);
  process.exit(0);
} else if (import.meta.main) {
  const arg = (name: string) => {
    const i = process.argv.indexOf(name);
    return i > 0 ? Number(process.argv[i + 1]) : undefined;
  };
  const figures = await run({ runs: arg("--runs"), assets: arg("--assets") });
  printFigures("orchestration overhead (in-process runMaterialize; ms)", figures);
  const ok = printTargets(figures, targets);
  if (process.argv.includes("--profile")) {
    const file = await profile(arg("--assets") ?? 1000);
    console.log(`\nCPU profile (markdown): ${file}\n`);
    console.log(fs.readFileSync(file, "utf8").split("\n").slice(0, 60).join("\n"));
  }
  process.exitCode = ok ? 0 : 1;
}
