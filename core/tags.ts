/**
 * Run tags: `materialize --tag team=data`, a sensor request's `tags`, and dagx's own (`dagx/schedule`,
 * `dagx/tick`, `dagx/sensor` …). Stored with the run, shown by `runs` and `logs`, filtered by
 * `runs --tag`. One syntax everywhere, checked before anything is recorded.
 */
import { DagxError } from "./errors.ts";

/** Prefix of the tags dagx sets itself; user tags may not use it. */
export const SYSTEM_TAG_PREFIX = "dagx/";
const KEY = /^[A-Za-z0-9_][A-Za-z0-9_.\-/]*$/;
const MAX_KEY = 100;
const MAX_VALUE = 1000;

/** Why `key` = `value` is not a valid tag, or null. */
export function tagProblem(key: string, value: string): string | null {
  if (key.length === 0) return "the key is empty";
  if (key.length > MAX_KEY) return `the key is longer than ${MAX_KEY} characters`;
  if (!KEY.test(key)) return "the key may hold only letters, digits and _ - . / (starting with a letter, digit or _)";
  if (value.length > MAX_VALUE) return `the value is longer than ${MAX_VALUE} characters`;
  // biome-ignore lint: control characters are exactly what we reject
  if (/[\u0000-\u001f\u007f]/.test(value)) return "the value contains a control character (a newline, a tab …)";
  return null;
}

/** Like {@link tagProblem}, and the `dagx/` prefix is reserved for dagx's own tags. */
export function userTagProblem(key: string, value: string): string | null {
  if (key.startsWith(SYSTEM_TAG_PREFIX)) return `keys starting with "${SYSTEM_TAG_PREFIX}" are reserved for dagx's own tags: choose another key`;
  return tagProblem(key, value);
}

/**
 * Parse `--tag` values (`key=value`, repeatable) into tags; a later repeat of a key wins. `reservedOk`
 * accepts `dagx/…` keys (a filter may name dagx's own tags; a run's tags may not).
 * @throws DagxError (code `USAGE`) naming the bad value and the fix
 * @example parseTagArgs(["team=data", "ticket=OPS-12"], "--tag") // { team: "data", ticket: "OPS-12" }
 */
export function parseTagArgs(values: readonly string[], flag: string, options: { reservedOk?: boolean } = {}): Record<string, string> {
  const tags: Record<string, string> = {};
  for (const text of values) {
    const eq = text.indexOf("=");
    if (eq < 0) throw new DagxError("USAGE", `Invalid ${flag} "${text}": expected KEY=VALUE, e.g. ${flag} team=data`);
    const key = text.slice(0, eq);
    const value = text.slice(eq + 1);
    const problem = options.reservedOk ? tagProblem(key, value) : userTagProblem(key, value);
    if (problem) throw new DagxError("USAGE", `Invalid ${flag} "${text}": ${problem}`);
    tags[key] = value;
  }
  return tags;
}

/** `k=v, k2=v2` for people. */
export function formatTags(tags: Readonly<Record<string, string>> | undefined): string {
  return Object.entries(tags ?? {}).map(([k, v]) => `${k}=${v}`).join(", ");
}
