/**
 * Definition loading (DESIGN §10: 10,000 assets in 1,000 files < 1 s). A generated project: 1,000
 * `*.asset.ts` files in 10 folders, 10 assets each, with `ins` and `deps` inside a file, `ins` on
 * assets imported from another file, string deps on assets the file does not import, and a shared
 * local helper module (part of the code versions). Every timing is a fresh process:
 *
 *   - loadProject: `bun` running a small child that imports io/project.ts and times loadProject;
 *   - breakdown: the loader's steps timed one by one in another fresh child (discovery, import,
 *     code versions, key/dep resolution, graph);
 *   - `dagx list --json` end to end, compiled binary and `bun cli/main.ts`.
 *
 *   bun bench/load.bench.ts [--runs N] [--files N] [--per-file N]
 */
import path from "node:path";
import {
  BUN, CLI, cliEnv, ensureBinary, type Figures, lastJsonLine, machineFigures, makeTempDir, makeTempProject, median, printFigures, printTargets,
  removeDir, round, sampleInterleaved, spawnOk, statFigures, type Target,
} from "./_util.ts";

export const targets: Target[] = [
  { figure: "loadProject.median", label: "load 10,000 assets / 1,000 files (loadProject)", op: "<", value: 1000, unit: "ms" },
  { figure: "list.binary.median", label: "`dagx list --json`, 10,000 assets (binary, wall)", op: "<", value: 1000, unit: "ms" },
];

const FOLDERS = 10;

const fileRel = (i: number) => `d${i % FOLDERS}/f${i}.asset.ts`;
const name = (i: number, j: number) => `a${i}_${j}`;

/**
 * `files` asset files × `perFile` assets. In file i: a{i}_0 takes `ins` from a{p}_{last} imported
 * from file p = ⌊(i-1)/2⌋ and a string dep on a{q}_{1} (q = 37·i mod i, not imported); a{i}_j
 * (j ≥ 1) takes the previous asset of its file through `ins` (odd j) or `deps` (even j).
 */
export function generateProject(files = 1000, perFile = 10): Record<string, string> {
  const out: Record<string, string> = {
    "dagx.config.ts": `import { defineConfig } from "dagx";\nexport default defineConfig({});\n`,
    "lib/util.ts": `export const twice = (n: number): number => n * 2;\nexport const label = (s: string): string => \`[\${s}]\`;\n`,
  };
  for (let i = 0; i < files; i++) {
    const lines = [`import { asset } from "dagx";`];
    const p = Math.floor((i - 1) / 2);
    if (i > 0) lines.push(`import { ${name(p, perFile - 1)} } from "../${fileRel(p)}";`);
    if (i % 10 === 0) lines.push(`import { twice } from "../lib/util.ts";`);
    lines.push("");
    const body = i % 10 === 0 ? "twice(1)" : "1";
    for (let j = 0; j < perFile; j++) {
      const opts: string[] = [`group: "g${i % 20}"`];
      let fn = `() => ${body}`;
      if (j === 0 && i > 0) {
        const q = (37 * i) % i;
        opts.push(`ins: { up: ${name(p, perFile - 1)} }`, `deps: ["${name(q, Math.min(1, perFile - 1))}"]`);
        fn = `(_ctx, { up }) => up + ${body}`;
      } else if (j > 0 && j % 2 === 1) {
        opts.push(`ins: { prev: ${name(i, j - 1)} }`);
        fn = `(_ctx, { prev }) => prev + ${j}`;
      } else if (j > 0) {
        opts.push(`deps: [${name(i, j - 1)}]`, `description: "asset ${j} of file ${i}"`);
      }
      lines.push(`export const ${name(i, j)} = asset({ ${opts.join(", ")} }, ${fn});`);
    }
    out[fileRel(i)] = `${lines.join("\n")}\n`;
  }
  return out;
}

interface LoadReport {
  assets: number;
  /** Importing io/project.ts (and what it pulls in) before loading. */
  modulesMs: number;
  loadProjectMs: number;
}

interface BreakdownReport {
  assets: number;
  discoverMs: number;
  importMs: number;
  codeVersionMs: number;
  /** Keys, ins/deps resolution and option checks, without the code-version hashing. */
  resolveMs: number;
  graphMs: number;
  totalMs: number;
}

async function childLoad(dir: string): Promise<void> {
  const t0 = performance.now();
  const { loadProject } = await import("../io/project/project.ts");
  const t1 = performance.now();
  const project = await loadProject(dir, { exactRoot: true, now: () => performance.now() });
  const t2 = performance.now();
  if (project.graph.errors.length) throw new Error(project.graph.errors.map((e) => e.message).join("\n"));
  const report: LoadReport = { assets: project.graph.assets.size, modulesMs: t1 - t0, loadProjectMs: t2 - t1 };
  console.log(JSON.stringify(report));
}

