/**
 * Per-run config (Dagster's run config and `Config` classes). An asset declares a `config` schema:
 * any object implementing Standard Schema v1 (valibot, zod ≥ 3.24, arktype, or the valibot the
 * "dagx" module re-exports as `v`); `ctx.config` is the schema's output. Values are given per run
 * (`--config asset.field=value`, `--config-file run.json`), validated before the run starts, recorded
 * with the run, and hashed into each materialization's provenance (`configHash`).
 *
 * Pure: the hash function is injected (io's `hashText`); validation may be async (the spec allows it).
 */
import { suggest } from "./suggest.ts";

/** The result of a Standard Schema's `validate`: the output value, or the issues found. */
export type StandardResult<Output> = { readonly value: Output; readonly issues?: undefined } | { readonly issues: readonly StandardIssue[] };

/** One problem a Standard Schema reports: its message and where in the value. */
export interface StandardIssue {
  readonly message: string;
  readonly path?: readonly (PropertyKey | { readonly key: PropertyKey })[] | undefined;
}

/** The `~standard` property of a Standard Schema v1 (standardschema.dev), as dagx reads it. */
export interface StandardProps<Input = unknown, Output = Input> {
  readonly version: 1;
  readonly vendor: string;
  readonly validate: (value: unknown) => StandardResult<Output> | Promise<StandardResult<Output>>;
  readonly types?: { readonly input: Input; readonly output: Output } | undefined;
}

/** A Standard Schema v1: what an asset's `config` option accepts (valibot, zod ≥ 3.24, arktype, …). */
export interface StandardSchemaV1<Input = unknown, Output = Input> {
  readonly "~standard": StandardProps<Input, Output>;
}

/** Any config schema. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type ConfigSchema = StandardSchemaV1<any, any>;

/** `ctx.config`'s type for an asset whose `config` option is `S`: the schema's output, `undefined` without one. */
export type ConfigOf<S> = [S] extends [undefined] ? undefined : S extends StandardSchemaV1<infer _I, infer O> ? O : undefined;

/** True when `value` implements Standard Schema v1. */
export function isConfigSchema(value: unknown): value is ConfigSchema {
  if ((typeof value !== "object" && typeof value !== "function") || value === null) return false;
  const s = (value as { "~standard"?: { version?: unknown; validate?: unknown } })["~standard"];
  return typeof s === "object" && s !== null && s.version === 1 && typeof s.validate === "function";
}

/** One problem of a run's config: the asset (null when the argument names none), the field path ("" = the whole config) and what is wrong. */
export interface RunConfigProblem {
  asset: string | null;
  path: string;
  message: string;
}

/** Given config by asset key, before validation: `--config-file` first, each `--config` on top. */
export type RunConfigInput = Record<string, unknown>;

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v) && Object.getPrototypeOf(v) === Object.prototype;

