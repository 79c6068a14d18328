/**
 * The platform dagx runs on: runtime facts (platform, Bun, DuckDB version, compiled or not) and
 * the embedded DuckDB library of the compiled binary (where it was extracted and loaded from).
 * The only door into io/platform/ (scripts/build.ts embeds duckdb-embedded.ts by path).
 */
export { dagxCacheRoot, DUCKDB_DIR_ENV, duckDBWorkEnds, duckDBWorkStarts, duckDBWorksUnderWay, embeddedDuckDBLoad, releaseDuckDBMemory } from "./duckdb-embedded.ts";
export type { EmbeddedDuckDBLoad } from "./duckdb-embedded.ts";
export { stallAt } from "./fault.ts";
export { dagxOs, dagxPlatform, DUCKDB_VERSION, isCompiledBinary, RELEASE_PLATFORMS, runtimeInfo } from "./runtime.ts";
export type { RuntimeInfo } from "./runtime.ts";
export { DuckDBExtensionError, duckdbExtensionFile, duckdbExtensionSource, embeddedExtensionNames, EXTENSION_VERSION, EXTENSION_WHEEL_PLATFORMS, EXTENSION_WHEELS, EXTENSIONS_DIR_ENV, extensionCacheDir, extensionLoadError, fetchExtensionFiles, loadDuckDBExtension, registerEmbeddedExtensions } from "./extensions.ts";
export type { DuckDBExtensionName, DuckDBExtensionSource } from "./extensions.ts";
