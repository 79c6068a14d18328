/** What tests/support/postgres.ts and s3.ts share: free loopback ports, a watchdog, a stop. */
import { createServer } from "node:net";
import type { Subprocess } from "bun";

/** A TCP port free on 127.0.0.1 right now (the kernel picks it; a later bind may still race). */
export async function freeLoopbackPort(): Promise<number> {
  return await new Promise<number>((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      server.close(() => (port > 0 ? resolve(port) : reject(new Error("Cannot find a free port"))));
    });
  });
}

/**
 * Stop `pid` with SIGINT and remove `folder` once this process is gone, however it ended
 * (a killed test worker runs no afterAll). A detached `sh` loop that polls this process.
 */
export function watchOver(pid: number, folder: string): Subprocess {
  const script = `while kill -0 ${process.pid} 2>/dev/null; do sleep 1; done; kill -INT ${pid} 2>/dev/null; i=0; while kill -0 ${pid} 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i+1)); done; kill -KILL ${pid} 2>/dev/null; rm -rf '${folder.replaceAll("'", "'\\''")}'`;
  const watchdog = Bun.spawn(["sh", "-c", script], { stdio: ["ignore", "ignore", "ignore"] });
  watchdog.unref();
  return watchdog;
}

/** Send `signal`, wait up to `graceMs` for the exit, then SIGKILL; resolves once it exited. */
export async function stopProcess(child: Subprocess, signal: NodeJS.Signals, graceMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill(signal);
  const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
  try {
    await child.exited;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Poll the log file `path` until `match` accepts its text; reject when the process exits first
 * or after `timeoutMs`, with the log in the message. (A log file, not a pipe: a server whose
 * pipe nobody reads would block on its next write.)
 */
export async function waitForLog(
  path: string,
  match: (text: string) => boolean,
  child: Subprocess,
  timeoutMs: number,
  name: string,
): Promise<string> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const file = Bun.file(path);
    const text = (await file.exists()) ? await file.text() : "";
    if (match(text)) return text;
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`${name} exited (${child.exitCode ?? child.signalCode}) before it was ready:\n${text}`);
    }
    if (performance.now() > deadline) throw new Error(`${name} did not start within ${timeoutMs} ms:\n${text}`);
    await Bun.sleep(15);
  }
}
