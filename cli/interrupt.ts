/**
 * Ctrl-C, the same for every command that can stop gracefully (materialize, backfill, check,
 * dev, daemon, the dev worker): the first SIGINT or SIGTERM prints the command's notice and
 * aborts its signal; a second ends the process at once with exit code 130. A command that asks
 * for no signal keeps the default: the first Ctrl-C ends it.
 */

export interface Interrupts {
  /** Listen for Ctrl-C from now until the command returns; `notice` runs at the first one. */
  signal(notice: () => void): AbortSignal;
}

export interface InterruptListener extends Interrupts {
  /** Stop listening (the command returned). */
  dispose(): void;
}

const SIGNALS = ["SIGINT", "SIGTERM"] as const;

/** The process's interrupts; `exitNow` ends the process (only cli/main.ts does that). */
export function listenForInterrupts(exitNow: (code: number) => void): InterruptListener {
  const controller = new AbortController();
  const notices: (() => void)[] = [];
  let listening = false;
  const onSignal = () => {
    if (controller.signal.aborted) return exitNow(130);
    for (const notice of notices) notice();
    controller.abort();
  };
  return {
    signal(notice) {
      notices.push(notice);
      if (!listening) for (const s of SIGNALS) process.on(s, onSignal);
      listening = true;
      return controller.signal;
    },
    dispose() {
      if (listening) for (const s of SIGNALS) process.off(s, onSignal);
      listening = false;
    },
  };
}
