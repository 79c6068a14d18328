/**
 * A real `dagx ui` for a project folder, for the browser tests and the UI benchmark:
 * `bun --no-env-file cli/main.ts ui --port 0 --json` (or a compiled binary) in its own process,
 * so another process (a `dagx materialize` of the test) changes state the way a user's terminal
 * would. The URL comes from the `{"url": …}` line the command prints on stdout.
 *
 *   const server = await startUiServer(projectDir);
 *   await page.goto(server.url);            // /?token=… → cookie → redirect to /
 *   await page.goto(server.origin + "/graph");
 *   await server.stop();
 */
import { mkdtempSync, openSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Subprocess } from "bun";
import { stopProcess, watchOver } from "./_local-server.ts";
import { dagxCommand } from "./dagx-command.ts";


/** A running `dagx ui`. */
export interface UiServer {
  /** The printed URL with its `?token=` (opening it sets the cookie). */
  readonly url: string;
  /** `http://127.0.0.1:PORT` */
  readonly origin: string;
  readonly token: string;
  readonly pid: number;
  /** What the server wrote on stderr so far. */
  log(): string;
  stop(): Promise<void>;
}

/** The `url` of the JSON document printed so far (one line or pretty-printed), or null until it is complete. */
function parseUrl(text: string): string | null {
  const start = text.indexOf("{");
  if (start < 0) return null;
  try {
    return (JSON.parse(text.slice(start)) as { url: string }).url;
  } catch {
    return null;
  }
}

/** Start `dagx ui --port 0 --json` in `projectDir`; resolves when it printed its URL. */
export async function startUiServer(projectDir: string, opts: { bin?: string; args?: string[]; env?: Record<string, string>; timeoutMs?: number } = {}): Promise<UiServer> {
  const logDir = mkdtempSync(join(tmpdir(), "dagx-ui-log-"));
  const errPath = join(logDir, "stderr.log");
  const cmd = opts.bin ? [opts.bin, "ui", "--port", "0", "--json", ...(opts.args ?? [])] : [...(await dagxCommand()), "ui", "--port", "0", "--json", ...(opts.args ?? [])];
  const child: Subprocess<"ignore", "pipe", number> = Bun.spawn(cmd, {
    cwd: projectDir,
    stdin: "ignore",
    stdout: "pipe",
    stderr: openSync(errPath, "w"),
    env: { ...process.env, NO_COLOR: "1", ...opts.env },
  });
  watchOver(child.pid, logDir);
  const log = () => {
    try {
      return readFileSync(errPath, "utf8");
    } catch {
      return "";
    }
  };
  const reader = child.stdout.getReader();
  const deadline = performance.now() + (opts.timeoutMs ?? 20_000);
  let text = "";
  let url: string | null = null;
  while (!url) {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<"timeout">((r) => (timer = setTimeout(() => r("timeout"), Math.max(0, deadline - performance.now()))));
    const next = await Promise.race([reader.read(), timeout]);
    clearTimeout(timer);
    if (next === "timeout") {
      await stopProcess(child, "SIGINT", 2000);
      throw new Error(`dagx ui printed no URL within ${opts.timeoutMs ?? 20_000} ms:\n${log()}`);
    }
    if (next.done) throw new Error(`dagx ui exited (${await child.exited}) before printing its URL:\n${text}\n${log()}`);
    text += new TextDecoder().decode(next.value);
    url = parseUrl(text);
  }
  // keep draining stdout so the server never blocks on a full pipe
  void (async () => {
    for (;;) {
      const r = await reader.read().catch(() => ({ done: true }) as const);
      if (r.done) return;
    }
  })();
  const parsed = new URL(url);
  return {
    url,
    origin: parsed.origin,
    token: parsed.searchParams.get("token") ?? "",
    pid: child.pid,
    log,
    stop: () => stopProcess(child, "SIGINT", 3000),
  };
}
