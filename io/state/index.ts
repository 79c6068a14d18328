/**
 * The state store: `.dagx/state.duckdb` (short sessions behind a file lock, migrations, the appender) and its in-memory twin, plus the buffered writer runs use.
 * The only door into io/state/: other folders import from here, never a file behind it.
 */
export { slotKey } from "./_records.ts";
export { createDuckDBStateStore } from "./duckdb-store.ts";
export { createMemoryStateStore } from "./memory-store.ts";
export { createStateWriter } from "./writer.ts";
export { releaseWarmStateHost, warmStateHost } from "./_session.ts";
export { inspectStateFile } from "./inspect.ts";
export type { StateFileInfo } from "./inspect.ts";
