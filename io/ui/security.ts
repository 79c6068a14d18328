/**
 * The UI server's defences (DESIGN §11, §13): a per-launch token, Host and Origin checks, and the
 * headers every answer carries. A local server is attacked through the user's browser: DNS
 * rebinding (a page whose name resolves to 127.0.0.1 → rejected by the Host check), CSRF and
 * cross-site reads (→ Origin / Sec-Fetch-Site checks, a SameSite=Strict cookie, the token header).
 */
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { networkInterfaces } from "node:os";
import { UI_TOKEN_COOKIE, UI_TOKEN_HEADER } from "../../core/ui-api.ts";

/** A fresh token for one launch: 32 random bytes, base64url (43 characters). */
export function createToken(): string {
  return randomBytes(32).toString("base64url");
}

/** Compare a presented token with the launch's in constant time (both hashed first: equal lengths, no length leak). */
export function tokensEqual(presented: string | null | undefined, expected: string): boolean {
  if (!presented) return false;
  const a = createHash("sha256").update(presented).digest();
  const b = createHash("sha256").update(expected).digest();
  return timingSafeEqual(a, b);
}

/** The Content-Security-Policy of every answer: the app's own files only, no inline script, no framing. */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  // the graph lays out in a Web Worker started from the bundle's own script (web/graph/layout-worker.ts): no blob:
  "worker-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join("; ");

/** Headers set on every answer of the server (app, API, errors, redirects). */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  "Content-Security-Policy": CONTENT_SECURITY_POLICY,
  "X-Content-Type-Options": "nosniff",
  "Referrer-Policy": "no-referrer",
  "X-Frame-Options": "DENY",
  "Cross-Origin-Opener-Policy": "same-origin",
  "Cross-Origin-Resource-Policy": "same-origin",
};

/** Add the security headers to a response (in place) and return it. */
export function secured(res: Response): Response {
  for (const [k, v] of Object.entries(SECURITY_HEADERS)) res.headers.set(k, v);
  return res;
}

/** The loopback names a browser may use for this server. */
const LOOPBACK = ["localhost", "127.0.0.1", "[::1]"];

/**
 * The host names (without port) the server answers to: the loopback names; plus, when bound to
 * another address on purpose (`--host`), that address, and for a wildcard bind (0.0.0.0, ::) the
 * machine's interface addresses. Anything else is a rebinding attempt (or a proxy) and is refused.
 */
export function allowedHostNames(bindHost: string): Set<string> {
  const names = new Set(LOOPBACK);
  const bracket = (h: string) => (h.includes(":") && !h.startsWith("[") ? `[${h}]` : h);
  if (bindHost === "0.0.0.0" || bindHost === "::" || bindHost === "[::]") {
    for (const list of Object.values(networkInterfaces())) for (const i of list ?? []) names.add(bracket(i.address).toLowerCase());
  } else names.add(bracket(bindHost).toLowerCase());
  return names;
}

/** Whether a `Host` header names this server: an allowed name and exactly its port. */
export function isAllowedHost(host: string | null, names: ReadonlySet<string>, port: number): boolean {
  if (!host) return false;
  const m = /^(\[[0-9a-fA-F:.]+\]|[^:\[\]]+):(\d+)$/.exec(host.trim());
  if (!m) return false;
  return names.has(m[1]!.toLowerCase()) && Number(m[2]) === port;
}

/** Whether `origin` is this server as the browser reached it (`http://` + the request's Host). */
export function isSameOrigin(origin: string | null, host: string): boolean {
  return origin !== null && origin.toLowerCase() === `http://${host.toLowerCase()}`;
}

/**
 * Whether a request comes from a page of this server, for the checks that need proof of it (every
 * non-GET, and the event stream): a same-origin `Origin`; or, for a GET without `Origin` (browsers
 * leave it off same-origin GETs, EventSource included), `Sec-Fetch-Site: same-origin`.
 */
export function isSameOriginRequest(req: Request, host: string): boolean {
  const origin = req.headers.get("origin");
  if (origin !== null) return isSameOrigin(origin, host);
  return req.method === "GET" && req.headers.get("sec-fetch-site") === "same-origin";
}

/** Whether a request is a cross-site one a browser labelled (never accepted under /api/). */
export function isCrossSite(req: Request, host: string): boolean {
  const origin = req.headers.get("origin");
  if (origin !== null && !isSameOrigin(origin, host)) return true;
  const site = req.headers.get("sec-fetch-site");
  return site === "cross-site" || site === "same-site";
}

/** A cookie's value from the request, or null. */
export function cookieValue(req: Request, name: string): string | null {
  const header = req.headers.get("cookie");
  if (!header) return null;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0 && part.slice(0, eq).trim() === name) {
      try {
        return decodeURIComponent(part.slice(eq + 1).trim());
      } catch {
        return null;
      }
    }
  }
  return null;
}

/** The token a request presents in the header (every API call), or null. */
export const headerToken = (req: Request): string | null => req.headers.get(UI_TOKEN_HEADER);
/** The token a request presents in the cookie (the event stream, the app's page), or null. */
export const cookieToken = (req: Request): string | null => cookieValue(req, UI_TOKEN_COOKIE);

/** The `Set-Cookie` value that stores the token: same site only, every path, readable by the app (it copies it into the header). */
export function tokenCookie(token: string): string {
  return `${UI_TOKEN_COOKIE}=${encodeURIComponent(token)}; Path=/; SameSite=Strict`;
}
