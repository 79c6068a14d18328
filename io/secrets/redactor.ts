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
const strict = new TextDecoder("utf-8", { fatal: true });

/**
 * Route what user code prints in this process through the redactor: `console.*`, and
 * `process.stdout.write` / `process.stderr.write` (text, and bytes that are UTF-8 text; other bytes
 * pass as they are). A child process whose output is piped back and printed goes through them too;
 * one started with inherited stdio writes to the file descriptors itself, past any redaction.
 * Only the entry point calls it: tests that run the CLI in-process keep their console.
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
  for (const stream of [process.stdout, process.stderr]) {
    const original = stream.write.bind(stream) as (chunk: unknown, ...rest: unknown[]) => boolean;
    stream.write = ((chunk: unknown, ...rest: unknown[]) => original(redactor.size === 0 ? chunk : redactChunk(chunk), ...rest)) as typeof stream.write;
  }
}

function redactChunk(chunk: unknown): unknown {
  if (typeof chunk === "string") return redactor.text(chunk);
  if (!(chunk instanceof Uint8Array)) return chunk;
  let text: string;
  try {
    text = strict.decode(chunk);
  } catch {
    return chunk; // not text: nothing a secret could be read from as such
  }
  const out = redactor.text(text);
  return out === text ? chunk : Buffer.from(out);
}
