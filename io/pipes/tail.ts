/**
 * Tail a JSON-lines file that another process appends to: read what is new every `everyMs`, hand
 * over whole lines, keep a partial last line until its newline arrives (or the end, on `finish`).
 */
import { closeSync, openSync, readSync } from "node:fs";

export interface FileTail {
  /** Read what is new now (whole lines only). */
  poll(): void;
  /** Stop polling, read to the end and hand over a last line without newline. */
  finish(): void;
}

export function tailLines(path: string, onLine: (line: string) => void, everyMs = 50): FileTail {
  let offset = 0;
  let pending = Buffer.alloc(0);
  let stopped = false;
  const chunk = Buffer.alloc(64 * 1024);
  const read = () => {
    let fd: number;
    try {
      fd = openSync(path, "r");
    } catch {
      return; // not written yet
    }
    try {
      for (;;) {
        const n = readSync(fd, chunk, 0, chunk.length, offset);
        if (n <= 0) break;
        offset += n;
        pending = pending.length ? Buffer.concat([pending, chunk.subarray(0, n)]) : Buffer.from(chunk.subarray(0, n));
        let nl: number;
        while ((nl = pending.indexOf(10)) >= 0) {
          onLine(pending.subarray(0, nl).toString("utf8"));
          pending = pending.subarray(nl + 1);
        }
      }
    } finally {
      closeSync(fd);
    }
  };
  const timer = setInterval(() => {
    if (!stopped) read();
  }, everyMs);
  return {
    poll: read,
    finish() {
      if (stopped) return;
      stopped = true;
      clearInterval(timer);
      read();
      if (pending.length) onLine(pending.toString("utf8"));
      pending = Buffer.alloc(0);
    },
  };
}
