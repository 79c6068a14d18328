/**
 * The project the UI serves: loaded once, reloaded when a file of the project changes (chokidar,
 * debounced), the last good load kept while a reload fails. Reloads import the project's code afresh
 * (io/project `freshAssetImports`): asset files, the modules they import and `dagx.config.ts`.
 */
import { watch, type FSWatcher } from "chokidar";
import { relative, sep } from "node:path";
import type { LoadError } from "../../core/definitions.ts";
import { DagxError } from "../../core/errors.ts";
import { freshAssetImports, loadProject, type Project } from "../project/index.ts";

/** What the API needs of the project: the last good load and the errors of the latest. */
export interface ProjectHolder {
  /** The project (throws the load error when no load ever succeeded). */
  get(): Project;
  /** Load errors of the latest load: files that failed to import, or what stopped the whole load. */
  loadErrors(): { file: string; line: number | null; message: string }[];
  /** Called after every reload (the change feed sends `definitions`). */
  onReload(listener: () => void): void;
  close(): Promise<void>;
}

const SKIP = /(^|\/)(node_modules|\.dagx|dist|\.[^/]+)(\/|$)/;
const SOURCE = /\.(ts|tsx|js|mjs|json)$/;

/** Load the project at `root` and keep it current while `watchFiles` (the UI server; tests may not watch). */
export async function createProjectHolder(root: string, options: { watchFiles?: boolean; debounceMs?: number } = {}): Promise<ProjectHolder> {
  let project: Project | null = null;
  let failure: unknown = null;
  const listeners: (() => void)[] = [];
  const load = async () => {
    try {
      project = await loadProject(root, { exactRoot: true, now: () => performance.now() });
      failure = null;
    } catch (e) {
      failure = e;
    }
  };
  await load();
  let watcher: FSWatcher | null = null;
  let timer: ReturnType<typeof setTimeout> | null = null;
  let chain = Promise.resolve();
  if (options.watchFiles !== false) {
    watcher = watch(root, { ignoreInitial: true, ignored: (p: string) => SKIP.test(relative(root, p).split(sep).join("/")) });
    const changed = (file: string) => {
      if (!SOURCE.test(file)) return;
      if (timer) clearTimeout(timer);
      timer = setTimeout(() => {
        timer = null;
        chain = chain.then(async () => {
          freshAssetImports(root);
          await load();
          for (const l of listeners) l();
        });
      }, options.debounceMs ?? 100);
    };
    watcher.on("add", changed).on("change", changed).on("unlink", changed);
  }
  return {
    get() {
      if (!project) throw failure instanceof Error ? failure : new DagxError("DEFINITION_LOAD", `Cannot load the project: ${String(failure)}`);
      return project;
    },
    loadErrors() {
      const files: readonly LoadError[] = project && !failure ? project.graph.errors : [];
      const list = files.map((e) => ({ file: relative(root, e.file) || e.file, line: e.line, message: e.message }));
      if (failure) list.push({ file: "", line: null, message: failure instanceof Error ? failure.message : String(failure) });
      return list;
    },
    onReload: (l) => void listeners.push(l),
    async close() {
      if (timer) clearTimeout(timer);
      await watcher?.close();
      await chain;
    },
  };
}
