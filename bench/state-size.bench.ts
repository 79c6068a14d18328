/**
 * State size: a simulated day of 30 assets materialized every 5 minutes (288 real runs, in
 * process, with their events and materializations) must stay under 30 MB of state.
 * Also measures what `gc --keep` of half the day frees, and that status stays fast afterwards.
 */
import { statSync } from "node:fs";
import { join } from "node:path";
import { readAssetState } from "../io/status/asset-state.ts";
import { createDuckDBStateStore } from "../io/state/duckdb-store.ts";
import { runGc } from "../io/storage/gc.ts";
import { runMaterialize } from "../io/run/materialize.ts";
import { loadProject } from "../io/project/project.ts";
import { type Figures, makeTempProject, removeDir, round, type Target } from "./_util.ts";

export const targets: Target[] = [{ figure: "stateMB", label: "state after a day of 30 assets every 5 min", op: "<", value: 30, unit: "MB" }];

function projectFiles(): Record<string, string> {
  const lines = ['import { asset } from "dagx";'];
  for (let i = 0; i < 30; i++) {
    const deps = i % 10 === 0 ? "" : `deps: ["a${i - 1}"], `;
    lines.push(`export const a${i} = asset({ ${deps}group: "g${Math.floor(i / 10)}" }, (ctx) => { ctx.log.info("tick"); return [{ i: ${i}, at: Date.now() }]; });`);
  }
  return { ".dagx/.keep": "", "day.asset.ts": `${lines.join("\n")}\n` };
}

const size = (dir: string) => {
  let bytes = 0;
  for (const f of ["state.duckdb", "state.duckdb.wal"]) {
    try {
      bytes += statSync(join(dir, ".dagx", f)).size;
    } catch {
      // absent
    }
  }
  return bytes;
};

export async function run(options: { runs?: number } = {}): Promise<Figures> {
  const runs = options.runs ?? 288;
  const dir = makeTempProject(projectFiles(), "dagx-bench-state-size-");
  try {
    const project = await loadProject(dir, { exactRoot: true, now: () => performance.now() });
    const store = createDuckDBStateStore(project.storage.statePath);
    const t0 = performance.now();
    for (let i = 0; i < runs; i++) {
      const r = await runMaterialize(project, store, { selectionText: "*", selected: new Set(project.graph.order), stale: false, concurrency: 4, dryRun: false, trigger: "bench", signal: new AbortController().signal, now: Date.now });
      if (r.status !== "success") throw new Error(`run ${i} ${r.status}`);
    }
    const runMs = performance.now() - t0;
    await store.close();
    const bytes = size(dir);
    const store2 = createDuckDBStateStore(project.storage.statePath);
    const s0 = performance.now();
    await readAssetState(project.graph, project.storage, store2, { now: Date.now(), perPartition: true });
    const statusMs = performance.now() - s0;
    const gc = await runGc(project.storage, store2, { keepMs: 0, now: Date.now(), dryRun: false });
    await store2.close();
    return {
      runs,
      assets: 30,
      materializations: runs * 30,
      stateMB: round(bytes / 1024 / 1024, 2),
      bytesPerMaterialization: Math.round(bytes / (runs * 30)),
      runMsMedianPerRun: round(runMs / runs, 1),
      statusReadMs: round(statusMs, 1),
      gcRuns: gc.runs,
      gcEvents: gc.events,
      stateMBAfterGc: round(size(dir) / 1024 / 1024, 2),
    };
  } finally {
    removeDir(dir);
  }
}

if (import.meta.main) {
  const f = await run({ runs: Number(process.argv[2] ?? 288) });
  for (const [k, v] of Object.entries(f)) console.log(`${k.padEnd(28)} ${v}`);
}
