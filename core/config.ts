/** `dagx.config.ts` at the project root (optional). Checked at load: unknown keys and bad values are errors. */
export interface DagxConfig {
  /** Max steps running at once. @default the number of CPUs */
  concurrency?: number;
  /** Values handed to every asset as `ctx.resources`. */
  resources?: Record<string, unknown>;
}

/**
 * Type the project configuration.
 * @example
 * export default defineConfig({ concurrency: 4, resources: { apiUrl: "https://example.com" } });
 */
export function defineConfig(config: DagxConfig): DagxConfig {
  return config;
}
