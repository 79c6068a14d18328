/** Builds what commands need: output, project (with load errors reported), state store. */
import type { StateStore } from "../core/types.ts";
import { createDuckDBStateStore } from "../io/duckdb-state-store.ts";
import { loadProject, type Project } from "../io/project.ts";
import type { GlobalFlags } from "./args.ts";
import { reportLoadErrors } from "./errors.ts";
import { createOutput, type Output } from "./output.ts";

export interface CommandContext {
  out: Output;
  project: Project;
  store: StateStore;
}

/** Load the project, open the state store, run `fn`, always close. Returns fn's exit code. */
export async function withProject(flags: GlobalFlags, fn: (ctx: CommandContext) => Promise<number | void>): Promise<number> {
  const out = createOutput(flags);
  const project = await loadProject(flags.cwd ?? process.cwd(), { now: () => performance.now() });
  reportLoadErrors(out, project.graph.errors);
  const store = createDuckDBStateStore(project.storage.statePath);
  try {
    return (await fn({ out, project, store })) ?? 0;
  } finally {
    await store.close();
  }
}
