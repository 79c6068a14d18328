/**
 * A terminal for running the CLI in this process (cli/terminal.ts): it records what each stream
 * got, is no TTY, reads only the environment it is given, and Ctrl-C is `interrupt()`.
 */
import type { DagxError } from "../../core/errors.ts";
import type { Terminal } from "../../cli/terminal.ts";

export interface CapturedTerminal extends Terminal {
  stdoutText(): string;
  stderrText(): string;
  /** What a Ctrl-C does to the command: its notice, then its signal aborts. */
  interrupt(): void;
}

export function captureTerminal(cwd: string, env: Record<string, string | undefined> = { NO_COLOR: "1", CI: "1" }): CapturedTerminal {
  let stdout = "";
  let stderr = "";
  const controller = new AbortController();
  const notices: (() => void)[] = [];
  return {
    cwd,
    env,
    stdout: { isTTY: false, write: (text) => void (stdout += text) },
    stderr: { isTTY: false, write: (text) => void (stderr += text) },
    interrupts: {
      signal(notice) {
        notices.push(notice);
        return controller.signal;
      },
    },
    stdoutError: (): DagxError | null => null,
    stdoutText: () => stdout,
    stderrText: () => stderr,
    interrupt() {
      if (controller.signal.aborted) return;
      for (const notice of notices) notice();
      controller.abort();
    },
  };
}
