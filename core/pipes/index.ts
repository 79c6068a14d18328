/**
 * The Dagster Pipes protocol, pure: wire shapes, context building, message parsing and folding,
 * metadata mapping, and the `pipesAsset()` definition. The process side is io/pipes.
 */
export { buildPipesContext } from "./context.ts";
export type { PipesContextInput } from "./context.ts";
export { parsePipesLine } from "./messages.ts";
export type { ParsedLine } from "./messages.ts";
export { pipesMetadataToDagx } from "./metadata.ts";
export { pipesAsset, pipesAssetDef, pipesSpecOf } from "./asset.ts";
export { parsePyHeader } from "./py-header.ts";
export type { PyAssetHeader } from "./py-header.ts";
export type { PipesAssetOptions, PipesMultiAssetOptions, PipesSpec } from "./asset.ts";
export { applyPipesLine, describePipesException, emptyPipesReport } from "./session.ts";
export type { PipesCheckReport, PipesLogLine, PipesMaterialization, PipesReport } from "./session.ts";
export * from "./protocol.ts";
export { pythonImports } from "./py-imports.ts";
export type { PyImport } from "./py-imports.ts";
