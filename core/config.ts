/** `dagx.config.ts` at the project root (optional). */
export interface DagxConfig {
  /** Max steps running at once. @default the number of CPUs */
  concurrency?: number;
  /** Default storage for tabular outputs. @default "parquet" */
  io?: "parquet" | "json";
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
