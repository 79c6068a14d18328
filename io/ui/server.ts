/**
 * The UI server (`dagx ui`, and inside `dagx dev`): Bun.serve on 127.0.0.1, the app's bundle for
 * every path outside `/api/`, the JSON API and the change stream under it, every answer with the
 * security headers. Order of checks per request: Host → (API) cross-site → token → Origin → route.
 */
import type { Server } from "bun";
import { DagxError } from "../../core/errors.ts";
import { type ChangeEvent, UI_TOKEN_HEADER } from "../../core/ui-api.ts";
import { openStateAt, stateUrlAt } from "../project/index.ts";
import { cancelQueuedRunAt, readQueueOverview } from "../queue/index.ts";
import { createStorage } from "../storage/index.ts";
import { type AppBundle, loadAppBundle } from "./app-files.ts";
import { type ChangeFeed, createChangeFeed } from "./change-feed.ts";
import { createLauncher, type Launcher } from "./launch.ts";
import { createProjectHolder, type ProjectHolder } from "./project-holder.ts";
import type { ApiContext } from "./api/context.ts";
import { apiError } from "./api/_http.ts";
import { handleApi } from "./api/router.ts";
import { allowedHostNames, cookieToken, createToken, headerToken, isAllowedHost, isCrossSite, isSameOrigin, isSameOriginRequest, secured, tokenCookie, tokensEqual } from "./security.ts";

/** How to start the UI server. */
export interface UiServerOptions {
  /** The project root (exactly; the CLI resolved it). */
  root: string;
  /** 0 picks a free port. @default 3000 */
  port?: number;
  /** Address to bind. @default "127.0.0.1" */
  host?: string;
  /** dagx's version, for /api/meta. */
  version: string;
  /** Reload definitions when project files change. @default true */
  watch?: boolean;
  /** How often the change feed looks at the state file, ms. @default 250 */
  pollMs?: number;
  /** Heartbeat comment interval of the event stream, ms. @default 15000 */
  heartbeatMs?: number;
  /** Bun.serve's idle timeout of ordinary requests, seconds (the event stream has none). @default 60 */
  idleTimeoutSec?: number;
  /** Use this token instead of a random one (tests). */
  token?: string;
  /** Where the server reports what goes wrong outside a request (a failed change read). */
  onError?(e: unknown): void;
}

/** A running UI server. */
export interface UiServer {
  /** `http://127.0.0.1:PORT/?token=…`: what to open. */
  url: string;
  /** The origin (`http://127.0.0.1:PORT`). */
  origin: string;
  port: number;
  hostname: string;
  token: string;
  feed: ChangeFeed;
  launcher: Launcher;
  /** Load errors of the project as last loaded (also in /api/meta). */
  loadErrors(): { file: string; line: number | null; message: string }[];
  /** Stop serving, close the streams, stop the watcher and (SIGINT) launched children. */
  close(): Promise<void>;
}

const SSE_HEADERS = { "Content-Type": "text/event-stream; charset=utf-8", "Cache-Control": "no-store", Connection: "keep-alive", "X-Accel-Buffering": "no" };

