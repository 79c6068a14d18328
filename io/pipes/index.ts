/**
 * Dagster Pipes, the process side (docs/pipes.md): run a command with the Pipes context, tail its
 * messages. The protocol itself is pure, in core/pipes. The only door into io/pipes/.
 */
export { decodePipesParam, encodePipesParam } from "./params.ts";
export { pipesSessionFiles, runPipesProcess, STDERR_TAIL_LINES } from "./process.ts";
export type { PipesProcessOptions, PipesProcessResult } from "./process.ts";
export { tailLines } from "./tail.ts";
export type { FileTail } from "./tail.ts";
export { pipesScriptsVersion, pythonClosure, pythonImportsVersion } from "./script-version.ts";
export { projectPython, projectUv, pyAssets, pyCommand } from "./py-asset.ts";
export type { PyAssets } from "./py-asset.ts";
