/**
 * Redaction of secret values: the one algorithm every output channel goes through (the terminal's
 * two streams, the state store's writes, the dev worker's relay — io/secrets holds the process's
 * instance). Secrets shorter than 4 characters are not redacted: they would mangle ordinary text
 * and hide nothing.
 */

/** What replaces a secret value. */
export const REDACTED = "[redacted]";
/** Shorter values are not treated as secrets. */
export const MIN_SECRET_LENGTH = 4;

export interface Redactor {
  /** Treat `value` as secret from now on (ignored when shorter than MIN_SECRET_LENGTH). */
  add(value: string): void;
  /** How many secrets are known (0: every call below returns its argument unchanged). */
  readonly size: number;
  /** `text` with every known secret replaced by REDACTED. */
  text(text: string): string;
  /** A copy of `value` (strings, arrays, plain objects, walked) with secrets replaced; `value` itself when nothing changes. */
  value<T>(value: T): T;
}

export function createRedactor(): Redactor {
  const secrets = new Set<string>();
  // longest first, so a secret that contains another is replaced whole
  let pattern: RegExp | null = null;
  const text = (s: string): string => {
    if (pattern === null || s.length < MIN_SECRET_LENGTH) return s;
    pattern.lastIndex = 0;
    return pattern.test(s) ? s.replace(pattern, REDACTED) : s;
  };
  const value = <T>(v: T): T => {
    if (pattern === null) return v;
    return walk(v, text, new Set()) as T;
  };
  return {
    add(secret) {
      if (typeof secret !== "string" || secret.length < MIN_SECRET_LENGTH || secrets.has(secret)) return;
      secrets.add(secret);
      const alternatives = [...secrets].sort((a, b) => b.length - a.length).map(escapeRegExp);
      pattern = new RegExp(alternatives.join("|"), "g");
    },
    get size() {
      return secrets.size;
    },
    text,
    value,
  };
}

function walk(v: unknown, text: (s: string) => string, seen: Set<unknown>): unknown {
  if (typeof v === "string") return text(v);
  if (typeof v !== "object" || v === null || seen.has(v)) return v;
  if (Array.isArray(v)) {
    seen.add(v);
    let changed = false;
    const out = v.map((x) => {
      const y = walk(x, text, seen);
      if (y !== x) changed = true;
      return y;
    });
    return changed ? out : v;
  }
  const proto = Object.getPrototypeOf(v);
  if (proto !== Object.prototype && proto !== null) return v;
  seen.add(v);
  let changed = false;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) {
    const y = walk(x, text, seen);
    if (y !== x) changed = true;
    const key = text(k);
    if (key !== k) changed = true;
    out[key] = y;
  }
  return changed ? out : v;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
