/** Shared pieces of the grammar fuzz tests: a seeded PRNG and the CLI's error → exit-code mapping, in-process. */
import pc from "picocolors";
import { reportError } from "../../cli/errors.ts";
import type { Output } from "../../cli/output.ts";

/** mulberry32: a tiny seeded PRNG, so failures reproduce. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const pick = <T>(rand: () => number, xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;

/** Random text: up to `max` tokens drawn from `tokens`. */
export function tokenSoup(rand: () => number, tokens: readonly string[], max: number): string {
  const n = Math.floor(rand() * max);
  let s = "";
  for (let i = 0; i < n; i++) s += pick(rand, tokens);
  return s;
}

/**
 * Run `fn` and map what it throws the way the CLI does (cli/errors.ts reportError): the exit code
 * and the text a user would see on stderr.
 */
export function cliOutcome(fn: () => unknown): { code: number; text: string } {
  const lines: string[] = [];
  const out: Output = {
    json: false,
    verbose: false,
    c: pc.createColors(false),
    live: false,
    columns: 120,
    say: (line = "") => lines.push(line),
    warn: (line) => lines.push(line),
    print: (line = "") => lines.push(line),
    data: (value) => lines.push(JSON.stringify(value)),
    write: (text) => lines.push(text),
    redraw: () => {},
  };
  try {
    fn();
    return { code: 0, text: "" };
  } catch (e) {
    return { code: reportError(out, e), text: lines.join("\n") };
  }
}

/** The outcome must be exit 0 or 2 with no stack trace and no "This is a bug". */
export function assertClean(input: string, o: { code: number; text: string }): void {
  const bad = (o.code !== 0 && o.code !== 2) || /This is a bug|internal error|\n\s+at /.test(o.text);
  if (bad) throw new Error(`input ${JSON.stringify(input.length > 300 ? `${input.slice(0, 300)}…` : input)} → exit ${o.code}:\n${o.text}`);
}