/** Start the UI server for the project at `root`. Throws a DagxError when the port is taken. */
export async function startUiServer(o: UiServerOptions): Promise<UiServer> {
  const bindHost = o.host ?? "127.0.0.1";
  const token = o.token ?? createToken();
  const storage = createStorage(o.root);
  const holder: ProjectHolder = await createProjectHolder(o.root, { watchFiles: o.watch !== false });
  // the project's state (Postgres or its file), from the config alone: a broken asset file must not stop the UI
  const store = await openStateAt(o.root);
  const feed = createChangeFeed(store, storage.statePath, { pollMs: o.pollMs, onError: o.onError });
  holder.onReload(() => feed.publish({ topics: ["definitions", "assets"] }));
  const launcher = createLauncher(o.root);
  const stateUrl = await stateUrlAt(o.root).catch(() => null);
  const queuedRuns = async () => new Set([...(await readQueueOverview(stateUrl!)).runs].filter(([, q]) => q.claimed === 0).map(([id]) => id));
  const ctx: ApiContext = { root: o.root, holder, store, feed, launcher, now: () => Date.now(), version: o.version, ...(stateUrl ? { queuedRuns, cancelQueuedRun: async (runId: string) => void (await cancelQueuedRunAt(stateUrl, runId, Date.now())) } : {}) };
  const streams = new Set<() => void>();
  let names = allowedHostNames(bindHost);
  let port = 0;

  const handle = async (req: Request, server: Server<undefined>): Promise<Response> => {
    const host = req.headers.get("host");
    if (!isAllowedHost(host, names, port)) {
      // DNS rebinding: a page of another name that resolves here; or a proxy we were not told about
      return apiError(403, "FORBIDDEN_HOST", `Host "${host ?? ""}" is not this server: open http://127.0.0.1:${port}/ (rebinding protection)`);
    }
    const url = new URL(req.url);
    if (url.pathname === "/api" || url.pathname.startsWith("/api/")) return api(req, url, host!, server);
    return app(req, url);
  };

  const api = async (req: Request, url: URL, host: string, server: Server<undefined>): Promise<Response> => {
    if (isCrossSite(req, host)) return apiError(403, "FORBIDDEN_ORIGIN", "Cross-origin requests are refused");
    const events = url.pathname === "/api/events";
    // fetch calls carry the header; the event stream (EventSource sends no custom header) the cookie
    const presented = headerToken(req) ?? (events ? cookieToken(req) : null);
    if (!tokensEqual(presented, token)) {
      return apiError(401, "UNAUTHORIZED", `Missing or wrong token: open the URL \`dagx ui\` printed (it sets the cookie), or send the ${UI_TOKEN_HEADER} header`);
    }
    if (req.method !== "GET" && req.method !== "HEAD" && !isSameOrigin(req.headers.get("origin"), host)) {
      return apiError(403, "FORBIDDEN_ORIGIN", "Actions need a same-origin Origin header");
    }
    if (events) {
      if (req.method !== "GET") return apiError(405, "METHOD", "The event stream is GET only");
      if (!isSameOriginRequest(req, host)) return apiError(403, "FORBIDDEN_ORIGIN", "The event stream needs a same-origin Origin");
      return eventStream(req, server);
    }
    return handleApi(ctx, req, url);
  };

  const eventStream = (req: Request, server: Server<undefined>): Response => {
    // a stream lives as long as the page: no idle timeout for it (heartbeats keep proxies awake)
    server.timeout(req, 0);
    const enc = new TextEncoder();
    let stop = () => {};
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        const send = (text: string) => {
          try {
            controller.enqueue(enc.encode(text));
          } catch {
            stop();
          }
        };
        send(": dagx change stream\nretry: 1000\n\n");
        const unsubscribe = feed.subscribe((e: ChangeEvent) => send(`event: change\ndata: ${JSON.stringify(e)}\n\n`));
        const beat = setInterval(() => send(": heartbeat\n\n"), o.heartbeatMs ?? 15_000);
        stop = () => {
          clearInterval(beat);
          unsubscribe();
          streams.delete(close);
        };
        const close = () => {
          stop();
          try {
            controller.close();
          } catch {
            // already closed
          }
        };
        streams.add(close);
        req.signal.addEventListener("abort", () => stop());
      },
      cancel() {
        stop();
      },
    });
    return new Response(body, { headers: SSE_HEADERS });
  };

  let bundle: AppBundle | null = null;
  const app = async (req: Request, url: URL): Promise<Response> => {
    if (req.method !== "GET" && req.method !== "HEAD") return apiError(405, "METHOD", "The app is GET only");
    const given = url.searchParams.get("token");
    if (given !== null) {
      if (!tokensEqual(given, token)) return page(403, "This link's token is not the one of this server: open the URL `dagx ui` printed last");
      url.searchParams.delete("token");
      const to = `${url.pathname}${url.search}`;
      return new Response(null, { status: 303, headers: { Location: to, "Set-Cookie": tokenCookie(token), "Cache-Control": "no-store" } });
    }
    bundle ??= await loadAppBundle();
    const file = url.pathname === "/index.html" ? null : bundle.files.get(url.pathname);
    if (file && file !== bundle.index) {
      if (req.headers.get("if-none-match") === file.etag) return new Response(null, { status: 304, headers: { ETag: file.etag } });
      return new Response(file.bytes, { headers: { "Content-Type": file.contentType, ETag: file.etag, "Cache-Control": "public, max-age=31536000, immutable" } });
    }
    // a file name at the root that the bundle does not have (/favicon.ico): 404; deeper paths are
    // client routes, whose asset keys may hold dots (/assets/orders.v2)
    if (/^\/[^/]+\.[a-z0-9]+$/i.test(url.pathname) && url.pathname !== "/index.html") return page(404, `No file ${url.pathname}`);
    // the page itself only for who holds the token (its data needs it anyway): else say how to get in
    if (!tokensEqual(cookieToken(req), token)) return page(401, "Open the URL that `dagx ui` printed (it ends in ?token=…): this server needs its token");
    return new Response(bundle.index.bytes, { headers: { "Content-Type": bundle.index.contentType, "Cache-Control": "no-store" } });
  };

  let server: Server<undefined>;
  try {
    server = Bun.serve({
      hostname: bindHost,
      port: o.port ?? 3000,
      idleTimeout: o.idleTimeoutSec ?? 60,
      fetch: async (req, srv) => secured(await handle(req, srv).catch((e) => apiError(500, "INTERNAL", `Internal error: ${e instanceof Error ? e.message : String(e)}`))),
      error: (e) => secured(apiError(500, "INTERNAL", `Internal error: ${e.message}`)),
    });
  } catch (e) {
    await holder.close();
    feed.close();
    await store.close();
    const code = (e as { code?: string }).code;
    if (code === "EADDRINUSE" || /in use|EADDRINUSE/i.test(String((e as Error).message))) {
      throw new DagxError("USAGE", `Cannot start the UI on ${bindHost}:${o.port ?? 3000}: the port is in use — pick another with --port N, or --port 0 for a free one`);
    }
    throw new DagxError("USAGE", `Cannot start the UI on ${bindHost}:${o.port ?? 3000}: ${(e as Error).message} — check --host and --port`);
  }
  port = server.port!;
  names = allowedHostNames(bindHost);
  const shown = bindHost === "0.0.0.0" || bindHost === "::" ? "127.0.0.1" : bindHost.includes(":") ? `[${bindHost}]` : bindHost;
  const origin = `http://${shown}:${port}`;
  return {
    url: `${origin}/?token=${token}`,
    origin,
    port,
    hostname: bindHost,
    token,
    feed,
    launcher,
    loadErrors: () => holder.loadErrors(),
    async close() {
      for (const close of [...streams]) close();
      feed.close();
      await server.stop(true);
      await holder.close();
      await launcher.close();
      await store.close();
    },
  };
}

/** A small plain page (no script): for a missing token and the like. */
function page(status: number, message: string): Response {
  const esc = message.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  return new Response(`<!doctype html><meta charset="utf-8"><title>dagx</title><p>${esc}</p>\n`, { status, headers: { "Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store" } });
}
