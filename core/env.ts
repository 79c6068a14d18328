/**
 * `env("NAME")`: a reference to an environment variable, resolved when a step needs it (a
 * resource's setup, an IO manager's options), never when the project loads — so a missing
 * variable fails only the steps that use it. Pure: io/ hands in the lookup (process environment
 * over the project's `.env`, io/secrets).
 */
import { callerLocation, relativeTo } from "./location.ts";

export const ENV_REF = Symbol.for("dagx.env");

/** Options of `env()`. */
export interface EnvOptions {
  /** Used when the variable is not set (an empty value counts as set). @default none: a missing variable fails the steps that need it */
  default?: string;
  /**
   * Redact the value from logs, events, errors, `status` and `--json` output.
   * @default true when the name contains KEY, TOKEN, SECRET or PASSWORD (any case), else false
   */
  secret?: boolean;
}

/** A reference to an environment variable, made by `env()`. Its value is read at run time. */
export interface EnvRef {
  readonly [ENV_REF]: true;
  readonly name: string;
  readonly default: string | undefined;
  readonly secret: boolean;
  /** "file:line" of the `env()` call, when known. */
  readonly location: string | null;
  /** Phantom: what it resolves to, for inference only. */
  readonly $value?: string;
}

const SECRET_WORDS = /KEY|TOKEN|SECRET|PASSWORD/i;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** True when a variable of this name is secret unless said otherwise. */
export function isSecretName(name: string): boolean {
  return SECRET_WORDS.test(name);
}

/**
 * Read environment variable `name` when a step needs it (not when the project loads). Usable in a
 * resource's `config` and in IO-manager options; the resource's `setup` gets the value. Names
 * containing KEY, TOKEN, SECRET or PASSWORD are secret by default: their values are redacted from
 * every output of dagx. A `.env` file at the project root is read; the process environment wins.
 * @example
 * export const warehouse = defineResource({
 *   config: { url: env("WAREHOUSE_URL", { default: "duckdb:///tmp/w.db" }), token: env("WAREHOUSE_TOKEN") },
 *   setup: ({ config }) => connect(config.url, config.token),
 * });
 */
export function env(name: string, options: EnvOptions = {}): EnvRef {
  const location = callerLocation();
  if (typeof name !== "string" || !ENV_NAME.test(name)) {
    throw new TypeError(`env() needs a variable name of letters, digits and "_" (got ${JSON.stringify(name)})${location ? ` at ${location}` : ""}`);
  }
  if (options.default !== undefined && typeof options.default !== "string") {
    throw new TypeError(`env("${name}") default must be a string (got ${typeof options.default})${location ? ` at ${location}` : ""}`);
  }
  return { [ENV_REF]: true, name, default: options.default, secret: options.secret ?? isSecretName(name), location };
}

/** True when `v` is a reference made by `env()`. */
export function isEnvRef(v: unknown): v is EnvRef {
  return typeof v === "object" && v !== null && (v as Record<symbol, unknown>)[ENV_REF] === true;
}

/** `T` with every `EnvRef` inside replaced by the string it resolves to. */
export type Resolved<T> = T extends EnvRef
  ? string
  : T extends (...args: never[]) => unknown
    ? T
    : T extends readonly unknown[]
      ? { [K in keyof T]: Resolved<T[K]> }
      : T extends object
        ? { [K in keyof T]: Resolved<T[K]> }
        : T;

/** A variable that is neither set nor defaulted. */
export class MissingEnvError extends Error {
  constructor(
    readonly ref: EnvRef,
    readonly usedBy: string,
    root?: string,
  ) {
    const at = ref.location === null ? "" : `, env() at ${root ? relativeTo(root, ref.location) : ref.location}`;
    super(`Environment variable "${ref.name}" is not set (needed by ${usedBy}${at}): set it in the environment or in the project's .env file, or give env("${ref.name}", { default: "…" })`);
    this.name = "MissingEnvError";
  }
}

/** Where values come from, and where resolved secret values go (the process redactor). */
export interface EnvLookup {
  get(name: string): string | undefined;
  onSecret(value: string): void;
  /** The project root: messages name env() calls relative to it. */
  root?: string;
}

/**
 * `value` with every `EnvRef` inside (plain objects and arrays, walked) replaced by its value.
 * A missing variable throws MissingEnvError naming `usedBy`. Other objects (class instances,
 * functions) pass through untouched.
 */
export function resolveEnvRefs<T>(value: T, lookup: EnvLookup, usedBy: string): Resolved<T> {
  const walk = (v: unknown): unknown => {
    if (isEnvRef(v)) {
      const got = lookup.get(v.name) ?? v.default;
      if (got === undefined) throw new MissingEnvError(v, usedBy, lookup.root);
      if (v.secret) lookup.onSecret(got);
      return got;
    }
    if (Array.isArray(v)) return v.map(walk);
    if (isPlainObject(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
    return v;
  };
  return walk(value) as Resolved<T>;
}

/** Every `EnvRef` inside `value` (plain objects and arrays), for secrets known before they are resolved. */
export function envRefsIn(value: unknown, out: EnvRef[] = [], seen = new Set<unknown>()): EnvRef[] {
  if (isEnvRef(value)) out.push(value);
  else if ((Array.isArray(value) || isPlainObject(value)) && !seen.has(value)) {
    seen.add(value);
    for (const v of Object.values(value as object)) envRefsIn(v, out, seen);
  }
  return out;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== "object" || v === null) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}
