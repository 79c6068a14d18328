/**
 * The project: its root, config, discovery and loading of asset files (code versions, the virtual "dagx" module, instigators), scaffolding and type declarations.
 * The only door into io/project/: other folders import from here, never a file behind it.
 */
export { adoptCodeVersions, adoptingStore } from "./code-version-adoption.ts";
export { addDynamicPartitionKeys, listDynamicPartitionKeys, removeDynamicPartitionKeys } from "./dynamic-partitions.ts";
export { loadConfig, loadProject, resolveProjectRoot } from "./project.ts";
export { freshAssetImports } from "./loader.ts";
export type { Project } from "./project.ts";
export { writeScaffold } from "./scaffold.ts";
export { TYPES_REL_PATH, writeTypeDeclarations } from "./type-declarations.ts";
export { compileSqlAsset, type SqlPartition, sqlAssetInfo } from "./sql-asset.ts";
export type { CompiledSqlAsset } from "./sql-asset.ts";
export { mayHaveRowTypes, sqlAssetRowTypes } from "./sql-asset-types.ts";
export { openProjectState, openStateAt, stateUrlAt } from "./state-store.ts";
