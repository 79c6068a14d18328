/**
 * The project's `.env` file. Precedence: a variable set in the process environment wins over the
 * same name in `.env` (so CI and the shell can override a checked-out default). Only the project
 * root's `.env` is read, never the current folder's: the compiled binary is built without Bun's
 * own `.env` autoload (scripts/build.ts) and the source CLI is started with `--no-env-file`.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseEnv } from "node:util";
import { type EnvLookup, isSecretName } from "../../core/env.ts";
import { DagxError } from "../../core/errors.ts";
import { redactor } from "./redactor.ts";

const loaded = new Map<string, Readonly<Record<string, string>>>();

/**
 * Read `<root>/.env` (once per process and root; none is an empty map) and set each variable the
 * process environment does not already have, so user code and child processes see it too. The
 * values of secret-looking names (KEY, TOKEN, SECRET, PASSWORD) are redacted from then on.
 */
export function loadDotEnv(root: string): Readonly<Record<string, string>> {
  const known = loaded.get(root);
  if (known) return known;
  const file = join(root, ".env");
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw new DagxError("CONFIG_INVALID", `Cannot read "${file}": ${(e as Error).message}: fix its permissions or remove it`);
    loaded.set(root, {});
    return {};
  }
  let values: Record<string, string>;
  try {
    values = parseEnv(text) as Record<string, string>;
  } catch (e) {
    throw new DagxError("CONFIG_INVALID", `Cannot parse "${file}": ${(e as Error).message}: write one NAME=value per line`);
  }
  for (const [name, value] of Object.entries(values)) {
    if (isSecretName(name) && isSecretLikeValue(value)) redactor.add(value);
    if (process.env[name] === undefined) process.env[name] = value;
  }
  loaded.set(root, values);
  return values;
}

/** How `env()` references of the project at `root` resolve: the process environment, then `.env`; secret values go to the redactor. */
export function projectEnv(root: string): EnvLookup {
  const file = loadDotEnv(root);
  return {
    root,
    get: (name) => process.env[name] ?? file[name],
    onSecret: (value) => redactor.add(value),
  };
}

/**
 * For commands that do not load the config (runs, logs, query, gc): the project's `.env` is read and
 * every variable of the process environment whose name looks secret (KEY, TOKEN, SECRET, PASSWORD)
 * is treated as secret — without the config, which `env()` references are secret is unknown, so
 * the names decide (an `env(…, { secret: false })` opt-out is not seen there).
 */
export function declareEnvironmentSecrets(root: string): void {
  loadDotEnv(root);
  for (const [name, value] of Object.entries(process.env)) if (value !== undefined && isSecretName(name) && isSecretLikeValue(value)) redactor.add(value);
}

/**
 * Whether a value found only by its variable's name could be a secret: a flag or a number
 * (`TOKENIZERS_PARALLELISM=false`, `KEY_TIMEOUT=3600`) is not, and redacting it would mangle
 * every `false` of a --json output. Values an `env()` marked secret are redacted whatever they are.
 */
export function isSecretLikeValue(value: string): boolean {
  return !/^(true|false|yes|no|on|off|null|none|[+-]?\d+(\.\d+)?)$/i.test(value.trim());
}
