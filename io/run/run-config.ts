/**
 * A run's config, from the flags to what steps see: `--config-file` (read here) and `--config`
 * arguments → validated against each selected asset's schema before anything runs (every problem at
 * once, exit 2) → `ctx.config`, `runs.config` and each materialization's `configHash`.
 * The rules are core/run-config.ts's; this file reads the file and supplies the hash.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { DagxError } from "../../core/errors.ts";
import type { ProjectGraph } from "../../core/graph.ts";
import {
  applyConfigArgs,
  applyConfigFile,
  configHashOf,
  formatConfigProblems,
  isConfigSchema,
  type RunConfigInput,
  type ConfigSchema,
  type RunConfigProblem,
  resolvedConfigForRecord,
  validateOne,
  validateRunConfig,
} from "../../core/run-config.ts";
import { hashText } from "../storage/index.ts";

/** One asset's config in a run: the validated value (`ctx.config`), its recorded form and hash. */
export interface ResolvedConfig {
  value: unknown;
  /** What `runs.config` stores: see `recordedConfig`. */
  recorded: unknown;
  hash: string;
}

/** The config flags of a command, as typed. */
export interface RunConfigFlags {
  /** `--config ASSET.FIELD=VALUE`, in order. */
  args?: readonly string[];
  /** `--config-file PATH`, relative to `cwd`. */
  file?: string | null;
  cwd: string;
}

/**
 * What a run records of a config value: core's `resolvedConfigForRecord`. Secrets in it are
 * redacted where every stored value is, by the store's wrapper (io/secrets `redactingStore`).
 */
export function recordedConfig(value: unknown): unknown {
  return resolvedConfigForRecord(value);
}

/** The given config (file first, each `--config` on top) and the problems of the flags (passed on to `resolveRunConfig`, which reports them with its own). */
export function readRunConfigInput(graph: ProjectGraph, flags: RunConfigFlags): { input: RunConfigInput; problems: RunConfigProblem[] } {
  const input: RunConfigInput = {};
  const problems: RunConfigProblem[] = [];
  if (flags.file) {
    const path = resolve(flags.cwd, flags.file);
    let content: unknown;
    try {
      content = JSON.parse(readFileSync(path, "utf8"));
    } catch (e) {
      const why = (e as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : e instanceof SyntaxError ? `not valid JSON: ${e.message}` : String((e as Error).message ?? e);
      throw new DagxError("RUN_CONFIG", `Cannot read --config-file "${flags.file}": ${why}`);
    }
    problems.push(...applyConfigFile(content, flags.file, input));
  }
  problems.push(...applyConfigArgs(flags.args ?? [], [...graph.assets.keys()], input));
  return { input, problems };
}

/**
 * Validate the given config for the assets a run selects; returns each config-declaring selected
 * asset's resolved config (its defaults when nothing was given). Throws RUN_CONFIG (exit 2) with
 * every problem: a field the schema rejects, an unknown field, config for an asset that is not
 * selected or declares no schema.
 */
export async function resolveRunConfig(graph: ProjectGraph, selected: ReadonlySet<string>, given: RunConfigInput, flagProblems: readonly RunConfigProblem[] = []): Promise<Map<string, ResolvedConfig>> {
  const targets = graph.order.filter((k) => selected.has(k)).map((key) => {
    const schema = graph.assets.get(key)!.def.options.config;
    return { key, schema: isConfigSchema(schema) ? schema : null };
  });
  const r = await validateRunConfig(given, targets, new Set(graph.assets.keys()));
  if (!r.ok || flagProblems.length > 0) throw configError([...flagProblems, ...(r.ok ? [] : r.problems)]);
  return resolvedConfigs(r.values);
}

function resolvedConfigs(values: ReadonlyMap<string, unknown>): Map<string, ResolvedConfig> {
  const out = new Map<string, ResolvedConfig>();
  for (const [key, value] of values) {
    const recorded = recordedConfig(value);
    out.set(key, { value, recorded, hash: configHashOf(recorded, hashText) });
  }
  return out;
}

/** `ctx.config` of the check functions of a `dagx check` run, by checked asset. */
export interface CheckConfig {
  /** The validated config of each selected asset with a schema that was given config or whose defaults validate. */
  values: ReadonlyMap<string, ResolvedConfig>;
  /** Assets with a schema that needs a field and were given none: why there is no config (thrown when a check reads `ctx.config`). */
  missing: ReadonlyMap<string, string>;
}

/**
 * The config of a `dagx check` run (`--config`, `--config-file`): as a materialization's, validated
 * before anything runs (every problem at once, RUN_CONFIG, exit 2) — except that an asset whose
 * schema has a required field and was given nothing is not an error: most checks never read
 * `ctx.config`; one that does fails with the schema's message and how to give it.
 */
export async function resolveCheckConfig(graph: ProjectGraph, selected: ReadonlySet<string>, given: RunConfigInput, flagProblems: readonly RunConfigProblem[] = []): Promise<CheckConfig> {
  const missing = new Map<string, string>();
  const targets: { key: string; schema: ConfigSchema | null }[] = [];
  for (const key of graph.order) {
    if (!selected.has(key)) continue;
    const raw = graph.assets.get(key)!.def.options.config;
    const schema = isConfigSchema(raw) ? raw : null;
    if (schema !== null && !Object.hasOwn(given, key)) {
      const r = await validateOne(schema, {});
      if (!r.ok) {
        const fields = r.problems.map((p) => `${[key, p.path].filter(Boolean).join(".")}: ${p.message}`).join("; ");
        missing.set(key, `Asset "${key}" has no run config to give its checks (${fields}): pass it with --config ${key}.FIELD=VALUE or --config-file`);
        continue;
      }
    }
    targets.push({ key, schema });
  }
  const r = await validateRunConfig(given, targets, new Set(graph.assets.keys()), "check");
  if (!r.ok || flagProblems.length > 0) throw configError([...flagProblems, ...(r.ok ? [] : r.problems)]);
  return { values: resolvedConfigs(r.values), missing };
}

/** What `runs.config` records for a run: the resolved config of the assets it materializes (absent: none). */
export function runConfigRecord(config: ReadonlyMap<string, ResolvedConfig>, assets: Iterable<string>): Record<string, unknown> | undefined {
  const out: Record<string, unknown> = {};
  for (const k of assets) {
    const c = config.get(k);
    if (c) out[k] = c.recorded;
  }
  return Object.keys(out).length ? out : undefined;
}

function configError(problems: readonly RunConfigProblem[]): DagxError {
  return new DagxError("RUN_CONFIG", `Invalid run config (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n${formatConfigProblems(problems)}\nSee each asset's \`config\` schema; values are JSON when they parse (--config orders.limit=10), else text`);
}
