/**
 * An in-process project for io tests: real files in a temp folder, the memory state store, and
 * the io facades' entry points (loadProject, runMaterialize, runBackfill, runCheckCommand,
 * readAssetState, runQuery) with the options a test does not care about filled in.
 * Asset code runs in the test process: one project per test, no edit of an asset file after
 * `openProject` (the process keeps the modules it imported).
 */
import type { StateStore } from "../../core/state-store.ts";
import { formatRanges } from "../../core/partitions/index.ts";
import { selectAssets } from "../../core/selection/index.ts";
import { loadProject, type Project } from "../../io/project/index.ts";
import { rowObjectsJson, runQuery } from "../../io/query/index.ts";
import { type BackfillOptions as RunBackfillOptions, type CheckCommandOptions, type MaterializeOptions as RunMaterializeOptions, type RunOutcome, runBackfill, runCheckCommand, runMaterialize } from "../../io/run/index.ts";
import { createMemoryStateStore } from "../../io/state/index.ts";
import { readAssetState } from "../../io/status/index.ts";
import { makeProject, removeProject } from "../cli/helpers.ts";

type MaterializeOptions = Parameters<typeof runMaterialize>[2];
type BackfillOptions = Parameters<typeof runBackfill>[2];
type CheckOptions = Parameters<typeof runCheckCommand>[2];
type BackfillOutcome = Awaited<ReturnType<typeof runBackfill>>;

/** What `dagx status --json` says of an asset, as far as tests compare it. */
export interface AssetStatus {
  status: string;
  causes: string[];
  partitions: { total: number; materialized: number; missing: number; failed: number; stale: number; ranges: { materialized: string; failed: string; stale: string } } | null;
}

export interface TestProject {
  dir: string;
  project: Project;
  store: StateStore;
  /** Load the project again (an asset file added since; files imported before keep their modules), same store. */
  reload(): Promise<TestProject>;
  /** `dagx materialize SELECTION [--partitions RANGE]`: a real run unless `dryRun`. */
  materialize(selection: string, o?: Partial<MaterializeOptions>): Promise<RunOutcome>;
  /** `dagx backfill SELECTION --partitions RANGE`, or `--resume ID` with `{ resume: id }`. */
  backfill(selection: string, o: Partial<Omit<BackfillOptions, "resume">> & { resume?: string }): Promise<BackfillOutcome>;
  /** `dagx check SELECTION`. */
  check(selection: string, o?: Partial<CheckOptions>): Promise<Awaited<ReturnType<typeof runCheckCommand>>>;
  /** Status of every asset (or of `keys`), by key. */
  status(keys?: string[]): Promise<Map<string, AssetStatus>>;
  /** `dagx query SQL` over the recorded outputs: rows as plain objects. */
  query<T = Record<string, unknown>>(sql: string): Promise<T[]>;
}

/** Write `files` to a temp folder (removed by `cleanup()`) and load it as a project with a memory store. */
export function testProjects(prefix = "dagx-io-"): { open(files: Record<string, string>): Promise<TestProject>; cleanup(): void } {
  const dirs: string[] = [];
  return {
    async open(files) {
      const dir = makeProject({ ".dagx/.keep": "", ...files }, prefix);
      dirs.push(dir);
      return openProject(dir, await load(dir), createMemoryStateStore());
    },
    cleanup: () => dirs.forEach(removeProject),
  };
}

const load = (dir: string) => loadProject(dir, { exactRoot: true, now: () => performance.now() });

function openProject(dir: string, project: Project, store: StateStore): TestProject {
  const selected = (selection: string) => selectAssets([selection], project.graph);
  const signal = new AbortController().signal;
  return {
    dir,
    project,
    store,
    reload: async () => openProject(dir, await load(dir), store),
    materialize: (selection, o = {}) =>
      runMaterialize(project, store, { selectionText: selection, selected: selected(selection), stale: false, concurrency: 2, dryRun: false, trigger: "cli", signal, now: () => Date.now(), ...o } as RunMaterializeOptions),
    async backfill(selection, { resume, ...o }) {
      const record = resume ? await store.getBackfill(resume) : null;
      if (resume && !record) throw new Error(`no backfill ${resume}`);
      const selectionText = record ? record.backfill.selection : selection;
      return runBackfill(project, store, { selectionText, selected: selected(selectionText), concurrency: 2, signal, partitionSelection: record ? record.backfill.partitions : "", resume: record, now: () => Date.now(), ...o } as RunBackfillOptions);
    },
    check: (selection, o = {}) => runCheckCommand(project, store, { selected: selected(selection), selectionText: selection, signal, singlePartition: false, now: () => Date.now(), ...o, partitionSelection: o.partitionSelection ?? null } as CheckCommandOptions),
    async status(keys) {
      const st = await readAssetState(project.graph, project.storage, store, { now: Date.now(), perPartition: true });
      const out = new Map<string, AssetStatus>();
      for (const k of keys ?? project.graph.order) {
        const ps = st.partitionStatuses.get(k);
        if (!ps) {
          const s = st.statuses.get(k)!;
          out.set(k, { status: s.status, causes: s.causes, partitions: null });
          continue;
        }
        const ranges = (set: typeof ps.stale) => formatRanges(set, ps.space, { maxRanges: 20 });
        const partitions = { total: ps.total, materialized: ps.materialized.size, missing: ps.missing.size, failed: ps.failed.size, stale: ps.stale.size, ranges: { materialized: ranges(ps.materialized), failed: ranges(ps.failed), stale: ranges(ps.stale) } };
        out.set(k, { status: ps.status, causes: ps.causes, partitions });
      }
      return out;
    },
    query: <T>(sql: string) => runQuery(project.storage, store, sql, {}, ({ reader }) => rowObjectsJson(reader) as T[]),
  };
}