/** A `--config` value: JSON when it parses as JSON (`5`, `true`, `"x"`, `[1,2]`, `{"a":1}`, `null`), else the text itself. */
export function parseConfigValue(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/**
 * The asset key a `--config` path starts with: the longest key `k` with `path === k` or `path`
 * starting with `k.` (keys may hold dots), and the field path after it. Null when no key fits.
 */
export function splitConfigPath(path: string, keys: Iterable<string>): { key: string; fields: string[] } | null {
  let best: string | null = null;
  for (const k of keys) {
    if ((path === k || path.startsWith(`${k}.`)) && (best === null || k.length > best.length)) best = k;
  }
  if (best === null) return null;
  return { key: best, fields: path === best ? [] : path.slice(best.length + 1).split(".") };
}

/**
 * Add `--config key.field=value` arguments (in order, a later one wins) to `into`. `keys` are every
 * asset key of the project. Returns the problems (bad syntax, unknown asset with did-you-mean).
 */
export function applyConfigArgs(args: readonly string[], keys: readonly string[], into: RunConfigInput): RunConfigProblem[] {
  const problems: RunConfigProblem[] = [];
  for (const arg of args) {
    const eq = arg.indexOf("=");
    if (eq <= 0) {
      problems.push({ asset: null, path: "", message: `Invalid --config "${arg}": expected ASSET.FIELD=VALUE, e.g. --config orders.limit=10` });
      continue;
    }
    const left = arg.slice(0, eq);
    const split = splitConfigPath(left, keys);
    if (!split) {
      const word = left.split(".")[0]!;
      const near = suggest(word, keys);
      problems.push({ asset: null, path: "", message: `Invalid --config "${arg}": no asset "${word}"${near.length ? ` — did you mean ${near.map((n) => `"${n}"`).join(", ")}?` : ""}` });
      continue;
    }
    if (split.fields.some((f) => f === "")) {
      problems.push({ asset: split.key, path: split.fields.join("."), message: `Invalid --config "${arg}": empty field name` });
      continue;
    }
    const conflict = setPath(into, [split.key, ...split.fields], parseConfigValue(arg.slice(eq + 1)));
    if (conflict !== null) problems.push({ asset: split.key, path: split.fields.join("."), message: `Invalid --config "${arg}": "${[split.key, ...split.fields.slice(0, conflict)].join(".")}" is already given a value that is not an object` });
  }
  return problems;
}

/** Set `value` at `path`, creating objects; returns the depth of a non-object in the way, else null. */
function setPath(into: Record<string, unknown>, path: readonly string[], value: unknown): number | null {
  let at: Record<string, unknown> = into;
  for (let i = 0; i < path.length - 1; i++) {
    const seg = path[i]!;
    const next = at[seg];
    if (next === undefined) at = at[seg] = {};
    else if (isPlainObject(next)) at = next;
    else return i;
  }
  at[path[path.length - 1]!] = value;
  return null;
}

/** The contents of a `--config-file`: `{ "<asset key>": <config> }`. Returns the problems of its shape. */
export function applyConfigFile(content: unknown, source: string, into: RunConfigInput): RunConfigProblem[] {
  if (!isPlainObject(content)) return [{ asset: null, path: "", message: `Invalid --config-file "${source}": expected a JSON object of config by asset key, like { "orders": { "limit": 10 } }` }];
  for (const [key, value] of Object.entries(content)) into[key] = structuredClone(value);
  return [];
}

/** An asset that runs, with its schema (null: it declares none). */
export interface ConfigTarget {
  key: string;
  schema: ConfigSchema | null;
}

/** The validated config of the assets that declare a schema, by key, or every problem found. */
export type RunConfigResult = { ok: true; values: Map<string, unknown> } | { ok: false; problems: RunConfigProblem[] };

/**
 * Validate a run's config: each given asset must be in the run (`targets`) and declare a schema;
 * each target with a schema is validated (nothing given: `{}`, so the schema's defaults apply), and a
 * field the schema's output drops is unknown. `allKeys` (every asset) tells an unknown key from one
 * left out of the selection (`verb`: what the run does to its selection, for that message). Every
 * problem is reported, none stops the others.
 */
export async function validateRunConfig(given: RunConfigInput, targets: readonly ConfigTarget[], allKeys: ReadonlySet<string>, verb = "materialize"): Promise<RunConfigResult> {
  const problems: RunConfigProblem[] = [];
  const byKey = new Map(targets.map((t) => [t.key, t]));
  const withSchema = targets.filter((t) => t.schema !== null).map((t) => t.key);
  for (const key of Object.keys(given)) {
    const t = byKey.get(key);
    const near = suggest(key, withSchema);
    const hint = near.length ? ` — did you mean ${near.map((n) => `"${n}"`).join(", ")}?` : "";
    if (!allKeys.has(key)) problems.push({ asset: key, path: "", message: `Config for unknown asset "${key}"${hint}` });
    else if (!t) problems.push({ asset: key, path: "", message: `Config for asset "${key}", which this run does not ${verb}: add it to the selection or drop its config${hint}` });
    else if (t.schema === null) problems.push({ asset: key, path: "", message: `Config for asset "${key}", which declares no config schema: add \`config\` to its asset() options or drop its config${hint}` });
  }
  const values = new Map<string, unknown>();
  await Promise.all(
    targets.map(async (t) => {
      if (t.schema === null) return;
      const input = Object.hasOwn(given, t.key) ? given[t.key] : {};
      const r = await validateOne(t.schema, input);
      if (r.ok) values.set(t.key, r.value);
      else for (const p of r.problems) problems.push({ asset: t.key, ...p });
    }),
  );
  if (problems.length > 0) return { ok: false, problems: sortProblems(problems) };
  return { ok: true, values };
}

/** One value against one schema: its output, or its issues and unknown fields. */
export async function validateOne(schema: ConfigSchema, input: unknown): Promise<{ ok: true; value: unknown } | { ok: false; problems: Omit<RunConfigProblem, "asset">[] }> {
  let result: StandardResult<unknown>;
  try {
    result = await schema["~standard"].validate(input);
  } catch (e) {
    return { ok: false, problems: [{ path: "", message: `the config schema threw: ${e instanceof Error ? e.message : String(e)}` }] };
  }
  if (result.issues) {
    const problems = result.issues.map((i) => ({ path: issuePath(i), message: i.message }));
    // report unknown fields in the same pass where the schema's defaults tell the known ones
    const defaults = isPlainObject(input) ? await Promise.resolve(schema["~standard"].validate({})).catch(() => null) : null;
    if (defaults && !defaults.issues) problems.push(...unknownFields(input, defaults.value, []).filter((u) => !problems.some((p) => p.path === u.path)));
    return { ok: false, problems };
  }
  const unknown = unknownFields(input, result.value, []);
  if (unknown.length) return { ok: false, problems: unknown };
  return { ok: true, value: result.value };
}

/**
 * Fields of `input` that the schema's output drops (most schemas strip unknown keys silently): each is
 * an error, with the output's fields as suggestions. A schema that keeps extra keys (valibot's
 * looseObject, zod's passthrough) allows them.
 */
function unknownFields(input: unknown, output: unknown, path: string[]): Omit<RunConfigProblem, "asset">[] {
  if (Array.isArray(input) && Array.isArray(output)) return input.flatMap((v, i) => unknownFields(v, output[i], [...path, String(i)]));
  if (!isPlainObject(input) || !isPlainObject(output)) return [];
  const problems: Omit<RunConfigProblem, "asset">[] = [];
  for (const [k, v] of Object.entries(input)) {
    if (!Object.hasOwn(output, k)) {
      const near = suggest(k, Object.keys(output));
      problems.push({ path: [...path, k].join("."), message: `unknown field${near.length ? ` — did you mean ${near.map((n) => `"${n}"`).join(", ")}?` : ` (known: ${Object.keys(output).join(", ") || "none"})`}` });
    } else problems.push(...unknownFields(v, output[k], [...path, k]));
  }
  return problems;
}

const issuePath = (i: StandardIssue): string => (i.path ?? []).map((s) => String(typeof s === "object" && s !== null ? s.key : s)).join(".");

function sortProblems(ps: RunConfigProblem[]): RunConfigProblem[] {
  return ps.sort((a, b) => (a.asset ?? "").localeCompare(b.asset ?? "") || a.path.localeCompare(b.path));
}

/** The problems as lines: `orders.limit: Invalid type: …` (what the CLI prints, one per line). */
export function formatConfigProblems(problems: readonly RunConfigProblem[]): string {
  return problems.map((p) => (p.asset === null ? `  ${p.message}` : `  ${[p.asset, p.path].filter(Boolean).join(".")}: ${p.message}`)).join("\n");
}

/**
 * A config value as it is recorded with the run and hashed into provenance: plain JSON with object
 * keys sorted (so the hash does not depend on key order), `Date` as ISO text, `bigint` as text,
 * `undefined` and functions left out, every string through `redact` (default: as it is). Every
 * recorded or hashed config goes through this one function. Secrets are not redacted here: a run's
 * record reaches the state file through the store's redacting wrapper (io/secrets `redactingStore`),
 * the one place every stored value passes.
 */
export function resolvedConfigForRecord(value: unknown, redact: (text: string) => string = (text) => text): unknown {
  const walk = (v: unknown): unknown => {
    if (typeof v === "string") return redact(v);
    if (typeof v === "bigint") return redact(v.toString());
    if (v === null || typeof v === "number" || typeof v === "boolean") return typeof v === "number" && !Number.isFinite(v) ? null : v;
    if (v instanceof Date) return v.toISOString();
    if (Array.isArray(v)) return v.map((x) => (x === undefined || typeof x === "function" ? null : walk(x)));
    if (v instanceof Map) return walk(Object.fromEntries(v));
    if (v instanceof Set) return walk([...v]);
    if (typeof v === "object") {
      const out: Record<string, unknown> = {};
      for (const k of Object.keys(v).sort()) {
        const x = (v as Record<string, unknown>)[k];
        if (x !== undefined && typeof x !== "function" && typeof x !== "symbol") out[k] = walk(x);
      }
      return out;
    }
    return undefined;
  };
  return walk(value);
}

/** The hash of a recorded config (see {@link resolvedConfigForRecord}): what a materialization records as `configHash`. */
export function configHashOf(recorded: unknown, hash: (text: string) => string): string {
  return hash(`config\0${JSON.stringify(recorded)}`);
}

/**
 * The config hash a plain run (no `--config`) would record now: the schema applied to `{}`, i.e. its
 * defaults. Null when the asset declares no schema, or when a plain run is impossible (a required
 * field without default): then there is nothing to compare and status shows no "config changed".
 */
export async function plainConfigHash(schema: ConfigSchema | null, hash: (text: string) => string): Promise<string | null> {
  if (schema === null) return null;
  const r = await validateOne(schema, {});
  return r.ok ? configHashOf(resolvedConfigForRecord(r.value), hash) : null;
}
