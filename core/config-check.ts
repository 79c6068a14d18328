/** Load-time validation of `dagx.config.ts`'s default export: types, ranges and unknown keys. */
import { describeValue } from "./automation/_select.ts";
import type { DagxConfig } from "./config.ts";
import { didYouMean } from "./suggest.ts";

/** Keys of DagxConfig, in the order the docs list them. */
export const CONFIG_KEYS = ["concurrency", "resources"] as const;

/** Keys a user may expect from other tools or older docs, with where the setting lives instead. */
const MOVED: Record<string, string> = {
  io: 'set io on each asset instead, e.g. asset({ io: "json" }, …)',
};

/** A problem with the config: the key it is about (null for the whole value) and what is wrong with it. */
export interface ConfigProblem {
  key: string | null;
  problem: string;
}

/** The config, or its first problem. Reads each value once (a getter that throws is reported by the caller). */
export function checkConfig(value: unknown): { config: DagxConfig } | ConfigProblem {
  if (value === undefined) return { config: {} };
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return { key: null, problem: `the default export must be an object like defineConfig({ concurrency: 4 }) (got ${describeValue(value)})` };
  }
  const raw = value as Record<string, unknown>;
  for (const key of Object.keys(raw)) {
    if ((CONFIG_KEYS as readonly string[]).includes(key)) continue;
    const fix = MOVED[key] ? `: ${MOVED[key]}` : didYouMean(key, CONFIG_KEYS) || ` — known keys: ${CONFIG_KEYS.join(", ")}`;
    return { key, problem: `unknown key "${key}"${fix}` };
  }
  const config: DagxConfig = {};
  const concurrency = raw.concurrency;
  if (concurrency !== undefined) {
    if (typeof concurrency !== "number" || !Number.isInteger(concurrency) || concurrency < 1) {
      return { key: "concurrency", problem: `concurrency must be a whole number ≥ 1, the most steps running at once (got ${describeValue(concurrency)})` };
    }
    config.concurrency = concurrency;
  }
  const resources = raw.resources;
  if (resources !== undefined) {
    if (typeof resources !== "object" || resources === null || Array.isArray(resources)) {
      return { key: "resources", problem: `resources must be an object of named values, like resources: { apiUrl: "https://example.com" } (got ${describeValue(resources)})` };
    }
    config.resources = resources as Record<string, unknown>;
  }
  return { config };
}
