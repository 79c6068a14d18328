/**
 * `dagx dev` serves the web UI (unless `--no-ui`) from a child `dagx ui` process: definitions load
 * fresh there as in dev's workers, a crash of it never stops dev, and it exits with dev (SIGINT on
 * stop; an IPC disconnect when dev dies, as the workers do). The default port 3000 falls back to a
 * free port when taken, so several `dagx dev` (and tests) never collide; an explicit one that is
 * taken is reported and dev goes on without the UI.
 */
import { spawn, type Subprocess } from "bun";
import { dagxCommand } from "../ui/index.ts";

/** The `dagx ui` child of `dagx dev`. */
export interface UiChild {
  /** The URL with the token, as `dagx ui` printed it. */
  url: string;
  stop(): Promise<void>;
}

/** Start `dagx ui` for `root`; resolves with its URL, or null when it could not start (the reason said). */
export async function startUiChild(o: { root: string; port: number; portGiven: boolean; say(line: string): void }): Promise<UiChild | null> {
  const attempt = async (port: number): Promise<{ child: UiChild } | { error: string }> => {
    const proc: Subprocess<"ignore", "pipe", "pipe"> = spawn([...dagxCommand(), "ui", "-C", o.root, "--port", String(port), "--json"], {
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, NO_COLOR: "1" },
      // the channel's disconnect tells the child that dev is gone (kill -9 included)
      ipc() {},
    });
    const stderr = new Response(proc.stderr).text();
    const url = await new Promise<string | null>((resolve) => {
      let text = "";
      const reader = proc.stdout.getReader();
      const dec = new TextDecoder();
      void (async () => {
        for (;;) {
          const { value, done } = await reader.read();
          if (done) return resolve(null);
          text += dec.decode(value, { stream: true });
          const m = /"url":\s*"([^"]+)"/.exec(text);
          if (m) return resolve(m[1]!);
        }
      })().catch(() => resolve(null));
    });
    if (!url) {
      await proc.exited;
      return { error: (await stderr).trim().split("\n").filter(Boolean).at(-1) ?? `dagx ui exited with code ${proc.exitCode}` };
    }
    void stderr;
    return {
      child: {
        url,
        async stop() {
          proc.kill("SIGINT");
          const t = setTimeout(() => proc.kill(9), 3000);
          await proc.exited;
          clearTimeout(t);
        },
      },
    };
  };
  let r = await attempt(o.port);
  if ("error" in r && !o.portGiven && /port is in use/.test(r.error)) {
    o.say(`ui: port ${o.port} is in use: serving the UI on a free port instead`);
    r = await attempt(0);
  }
  if ("error" in r) {
    o.say(`ui: not served: ${r.error.replace(/^error\s+/, "")}`);
    return null;
  }
  return r.child;
}
