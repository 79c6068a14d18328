/**
 * The process's redactor (core/redact.ts) and the channels wired through it. Secrets become known
 * when an `env()` reference marked secret resolves, when `.env` holds a secret-looking name, and
 * at project load for the secret references the config declares (`declareSecrets`), so a process
 * that never resolves them itself — the dev supervisor, `dagx status` — still hides them.
 */
import { format } from "node:util";
import { type EnvLookup, envRefsIn } from "../../core/env.ts";
import { createRedactor } from "../../core/redact.ts";
import type { StateStore } from "../../core/state-store.ts";

/** The one redactor of this process. */
export const redactor = createRedactor();

/** `text` with every known secret replaced. */
export function redact(text: string): string {
  return redactor.text(text);
}

/** Register the current values of the secret `env()` references inside `value` (a config), without failing on a missing one. */
export function declareSecrets(value: unknown, lookup: Pick<EnvLookup, "get">): void {
  for (const ref of envRefsIn(value)) {
    if (!ref.secret) continue;
    const v = lookup.get(ref.name) ?? ref.default;
    if (v !== undefined) redactor.add(v);
  }
}

/** `store` whose every call has its arguments redacted: events, runs, ticks and records reach the state file without secrets. */
export function redactingStore(store: StateStore): StateStore {
  return new Proxy(store, {
    get(target, prop, receiver) {
      const member = Reflect.get(target, prop, receiver) as unknown;
      if (typeof member !== "function") return member;
      return (...args: unknown[]) => (member as (...a: unknown[]) => unknown).apply(target, redactor.size === 0 ? args : args.map((a) => redactor.value(a)));
    },
  });
}

let consoleRedacted = false;

/**
 * Route `console.*` of this process (user code's prints) through the redactor. Only the entry
 * point calls it: tests that run the CLI in-process keep their console.
 */
export function redactConsole(): void {
  if (consoleRedacted) return;
  consoleRedacted = true;
  for (const level of ["log", "info", "debug", "warn", "error", "trace"] as const) {
    const original = console[level].bind(console);
    console[level] = (...args: unknown[]) => {
      if (redactor.size === 0) return original(...args);
      original(redactor.text(format(...args)));
    };
  }
}
