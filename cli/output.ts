/** Human text to stderr (coloured when allowed), JSON to stdout. Only cli/ adds colour. */
import pc from "picocolors";
import type { GlobalFlags } from "./args.ts";

export type Colors = ReturnType<typeof pc.createColors>;

const pendingStdout: string[] = [];

/**
 * Queue text for stdout. Everything is written by `flushStdout()` before the process exits:
 * `process.exit()` does not wait for a pipe to drain, which cut large JSON at 64 KiB.
 */
export function writeStdout(text: string): void {
  pendingStdout.push(text);
}

/** Write all queued stdout text and wait until it is written. */
export async function flushStdout(): Promise<void> {
  if (pendingStdout.length === 0) return;
  const text = pendingStdout.join("");
  pendingStdout.length = 0;
  await Bun.write(Bun.stdout, text);
}

export interface Output {
  json: boolean;
  verbose: boolean;
  c: Colors;
  isTTY: boolean;
  /** A line of human text on stderr. */
  say(line?: string): void;
  warn(line: string): void;
  /** JSON on stdout. */
  data(value: unknown): void;
}

export function createOutput(flags: GlobalFlags): Output {
  const enabled = flags.color !== false && !process.env.NO_COLOR && (Boolean(process.stderr.isTTY) || Boolean(process.env.FORCE_COLOR));
  const c = pc.createColors(enabled);
  return {
    json: Boolean(flags.json),
    verbose: Boolean(flags.verbose),
    c,
    isTTY: Boolean(process.stderr.isTTY),
    say: (line = "") => process.stderr.write(`${line}\n`),
    warn: (line) => process.stderr.write(`${c.yellow("warning")} ${line}\n`),
    data: (value) => writeStdout(`${JSON.stringify(value, jsonReplacer, 2)}\n`),
  };
}

function jsonReplacer(_k: string, v: unknown): unknown {
  if (typeof v === "bigint") return Number.isSafeInteger(Number(v)) ? Number(v) : v.toString();
  return v;
}

/** Columns padded to their widest cell (ANSI-aware via Bun.stringWidth). */
export function formatTable(header: string[], rows: string[][], c?: Colors): string {
  const widths = header.map((h, i) => Math.max(Bun.stringWidth(h), ...rows.map((r) => Bun.stringWidth(r[i] ?? ""))));
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => (i === cells.length - 1 ? cell : cell + " ".repeat(widths[i]! - Bun.stringWidth(cell))))
      .join("  ")
      .trimEnd();
  const head = line(header);
  return [c ? c.bold(head) : head, ...rows.map(line)].join("\n");
}

/** "3m ago", "2h ago", "just now". */
export function ago(at: number, now = Date.now()): string {
  const s = Math.max(0, Math.round((now - at) / 1000));
  if (s < 5) return "just now";
  if (s < 60) return `${s}s ago`;
  if (s < 3600) return `${Math.round(s / 60)}m ago`;
  if (s < 86400) return `${Math.round(s / 3600)}h ago`;
  return `${Math.round(s / 86400)}d ago`;
}

export function formatRows(n: number | null | undefined): string {
  return n === null || n === undefined ? "" : `${n.toLocaleString("en-US")} ${n === 1 ? "row" : "rows"}`;
}

/** Every line of `text` indented by `by`. */
export function indent(text: string, by = "    "): string {
  return text.split("\n").map((l) => by + l).join("\n");
}
