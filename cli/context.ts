/**
 * Builds what commands need: output, the project root, the project (with load errors reported)
 * or the state only, the state store, and the cancel signal of Ctrl-C. A command's `run()` gets
 * its flags and the invocation's terminal from citty (cli/main.ts passes the terminal as `data`).
 */
import type { StateStore } from "../core/state-store.ts";
import { openStateStore, releaseWarmStateHost, stateUrlOf, warmStateHost } from "../io/state/index.ts";
import { adoptingStore, loadProject, type Project, resolveProjectRoot, stateUrlAt } from "../io/project/index.ts";
import { declareEnvironmentSecrets, projectEnv } from "../io/secrets/index.ts";
import { createStorage, type Storage } from "../io/storage/index.ts";
import type { GlobalFlags } from "./args.ts";
import { reportLoadErrors } from "./errors.ts";
import { createOutput, type Output } from "./output.ts";
import type { Terminal } from "./terminal.ts";

/** What citty hands a command's `run()`. */
export interface Invocation {
  args: GlobalFlags;
  data?: unknown;
}

/** The wall clock: the one place commands read it; io and core get it passed down. */
export const wallClock = (): number => Date.now();

export interface BaseContext {
  out: Output;
  terminal: Terminal;
  /** The clock (epoch ms) to pass to io. */
  now: () => number;
  /** The signal that the first Ctrl-C aborts, after printing `message` (cli/interrupt.ts). */
  cancelOnInterrupt(message: string): AbortSignal;
}

export function baseContext(cmd: Invocation): BaseContext {
  const terminal = cmd.data as Terminal | undefined;
  if (!terminal?.interrupts) throw new Error("internal: a command ran without its terminal (cli/main.ts passes it)");
  const out = createOutput(cmd.args, terminal);
  return { out, terminal, now: wallClock, cancelOnInterrupt: (message) => terminal.interrupts.signal(() => out.say(out.c.yellow(message))) };
}

/** The project root: -C exactly, else found upward from where dagx started. */
export function projectRoot(cmd: Invocation, base: BaseContext): string {
  return resolveProjectRoot(cmd.args.cwd, base.terminal.cwd);
}

export interface ProjectContext extends BaseContext {
  project: Project;
  store: StateStore;
  /** The Postgres state's URL, null for the DuckDB file (the work queue needs Postgres). */
  stateUrl: string | null;
}

export interface WithProjectOptions {
  /**
   * The command reads the state first thing (materialize, backfill, status): the state store's
   * DuckDB host is created on a worker thread while the project loads, and the first state
   * session takes it (closed here if none did, e.g. after a load error). Commands that may not
   * open the state (list, lineage) leave it off: an unused instance costs CPU and memory.
   * @default false
   */
  readsState?: boolean;
}

/** Load the project, open the state store, run `fn`, always close. Returns fn's exit code. */
export async function withProject(cmd: Invocation, fn: (ctx: ProjectContext) => Promise<number | void>, options: WithProjectOptions = {}): Promise<number> {
  const base = baseContext(cmd);
  if (options.readsState) warmStateHost();
  try {
    const project = await loadProject(projectRoot(cmd, base), { exactRoot: true, now: () => performance.now() });
    reportLoadErrors(base.out, project.graph.errors);
    const stateUrl = stateUrlOf(project.config.state, projectEnv(project.root));
    const raw = openStateStore(project.storage.statePath, stateUrl);
    const store = adoptingStore(project, raw, base.now(), (n) =>
      base.out.say(`Code versions: ${n} materialization(s) recorded by an earlier dagx kept as fresh (same code, new way of versioning it; docs/releasing.md)`));
    try {
      return (await fn({ ...base, project, store, stateUrl })) ?? 0;
    } finally {
      await store.close();
    }
  } finally {
    // a command that ended before opening the state (a load error) left the warm host unused
    await releaseWarmStateHost();
  }
}

export interface StateContext extends BaseContext {
  root: string;
  storage: Storage;
  store: StateStore;
  /** The Postgres state's URL, null for the DuckDB file. */
  stateUrl: string | null;
}

/**
 * For commands that only read (or prune) recorded state — runs, logs, backfill list/show/cancel,
 * gc, query: find the root and open the state store, never importing the config or any asset
 * file, so they work while an asset file is broken and run no user code.
 */
export async function withState(cmd: Invocation, fn: (ctx: StateContext) => Promise<number | void>): Promise<number> {
  const base = baseContext(cmd);
  const root = projectRoot(cmd, base);
  // no config here to say which env() values are secret: the .env's and the environment's secret-looking names are
  declareEnvironmentSecrets(root);
  const storage = createStorage(root);
  const stateUrl = await stateUrlAt(root);
  const store = openStateStore(storage.statePath, stateUrl);
  try {
    return (await fn({ ...base, root, storage, store, stateUrl })) ?? 0;
  } finally {
    await store.close();
  }
}

