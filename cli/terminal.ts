/**
 * What one dagx invocation talks to besides its arguments: the folder it starts in, its
 * environment, its two output streams and its interrupts. `processTerminal()` is the real one
 * (cli/main.ts); tests build their own to run the CLI in-process and read what it printed.
 *
 * The process's streams are written synchronously: the two stay in order when merged (`2>&1`),
 * and nothing is lost at exit (Bun's async stream writes to a pipe were cut at 64 KiB by
 * `process.exit()`, measured). A reader that goes away (`| head -1`, EPIPE) silently drops the
 * rest; any other write failure (a full disk) is kept for the entry point to report (exit 1).
 */
import { writeSync } from "node:fs";
import { DagxError } from "../core/errors.ts";
import { redact } from "../io/secrets/index.ts";
import type { Interrupts } from "./interrupt.ts";

export interface TerminalStream {
  write(text: string): void;
  /** A terminal (colour, live progress lines), not a pipe or a file. */
  readonly isTTY: boolean;
  /** Width in columns, when a terminal says. */
  readonly columns?: number;
}

export interface Terminal {
  /** The folder dagx was started in: the start of the project-root search, the base of relative paths. */
  cwd: string;
  /** NO_COLOR, FORCE_COLOR, CI. */
  env: Readonly<Record<string, string | undefined>>;
  /** The command's result. */
  stdout: TerminalStream;
  /** Progress, logs, warnings, hints and errors. */
  stderr: TerminalStream;
  interrupts: Interrupts;
  /** A write to stdout that failed (other than a closed pipe), as the error to report, or null. */
  stdoutError(): DagxError | null;
}

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

/**
 * `t` whose two streams hide every secret this process knows (io/secrets): results, progress,
 * logs, errors and `--json` all pass here.
 */
export function redactedTerminal(t: Terminal): Terminal {
  const wrap = (s: TerminalStream): TerminalStream => ({
    write: (text) => s.write(redact(text)),
    get isTTY() {
      return s.isTTY;
    },
    get columns() {
      return s.columns;
    },
  });
  return { ...t, stdout: wrap(t.stdout), stderr: wrap(t.stderr) };
}

/** The process's own folder, environment, stdout (fd 1) and stderr (fd 2). */
export function processTerminal(interrupts: Interrupts): Terminal {
  let stdoutClosed = false;
  let stdoutFailure: NodeJS.ErrnoException | null = null;
  return {
    cwd: process.cwd(),
    env: process.env,
    stdout: {
      isTTY: Boolean(process.stdout.isTTY),
      get columns() {
        return process.stdout.columns;
      },
      write(text) {
        // after EPIPE or a failed write, the rest is dropped
        if (stdoutClosed || stdoutFailure) return;
        try {
          writeAll(1, text);
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code === "EPIPE") stdoutClosed = true;
          else stdoutFailure = e as NodeJS.ErrnoException;
        }
      },
    },
    stderr: {
      isTTY: Boolean(process.stderr.isTTY),
      get columns() {
        return process.stderr.columns;
      },
      write(text) {
        try {
          writeAll(2, text);
        } catch {
          // stderr closed or full: nothing else can be done
        }
      },
    },
    interrupts,
    stdoutError() {
      if (!stdoutFailure) return null;
      const e = stdoutFailure;
      const detail = (e.message ?? String(e)).replace(/^[A-Z]+: /, "").replace(/, write$/, "");
      return new DagxError("OUTPUT_WRITE", `Cannot write the result to stdout: ${detail}${e.code ? ` (${e.code})` : ""}: free space or send the output elsewhere`, { cause: e, exitCode: 1 });
    },
  };
}
