import { defineCommand } from "citty";
import { spawn } from "bun";
import { DagxError } from "../../core/errors.ts";
import { startUiServer } from "../../io/ui/index.ts";
import { globalArgs } from "../args.ts";
import { baseContext, projectRoot } from "../context.ts";
import { VERSION } from "../version.ts";

/** `--port N`: 0…65535 (0 picks a free port). */
export function portArg(value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65_535) throw new DagxError("USAGE", `Invalid --port "${value}": expected 0…65535 (0 picks a free port)`);
  return n;
}

/** Open `url` in the default browser (best effort: a failure only prints the URL again). */
function openBrowser(url: string): void {
  const cmd = process.platform === "darwin" ? ["open", url] : process.platform === "win32" ? ["cmd", "/c", "start", "", url] : ["xdg-open", url];
  try {
    spawn(cmd, { stdio: ["ignore", "ignore", "ignore"] }).unref();
  } catch {
    // no opener on this machine: the printed URL is there
  }
}

export default defineCommand({
  meta: {
    name: "ui",
    description:
      "Serve the web UI: the asset graph, status, partitions, runs and logs, live; launch materializations and backfills. Binds 127.0.0.1; the printed URL carries the launch's token.\n\nExamples:\n  dagx ui\n  dagx ui --port 0 --open\n  dagx ui --json                 also prints {\"url\": …} on stdout",
  },
  args: {
    ...globalArgs,
    port: { type: "string", alias: "p", description: "Port (default 3000; 0 picks a free one)", valueHint: "N" },
    host: { type: "string", description: "Address to bind (default 127.0.0.1; another one exposes the UI beyond this machine: a warning says so)", valueHint: "HOST" },
    open: { type: "boolean", description: "Open the browser at the URL" },
  },
  async run(cmd) {
    const { args } = cmd;
    const base = baseContext(cmd);
    const { out } = base;
    const root = projectRoot(cmd, base);
    const port = portArg(args.port, 3000);
    const host = args.host ?? "127.0.0.1";
    if (args.host !== undefined && !["127.0.0.1", "localhost", "::1"].includes(host)) {
      out.say(`${out.c.yellow("warning")} --host ${host}: the UI is reachable from other machines on the network; anyone with the URL's token can read data and launch runs`);
    }
    const stopped = new Promise<void>((resolve) => {
      base.cancelOnInterrupt("Stopping dagx ui").addEventListener("abort", () => resolve());
      // started by `dagx dev` (an IPC channel): its end, kill -9 included, ends this server too
      if (typeof process.send === "function") process.once("disconnect", () => resolve());
    });
    const server = await startUiServer({ root, port, host: host === "localhost" ? "127.0.0.1" : host, version: VERSION, onError: (e) => out.say(out.c.dim(`ui: ${e instanceof Error ? e.message : String(e)}`)) });
    try {
      out.say(`dagx ui: ${server.url}`);
      const errors = server.loadErrors();
      if (errors.length) out.say(`${out.c.yellow("note")} ${errors.length} load error(s): ${errors.map((e) => e.message.split("\n")[0]).join("; ")} — the UI shows what loaded; it reloads when you save`);
      if (out.json) out.data({ url: server.url });
      if (args.open) openBrowser(server.url);
      await stopped;
    } finally {
      await server.close();
    }
    return 0;
  },
});
