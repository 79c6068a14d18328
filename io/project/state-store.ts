/**
 * Which state store a project uses: its Postgres database (`DAGX_STATE_URL`, or `state` in
 * dagx.config.ts) or its `.dagx/state.duckdb`. Every command and server that reads or writes state
 * opens it through here, so none of them falls back to the file while the project says Postgres.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { StateStore } from "../../core/state-store.ts";
import { projectEnv } from "../secrets/index.ts";
import { openStateStore, STATE_URL_VARIABLE, stateUrlOf } from "../state/index.ts";
import { createStorage } from "../storage/index.ts";
import { loadConfig, type Project } from "./project.ts";

/**
 * The Postgres state URL of the project at `root` without loading it: `DAGX_STATE_URL`, else — only
 * when dagx.config.ts sets `state` — the config (that file alone is imported, no asset file), else
 * null (the DuckDB file). For commands that must work while an asset file is broken.
 */
export async function stateUrlAt(root: string): Promise<string | null> {
  const env = projectEnv(root);
  if (env.get(STATE_URL_VARIABLE)?.trim()) return stateUrlOf(undefined, env);
  const file = join(root, "dagx.config.ts");
  if (!existsSync(file) || !/\bstate\s*:/.test(readFileSync(file, "utf8"))) return null;
  return stateUrlOf((await loadConfig(root)).state, env);
}

/** The state store of a loaded project. */
export function openProjectState(project: Project): StateStore {
  return openStateStore(project.storage.statePath, stateUrlOf(project.config.state, projectEnv(project.root)));
}

/** The state store of the project at `root`, without loading its assets (see {@link stateUrlAt}). */
export async function openStateAt(root: string): Promise<StateStore> {
  return openStateStore(createStorage(root).statePath, await stateUrlAt(root));
}
