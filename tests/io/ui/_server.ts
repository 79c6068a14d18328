/** Helpers of the UI server tests: a started server on port 0 and requests to it as a browser or a script would send them. */
import { cpSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startUiServer, type UiServer, type UiServerOptions } from "../../../io/ui/index.ts";

export const REPO = join(import.meta.dir, "../../..");
export const TOKEN = "test-token-0123456789abcdefghijklmnopqrstuv";

/** A copy of examples/shop in a temp folder. */
export function copyShop(): string {
  const dir = mkdtempSync(join(tmpdir(), "dagx-ui-"));
  cpSync(join(REPO, "examples/shop"), dir, { recursive: true, filter: (src) => !src.includes(".dagx") });
  return dir;
}

export const removeDir = (dir: string) => rmSync(dir, { recursive: true, force: true });

/** Start the server for `root` on a free port, without watching files, with a known token. */
export function startTestServer(root: string, o: Partial<UiServerOptions> = {}): Promise<UiServer> {
  return startUiServer({ root, port: 0, watch: false, version: "test", token: TOKEN, ...o });
}

/** A request as the app sends it: the token header, Host of the server. */
export function apiGet(server: UiServer, path: string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${server.origin}${path}`, { headers: { "X-Dagx-Token": TOKEN, ...headers } });
}

/** A POST as the app sends it: token header, same-origin Origin, JSON body. */
export function apiPost(server: UiServer, path: string, body: unknown = {}, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${server.origin}${path}`, { method: "POST", headers: { "X-Dagx-Token": TOKEN, Origin: server.origin, "Content-Type": "application/json", ...headers }, body: JSON.stringify(body) });
}

/** Read server-sent events from an open stream until `until` says stop or `ms` pass. */
export async function readEvents(res: Response, until: (events: { event: string; data: string; at: number }[], comments: string[]) => boolean, ms: number): Promise<{ events: { event: string; data: string; at: number }[]; comments: string[] }> {
  const reader = res.body!.getReader();
  const dec = new TextDecoder();
  const events: { event: string; data: string; at: number }[] = [];
  const comments: string[] = [];
  let buf = "";
  const deadline = Date.now() + ms;
  try {
    while (Date.now() < deadline && !until(events, comments)) {
      const chunk = await Promise.race([reader.read(), Bun.sleep(deadline - Date.now()).then(() => null)]);
      if (!chunk || chunk.done) break;
      buf += dec.decode(chunk.value, { stream: true });
      let i: number;
      while ((i = buf.indexOf("\n\n")) >= 0) {
        const block = buf.slice(0, i);
        buf = buf.slice(i + 2);
        let event = "message";
        let data = "";
        for (const line of block.split("\n")) {
          if (line.startsWith(":")) comments.push(line.slice(1).trim());
          else if (line.startsWith("event:")) event = line.slice(6).trim();
          else if (line.startsWith("data:")) data += line.slice(5).trim();
        }
        if (data) events.push({ event, data, at: Date.now() });
      }
    }
  } finally {
    await reader.cancel().catch(() => {});
  }
  return { events, comments };
}
