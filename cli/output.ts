/**
 * Where text goes (DESIGN §8): a command's result — its JSON, or its human table — on stdout;
 * progress, logs, warnings, hints and errors on stderr. Only cli/ adds colour, and each stream is
 * coloured only when it is a terminal, so `dagx status | grep stale` reads plain text.
 *
 * Both streams are written synchronously: the two stay in order when merged (`2>&1`), and
 * nothing is lost at exit (Bun's async stream writes to a pipe were cut at 64 KiB by
 * `process.exit()`, measured). A reader that goes away (`| head -1`, EPIPE) silently drops the
 * rest; any other write failure (a full disk) is kept for the entry point to report (exit 1).
 */
import { writeSync } from "node:fs";
import pc from "picocolors";
import { DagxError } from "../core/errors.ts";
import type { GlobalFlags } from "./args.ts";

export type Colors = ReturnType<typeof pc.createColors>;

let stdoutClosed = false;
let stdoutFailure: NodeJS.ErrnoException | null = null;

function writeAll(fd: number, text: string): void {
  const bytes = Buffer.from(text);
  for (let at = 0; at < bytes.length; ) {
    try {
      at += writeSync(fd, bytes, at, bytes.length - at);
    } catch (e) {
      // a non-blocking pipe that is full: wait for the reader
      if ((e as NodeJS.ErrnoException).code !== "EAGAIN") throw e;
      Bun.sleepSync(1);
    }
  }
}

/** Write result text to stdout now. After EPIPE or a failed write, the rest is dropped. */
export function writeStdout(text: string): void {
  if (stdoutClosed || stdoutFailure) return;
  try {
    writeAll(1, text);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "EPIPE") stdoutClosed = true;
    else stdoutFailure = e as NodeJS.ErrnoException;
  }
}

/** Write text to stderr now; a failure there has nowhere left to be reported. */
export function writeStderr(text: string): void {
  try {
    writeAll(2, text);
  } catch {
    // stderr closed or full: nothing else can be done
  }
}

/** A write to stdout that failed (other than a closed pipe), as the error to report, or null. */
export function stdoutError(): DagxError | null {
  if (!stdoutFailure) return null;
  const e = stdoutFailure;
  const detail = (e.message ?? String(e)).replace(/^[A-Z]+: /, "").replace(/, write$/, "");
  return new DagxError("OUTPUT_WRITE", `Cannot write the result to stdout: ${detail}${e.code ? ` (${e.code})` : ""}: free space or send the output elsewhere`, { cause: e, exitCode: 1 });
}

/** Whether each stream gets colour: allowed (no --no-color, no NO_COLOR) and a terminal, or FORCE_COLOR. */
export function colorStreams(flags: Pick<GlobalFlags, "color">): { stdout: boolean; stderr: boolean } {
  const allowed = flags.color !== false && !process.env.NO_COLOR;
  const forced = Boolean(process.env.FORCE_COLOR);
  return { stdout: allowed && (forced || Boolean(process.stdout.isTTY)), stderr: allowed && (forced || Boolean(process.stderr.isTTY)) };
}

export interface Output {
  json: boolean;
  verbose: boolean;
  c: Colors;
  /** stderr is a terminal (live progress lines). */
  isTTY: boolean;
  /** A line of progress, a note or a hint: stderr. */
  say(line?: string): void;
  warn(line: string): void;
  /** A line of the command's human result: stdout (stderr with --json, where stdout holds only the JSON). */
  print(line?: string): void;
  /** The command's JSON result: stdout. */
  data(value: unknown): void;
}

export function createOutput(flags: GlobalFlags): Output {
  const colour = colorStreams(flags);
  const c = pc.createColors(colour.stdout || colour.stderr);
  const plain = (text: string, keep: boolean) => (keep || !c.isColorSupported ? text : Bun.stripANSI(text));
  const say = (line = "") => writeStderr(`${plain(line, colour.stderr)}\n`);
  return {
    json: Boolean(flags.json),
    verbose: Boolean(flags.verbose),
    c,
    isTTY: Boolean(process.stderr.isTTY),
    say,
    warn: (line) => say(`${c.yellow("warning")} ${line}`),
    print: (line = "") => (flags.json ? say(line) : writeStdout(`${plain(line, colour.stdout)}\n`)),
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
