/** Builds what commands need: output, project (with load errors reported) or state only, state store. */
import type { StateStore } from "../core/state-store.ts";
import { createDuckDBStateStore } from "../io/state/index.ts";
import { loadProject, type Project, resolveProjectRoot } from "../io/project/index.ts";
import { createStorage, type Storage } from "../io/storage/index.ts";
import type { GlobalFlags } from "./args.ts";
import { reportLoadErrors } from "./errors.ts";
import { createOutput, type Output } from "./output.ts";

/** The wall clock: the one place commands read it; io and core get it passed down. */
export const wallClock = (): number => Date.now();

export interface CommandContext {
  out: Output;
  project: Project;
  store: StateStore;
  /** The clock (epoch ms) to pass to io. */
  now: () => number;
}

/** Load the project, open the state store, run `fn`, always close. Returns fn's exit code. */
export async function withProject(flags: GlobalFlags, fn: (ctx: CommandContext) => Promise<number | void>): Promise<number> {
  const out = createOutput(flags);
  const project = await loadProject(flags.cwd ?? process.cwd(), { exactRoot: flags.cwd !== undefined, now: () => performance.now() });
  reportLoadErrors(out, project.graph.errors);
  const store = createDuckDBStateStore(project.storage.statePath);
  try {
    return (await fn({ out, project, store, now: wallClock })) ?? 0;
  } finally {
    await store.close();
  }
}

export interface StateContext {
  out: Output;
  root: string;
  storage: Storage;
  store: StateStore;
  /** The clock (epoch ms) to pass to io. */
  now: () => number;
}

/**
 * For commands that only read (or prune) recorded state — runs, logs, backfill list/show, gc,
 * query: find the root and open the state store, never importing the config or any asset file,
 * so they work while an asset file is broken and run no user code.
 */
export async function withState(flags: GlobalFlags, fn: (ctx: StateContext) => Promise<number | void>): Promise<number> {
  const out = createOutput(flags);
  const root = resolveProjectRoot(flags.cwd);
  const storage = createStorage(root);
  const store = createDuckDBStateStore(storage.statePath);
  try {
    return (await fn({ out, root, storage, store, now: wallClock })) ?? 0;
  } finally {
    await store.close();
  }
}
