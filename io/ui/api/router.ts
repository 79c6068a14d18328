/**
 * The API's routes (core/ui-api.ts): method + path → handler. Security checks happen before
 * (io/ui/server.ts); a handler's exception becomes an `{ error }` answer here.
 */
import type { ApiContext } from "./context.ts";
import { apiError, errorResponse, json } from "./_http.ts";
import { getAsset, getAssets, getOverview, getPartitionHealth, getPreview, getSelection } from "./assets.ts";
import { getBackfill, getBackfills, getRun, getRuns, getSchedules, getSensors, getTicks } from "./records.ts";
import { getMeta } from "./meta.ts";
import { getAssetCode } from "./code.ts";
import { postAction } from "./actions.ts";

type Handler = (ctx: ApiContext, url: URL, params: string[], body: unknown) => unknown;

/** Routes by method: a path pattern (`*` one segment, `**` the rest, URL-decoded) and its handler. */
const ROUTES: { method: "GET" | "POST"; pattern: string[]; handler: Handler }[] = [];
const route = (method: "GET" | "POST", path: string, handler: Handler) => ROUTES.push({ method, pattern: path.split("/").filter(Boolean), handler });

route("GET", "/api/meta", (ctx) => getMeta(ctx));
route("GET", "/api/overview", (ctx) => getOverview(ctx));
route("GET", "/api/assets", (ctx) => getAssets(ctx));
route("GET", "/api/selection", (ctx, url) => getSelection(ctx, url));
route("GET", "/api/runs", (ctx, url) => getRuns(ctx, url));
route("GET", "/api/runs/*", (ctx, url, [id]) => getRun(ctx, id!, url));
route("GET", "/api/backfills", (ctx) => getBackfills(ctx));
route("GET", "/api/backfills/*", (ctx, _url, [id]) => getBackfill(ctx, id!));
route("GET", "/api/schedules", (ctx) => getSchedules(ctx));
route("GET", "/api/sensors", (ctx) => getSensors(ctx));
route("GET", "/api/ticks", (ctx, url) => getTicks(ctx, url));
// an asset key may hold `/`: the last segment names a sub-document when it is one of these
route("GET", "/api/assets/**", (ctx, url, [rest]) => {
  // …unless the whole path is itself a key (an asset named `raw/preview`) and its prefix is not
  const whole = ctx.holder.get().graph.assets;
  const found = /^(.*)\/(partitions|preview|code)$/.exec(rest!);
  const m = found && !(whole.has(rest!) && !whole.has(found[1]!)) ? found : null;
  if (m?.[2] === "partitions") return getPartitionHealth(ctx, m[1]!, url);
  if (m?.[2] === "preview") return getPreview(ctx, m[1]!);
  if (m?.[2] === "code") return getAssetCode(ctx, m[1]!, url);
  return getAsset(ctx, rest!, url);
});
route("POST", "/api/plan", (ctx, _url, _p, body) => postAction(ctx, "plan", [], body));
route("POST", "/api/materialize", (ctx, _url, _p, body) => postAction(ctx, "materialize", [], body));
route("POST", "/api/backfill", (ctx, _url, _p, body) => postAction(ctx, "backfill", [], body));
route("POST", "/api/runs/*/cancel", (ctx, _url, p, body) => postAction(ctx, "cancel-run", p, body));
route("POST", "/api/backfills/*/cancel", (ctx, _url, p, body) => postAction(ctx, "cancel-backfill", p, body));
route("POST", "/api/backfills/*/resume", (ctx, _url, p, body) => postAction(ctx, "resume-backfill", p, body));
route("POST", "/api/schedules/*/start", (ctx, _url, p, body) => postAction(ctx, "schedule-start", p, body));
route("POST", "/api/schedules/*/stop", (ctx, _url, p, body) => postAction(ctx, "schedule-stop", p, body));
route("POST", "/api/sensors/*/start", (ctx, _url, p, body) => postAction(ctx, "sensor-start", p, body));
route("POST", "/api/sensors/*/stop", (ctx, _url, p, body) => postAction(ctx, "sensor-stop", p, body));

function match(pattern: string[], segments: string[]): string[] | null {
  const params: string[] = [];
  for (let i = 0; i < pattern.length; i++) {
    const p = pattern[i]!;
    if (p === "**") {
      if (i >= segments.length) return null;
      params.push(segments.slice(i).join("/"));
      return params;
    }
    if (i >= segments.length) return null;
    if (p === "*") params.push(segments[i]!);
    else if (p !== segments[i]) return null;
  }
  return pattern.length === segments.length ? params : null;
}

/** Answer one API request (already checked for Host, Origin and token). */
export async function handleApi(ctx: ApiContext, req: Request, url: URL): Promise<Response> {
  let segments: string[];
  try {
    segments = url.pathname.split("/").filter(Boolean).map(decodeURIComponent);
  } catch {
    return apiError(400, "USAGE", `Malformed path "${url.pathname}"`);
  }
  let allowed: string[] = [];
  for (const r of ROUTES) {
    const params = match(r.pattern, segments);
    if (!params) continue;
    if (r.method !== req.method) {
      allowed.push(r.method);
      continue;
    }
    try {
      let body: unknown = null;
      if (req.method === "POST") {
        const text = await req.text();
        if (text) {
          if (!/^application\/json\b/i.test(req.headers.get("content-type") ?? "")) return apiError(415, "USAGE", "Actions take a JSON body: send Content-Type: application/json");
          try {
            body = JSON.parse(text);
          } catch {
            return apiError(400, "USAGE", "The body is not valid JSON");
          }
        }
      }
      const out = await r.handler(ctx, url, params, body);
      return out instanceof Response ? out : json(out);
    } catch (e) {
      return errorResponse(e);
    }
  }
  allowed = [...new Set(allowed)];
  if (allowed.length) return new Response(JSON.stringify({ error: { code: "METHOD", message: `${req.method} is not allowed here: use ${allowed.join(" or ")}` } }), { status: 405, headers: { Allow: allowed.join(", "), "Content-Type": "application/json; charset=utf-8" } });
  return apiError(404, "NOT_FOUND", `No API endpoint ${req.method} ${url.pathname}: see core/ui-api.ts`);
}