/** The steps of io/loader.ts loadDefinitions + buildGraph, timed one by one (mirrors the loader). */
async function childBreakdown(dir: string): Promise<void> {
  const [{ discoverAssetFiles }, { createCodeVersioner }, { registerDagxModule }, { resolveDefinitions, buildGraph }, { isAssetDef }, { loadConfig }] = await Promise.all([
    import("../io/project/discover.ts"),
    import("../io/project/code-version.ts"),
    import("../io/project/virtual-module.ts"),
    import("../core/graph.ts"),
    import("../core/asset.ts"),
    import("../io/project/project.ts"),
  ]);
  const t0 = performance.now();
  await loadConfig(dir);
  registerDagxModule();
  const files = discoverAssetFiles(dir);
  const t1 = performance.now();
  const raw: Parameters<typeof resolveDefinitions>[1][number][] = [];
  for (const file of files) {
    const mod = (await import(file)) as Record<string, unknown>;
    for (const [exportName, value] of Object.entries(mod)) if (isAssetDef(value)) raw.push({ file, exportName, def: value });
  }
  const t2 = performance.now();
  const versioner = createCodeVersioner();
  let codeVersionMs = 0;
  const timedVersioner = ((r: Parameters<typeof versioner>[0]) => {
    const s = performance.now();
    try {
      return versioner(r);
    } finally {
      codeVersionMs += performance.now() - s;
    }
  }) as typeof versioner;
  timedVersioner.prime = versioner.prime;
  const defs = resolveDefinitions(dir, raw, [], timedVersioner, files.length);
  const t3 = performance.now();
  const graph = buildGraph(defs);
  const t4 = performance.now();
  const report: BreakdownReport = {
    assets: graph.assets.size,
    discoverMs: t1 - t0,
    importMs: t2 - t1,
    codeVersionMs,
    resolveMs: t3 - t2 - codeVersionMs,
    graphMs: t4 - t3,
    totalMs: t4 - t0,
  };
  console.log(JSON.stringify(report));
}

export async function run(options: { runs?: number; files?: number; perFile?: number } = {}): Promise<Figures> {
  const runs = options.runs ?? 5;
  const files = options.files ?? 1000;
  const perFile = options.perFile ?? 10;
  const expected = files * perFile;
  const bin = await ensureBinary();
  const dir = makeTempProject(generateProject(files, perFile), "dagx-bench-load-");
  const scratch = makeTempDir("dagx-bench-load-out-");
  try {
    const env = cliEnv();
    const reports: LoadReport[] = [];
    const breakdowns: BreakdownReport[] = [];
    const listOk = (stdout: string, what: string) => {
      const n = (JSON.parse(stdout) as unknown[]).length;
      if (n !== expected) throw new Error(`${what}: listed ${n} assets, expected ${expected}`);
    };
    const samples = await sampleInterleaved(
      [
        {
          name: "loadProject.process",
          run: async () => {
            const r = await spawnOk([BUN, import.meta.path, "--child-load", dir], { cwd: dir, env });
            const rep = lastJsonLine<LoadReport>(r.stdout);
            if (rep.assets !== expected) throw new Error(`loaded ${rep.assets} assets, expected ${expected}`);
            reports.push(rep);
            return r;
          },
        },
        {
          name: "breakdown.process",
          run: async () => {
            const r = await spawnOk([BUN, import.meta.path, "--child-breakdown", dir], { cwd: dir, env });
            breakdowns.push(lastJsonLine<BreakdownReport>(r.stdout));
            return r;
          },
        },
        {
          name: "list.binary",
          run: async () => {
            const r = await spawnOk([bin.path, "list", "--json"], { cwd: dir, env, stdoutFile: path.join(scratch, "list-binary.json") });
            listOk(r.stdout, "dagx list (binary)");
            return r;
          },
        },
        {
          name: "list.source",
          run: async () => {
            const r = await spawnOk([BUN, CLI, "list", "--json"], { cwd: dir, env, stdoutFile: path.join(scratch, "list-source.json") });
            listOk(r.stdout, "dagx list (source)");
            return r;
          },
        },
      ],
      runs,
      1,
    );
    // The warm-up round's reports are dropped too, so figures match the timed runs.
    reports.splice(0, reports.length - runs);
    breakdowns.splice(0, breakdowns.length - runs);
    const m = <T>(xs: T[], f: (x: T) => number) => round(median(xs.map(f)));
    const figures: Figures = {
      ...machineFigures(),
      files,
      assets: expected,
      ...statFigures("loadProject", reports.map((r) => r.loadProjectMs)),
      "loadProject.ratio": round(median(reports.map((r) => r.loadProjectMs)) / targets[0]!.value, 2),
      "loadProject.modulesMs.median": m(reports, (r) => r.modulesMs),
      "loadProject.processWall.median": round(median(samples.get("loadProject.process")!.ms)),
      "breakdown.discoverMs.median": m(breakdowns, (b) => b.discoverMs),
      "breakdown.importMs.median": m(breakdowns, (b) => b.importMs),
      "breakdown.codeVersionMs.median": m(breakdowns, (b) => b.codeVersionMs),
      "breakdown.resolveMs.median": m(breakdowns, (b) => b.resolveMs),
      "breakdown.graphMs.median": m(breakdowns, (b) => b.graphMs),
      "breakdown.totalMs.median": m(breakdowns, (b) => b.totalMs),
    };
    for (const k of ["list.binary", "list.source"]) {
      const s = samples.get(k)!;
      Object.assign(figures, statFigures(k, s.ms));
      if (s.cpuMs.length) figures[`${k}.cpuMedian`] = round(median(s.cpuMs));
    }
    figures["list.binary.ratio"] = round(Number(figures["list.binary.median"]) / 1000, 2);
    return figures;
  } finally {
    removeDir(dir);
    removeDir(scratch);
  }
}

if (import.meta.main && process.argv[2] === "--child-load") {
  await childLoad(path.resolve(process.argv[3]!));
  process.exit(0);
} else if (import.meta.main && process.argv[2] === "--child-breakdown") {
  await childBreakdown(path.resolve(process.argv[3]!));
  process.exit(0);
} else if (import.meta.main) {
  const arg = (n: string) => {
    const i = process.argv.indexOf(n);
    return i > 0 ? Number(process.argv[i + 1]) : undefined;
  };
  const figures = await run({ runs: arg("--runs"), files: arg("--files"), perFile: arg("--per-file") });
  printFigures("definition loading (ms; fresh process per run)", figures);
  process.exitCode = printTargets(figures, targets) ? 0 : 1;
}
