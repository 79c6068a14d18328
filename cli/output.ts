/**
 * Where text goes (DESIGN §8): a command's result — its JSON, or its human table — on stdout;
 * progress, logs, warnings, hints and errors on stderr. Only cli/ adds colour, and each stream is
 * coloured only when it is a terminal, so `dagx status | grep stale` reads plain text. The
 * streams themselves are the invocation's terminal (cli/terminal.ts).
 */
import pc from "picocolors";
import type { GlobalFlags } from "./args.ts";
import type { Terminal } from "./terminal.ts";

export type Colors = ReturnType<typeof pc.createColors>;

/** Whether each stream gets colour: allowed (no --no-color, no NO_COLOR) and a terminal, or FORCE_COLOR. */
export function colorStreams(flags: Pick<GlobalFlags, "color">, terminal: Terminal): { stdout: boolean; stderr: boolean } {
  const allowed = flags.color !== false && !terminal.env.NO_COLOR;
  const forced = Boolean(terminal.env.FORCE_COLOR);
  return { stdout: allowed && (forced || terminal.stdout.isTTY), stderr: allowed && (forced || terminal.stderr.isTTY) };
}

export interface Output {
  json: boolean;
  verbose: boolean;
  c: Colors;
  /** stderr is a terminal, outside CI: progress may redraw a live line. */
  live: boolean;
  /** Width of stderr in columns (a live line is cut to it). */
  columns: number;
  /** A line of progress, a note or a hint: stderr. */
  say(line?: string): void;
  warn(line: string): void;
  /** A line of the command's human result: stdout (stderr with --json, where stdout holds only the JSON). */
  print(line?: string): void;
  /** The command's JSON result: stdout. */
  data(value: unknown): void;
  /** Result text exactly as given (csv, dot, mermaid): stdout. */
  write(text: string): void;
  /** Text for the live line, as given (no newline): stderr. */
  redraw(text: string): void;
}

export function createOutput(flags: GlobalFlags, terminal: Terminal): Output {
  const colour = colorStreams(flags, terminal);
  const c = pc.createColors(colour.stdout || colour.stderr);
  const plain = (text: string, keep: boolean) => (keep || !c.isColorSupported ? text : Bun.stripANSI(text));
  const say = (line = "") => terminal.stderr.write(`${plain(line, colour.stderr)}\n`);
  return {
    json: Boolean(flags.json),
    verbose: Boolean(flags.verbose),
    c,
    live: terminal.stderr.isTTY && !terminal.env.CI,
    columns: terminal.stderr.columns ?? 120,
    say,
    warn: (line) => say(`${c.yellow("warning")} ${line}`),
    print: (line = "") => (flags.json ? say(line) : terminal.stdout.write(`${plain(line, colour.stdout)}\n`)),
    data: (value) => terminal.stdout.write(`${JSON.stringify(value, jsonReplacer, 2)}\n`),
    write: (text) => terminal.stdout.write(text),
    redraw: (text) => terminal.stderr.write(text),
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
  return n === null || n === undefined ? "" : `${groupDigits(n)} ${n === 1 ? "row" : "rows"}`;
}

/**
 * `n` as `toLocaleString("en-US")` prints it (`1,000,000`), without ICU for integers: the first
 * locale call maps ~2.6 MB of ICU's code and data into the process (a run prints rows after each
 * step, while the next step's DuckDB work may be at its peak). Other numbers go to ICU as before.
 */
export function groupDigits(n: number): string {
  if (!Number.isSafeInteger(n) || Object.is(n, -0)) return n.toLocaleString("en-US");
  const digits = String(Math.abs(n));
  let out = digits.slice(0, digits.length % 3 || 3);
  for (let i = out.length; i < digits.length; i += 3) out += `,${digits.slice(i, i + 3)}`;
  return n < 0 ? `-${out}` : out;
}

/** Every line of `text` indented by `by`. */
export function indent(text: string, by = "    "): string {
  return text.split("\n").map((l) => by + l).join("\n");
}
