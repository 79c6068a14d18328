/** The project context every command builds first: root, storage, config, definitions, graph. */
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import type { DagxConfig } from "../core/config.ts";
import { DefinitionError } from "../core/errors.ts";
import { buildGraph, type ProjectGraph } from "../core/graph.ts";
import { describeLoadError, loadDefinitions } from "./loader.ts";
import { createStorage, type Storage } from "./storage.ts";
import { registerDagxModule } from "./virtual-module.ts";
import { loadInstigators, type ProjectInstigators } from "./instigators.ts";

export interface Project {
  root: string;
  storage: Storage;
  config: DagxConfig;
  graph: ProjectGraph;
  /** Schedules, sensors and automation conditions, validated. */
  instigators: ProjectInstigators;
  loadMs: number;
}

/** Nearest folder upward holding dagx.config.ts or .dagx/, else `start`. */
export function findProjectRoot(start: string): string {
  let dir = resolve(start);
  for (;;) {
    if (existsSync(join(dir, "dagx.config.ts")) || existsSync(join(dir, ".dagx"))) return dir;
    const up = dirname(dir);
    if (up === dir) return resolve(start);
    dir = up;
  }
}

export async function loadConfig(root: string): Promise<DagxConfig> {
  const file = join(root, "dagx.config.ts");
  if (!existsSync(file)) return {};
  registerDagxModule();
  try {
    const mod = (await import(file)) as { default?: DagxConfig };
    return mod.default ?? {};
  } catch (e) {
    const le = describeLoadError(root, file, e);
    throw new DefinitionError("DEFINITION_LOAD", `${le.message}${le.frame ? `\n${le.frame}` : ""}`, file, { cause: e });
  }
}

/** Load config, definitions and the validated graph of the project at (or above) `cwd`. */
export async function loadProject(cwd: string, options: { exactRoot?: boolean; now: () => number }): Promise<Project> {
  const t0 = options.now();
  const root = options.exactRoot ? resolve(cwd) : findProjectRoot(cwd);
  const config = await loadConfig(root);
  const defs = await loadDefinitions(root);
  const graph = buildGraph(defs);
  const instigators = loadInstigators(graph);
  return { root, storage: createStorage(root), config, graph, instigators, loadMs: options.now() - t0 };
}
