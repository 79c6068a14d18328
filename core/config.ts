/** `dagx.config.ts` at the project root (optional). Checked at load: unknown keys and bad values are errors. */
import type { IOManager } from "./io-manager.ts";

export interface DagxConfig {
  /** Max steps running at once. @default the number of CPUs */
  concurrency?: number;
  /** Values handed to every asset as `ctx.resources`. */
  resources?: Record<string, unknown>;
  /**
   * IO managers by name, made by `defineIOManager`: an asset chooses one with `io: "name"`. The
   * built-ins `"parquet"` and `"json"` need no declaration.
   */
  ioManagers?: Record<string, IOManager>;
}

/**
 * Type the project configuration.
 * @example
 * export default defineConfig({ concurrency: 4, resources: { apiUrl: "https://example.com" } });
 */
export function defineConfig(config: DagxConfig): DagxConfig {
  return config;
}
