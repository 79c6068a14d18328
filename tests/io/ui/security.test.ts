/**
 * The UI server's defences, in-process (port 0): Host (DNS rebinding), token on every /api path
 * (reads too), Origin on actions and on the event stream, the printed URL's cookie + redirect, the
 * headers (CSP…) on the app and the API, and a taken port.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { makeProject, removeProject } from "../../cli/helpers.ts";
import type { UiServer } from "../../../io/ui/index.ts";
import { apiGet, startTestServer, TOKEN } from "./_server.ts";

let dir: string;
let server: UiServer;

beforeAll(async () => {
  dir = makeProject({ "a.asset.ts": `import { asset } from "dagx";\nexport const a = asset(() => [{ x: 1 }]);\nexport const named_preview = asset({ key: "reports/preview" }, () => [{ x: 1 }]);\n` }, "dagx-ui-sec-");
  server = await startTestServer(dir);
});
afterAll(async () => {
  await server?.close();
  removeProject(dir);
});

/** Every GET path of the API (core/ui-api.ts). */
const GET_PATHS = ["/api/meta", "/api/overview", "/api/assets", "/api/assets/a", "/api/assets/a/partitions", "/api/assets/a/preview", "/api/selection?q=a", "/api/runs", "/api/runs/x", "/api/backfills", "/api/backfills/x", "/api/schedules", "/api/sensors", "/api/ticks?name=x", "/api/events", "/api/nope"];
const POST_PATHS = ["/api/plan", "/api/materialize", "/api/backfill", "/api/runs/x/cancel", "/api/backfills/x/cancel", "/api/backfills/x/resume", "/api/schedules/s/start", "/api/schedules/s/stop", "/api/sensors/s/start", "/api/sensors/s/stop"];

describe("Host check (DNS rebinding)", () => {
  test("a Host that is not loopback on this port is refused on the app and the API", async () => {
    for (const host of ["evil.example:" + server.port, `attacker.localhost.evil:${server.port}`, `127.0.0.1:${server.port + 1}`, "127.0.0.1", `localhost.:${server.port}`]) {
      for (const path of ["/", "/api/meta"]) {
        const res = await fetch(`${server.origin}${path}`, { headers: { Host: host, "X-Dagx-Token": TOKEN } });
        expect(res.status, `${host} ${path}`).toBe(403);
        expect(((await res.json()) as { error: { code: string } }).error.code).toBe("FORBIDDEN_HOST");
      }
    }
  });
  test("localhost, 127.0.0.1 and [::1] on the port are served", async () => {
    for (const host of [`localhost:${server.port}`, `127.0.0.1:${server.port}`, `[::1]:${server.port}`, `LOCALHOST:${server.port}`]) {
      const res = await fetch(`${server.origin}/api/meta`, { headers: { Host: host, "X-Dagx-Token": TOKEN } });
      expect(res.status, host).toBe(200);
    }
  });
});

describe("token", () => {
  test("every /api path answers 401 without the token, or with a wrong one — reads included", async () => {
    for (const path of GET_PATHS) {
      for (const headers of [{}, { "X-Dagx-Token": "wrong" }, { "X-Dagx-Token": TOKEN.slice(0, -1) }, { "X-Dagx-Token": "" }] as Record<string, string>[]) {
        const res = await fetch(`${server.origin}${path}`, { headers: { Origin: server.origin, ...headers } });
        expect(res.status, `${path} ${JSON.stringify(headers)}`).toBe(401);
        expect(((await res.json()) as { error: { code: string } }).error.code).toBe("UNAUTHORIZED");
      }
    }
    for (const path of POST_PATHS) {
      const res = await fetch(`${server.origin}${path}`, { method: "POST", headers: { Origin: server.origin, "Content-Type": "application/json" }, body: "{}" });
      expect(res.status, path).toBe(401);
    }
  });
  test("the cookie alone opens no API path but the event stream", async () => {
    const cookie = `dagx_token=${TOKEN}`;
    const res = await fetch(`${server.origin}/api/assets`, { headers: { Cookie: cookie, Origin: server.origin } });
    expect(res.status).toBe(401);
    const ev = await fetch(`${server.origin}/api/events`, { headers: { Cookie: cookie, Origin: server.origin } });
    expect(ev.status).toBe(200);
    expect(ev.headers.get("content-type")).toContain("text/event-stream");
    await ev.body?.cancel();
  });
  test("with the header, reads answer 200 (or their own 4xx)", async () => {
    const res = await apiGet(server, "/api/meta");
    expect(res.status).toBe(200);
    // an asset whose key ends in /preview is its detail page, not a preview of "reports"
    const named = await apiGet(server, "/api/assets/reports/preview");
    expect(((await named.json()) as { asset: { key: string } }).asset.key).toBe("reports/preview");
    expect(((await res.json()) as { project: { root: string } }).project.root).toBe(dir);
  });
});

describe("Origin", () => {
  test("actions refuse a cross-origin or missing Origin", async () => {
    for (const path of POST_PATHS) {
      for (const origin of ["http://evil.example", `http://127.0.0.1:${server.port + 1}`, "null", undefined]) {
        const headers: Record<string, string> = { "X-Dagx-Token": TOKEN, "Content-Type": "application/json" };
        if (origin) headers.Origin = origin;
        const res = await fetch(`${server.origin}${path}`, { method: "POST", headers, body: "{}" });
        expect(res.status, `${path} ${origin}`).toBe(403);
        expect(((await res.json()) as { error: { code: string } }).error.code).toBe("FORBIDDEN_ORIGIN");
      }
    }
  });
  test("a cross-site read is refused even with the token", async () => {
    const res = await apiGet(server, "/api/assets", { Origin: "http://evil.example" });
    expect(res.status).toBe(403);
    const site = await apiGet(server, "/api/assets", { "Sec-Fetch-Site": "cross-site" });
    expect(site.status).toBe(403);
  });
  test("the event stream needs a same-origin Origin (or Sec-Fetch-Site: same-origin)", async () => {
    const cookie = `dagx_token=${TOKEN}`;
    for (const headers of [{ Origin: "http://evil.example" }, {}, { "Sec-Fetch-Site": "none" }, { "Sec-Fetch-Site": "cross-site" }] as Record<string, string>[]) {
      const res = await fetch(`${server.origin}/api/events`, { headers: { Cookie: cookie, ...headers } });
      expect(res.status, JSON.stringify(headers)).toBe(403);
      await res.body?.cancel();
    }
    for (const headers of [{ Origin: server.origin }, { "Sec-Fetch-Site": "same-origin" }, { Origin: `http://localhost:${server.port}`, Host: `localhost:${server.port}` }] as Record<string, string>[]) {
      const res = await fetch(`${server.origin}/api/events`, { headers: { Cookie: cookie, ...headers } });
      expect(res.status, JSON.stringify(headers)).toBe(200);
      await res.body?.cancel();
    }
  });
});

describe("the printed URL", () => {
  test("?token= sets a SameSite=Strict cookie and redirects to the URL without it, no referrer", async () => {
    const res = await fetch(`${server.origin}/runs/abc?status=failed&token=${TOKEN}`, { redirect: "manual" });
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe("/runs/abc?status=failed");
    const cookie = res.headers.get("set-cookie")!;
    expect(cookie).toContain(`dagx_token=${TOKEN}`);
    expect(cookie).toContain("SameSite=Strict");
    expect(cookie).toContain("Path=/");
    expect(res.headers.get("referrer-policy")).toBe("no-referrer");
    expect(res.headers.get("cache-control")).toBe("no-store");
  });
  test("a wrong token sets nothing", async () => {
    const res = await fetch(`${server.origin}/?token=nope`, { redirect: "manual" });
    expect(res.status).toBe(403);
    expect(res.headers.get("set-cookie")).toBeNull();
  });
  test("the page needs the cookie; the bundle's files do not", async () => {
    const without = await fetch(`${server.origin}/graph`);
    expect(without.status).toBe(401);
    expect(await without.text()).toContain("?token=");
    // a client route, even with a dot in the asset key
    const dotted = await fetch(`${server.origin}/assets/raw/orders.v2`, { headers: { Cookie: `dagx_token=${TOKEN}` } });
    expect(dotted.status).toBe(200);
    expect((await fetch(`${server.origin}/favicon.ico`)).status).toBe(404);
    const page = await fetch(`${server.origin}/assets/a/b`, { headers: { Cookie: `dagx_token=${TOKEN}` } });
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('<div id="app">');
    // no inline script: every script is a file of the bundle
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    const src = /<script[^>]*src="([^"]+)"/.exec(html)![1]!;
    expect(src.startsWith("/")).toBe(true);
    const js = await fetch(`${server.origin}${src}`);
    expect(js.status).toBe(200);
    expect(js.headers.get("content-type")).toContain("javascript");
    expect(js.headers.get("content-security-policy")).toContain("default-src 'self'");
    expect(js.headers.get("x-content-type-options")).toBe("nosniff");
  });
});

describe("headers", () => {
  test("CSP and the other headers on the app, the API, errors and redirects", async () => {
    const answers = [
      await fetch(`${server.origin}/`, { headers: { Cookie: `dagx_token=${TOKEN}` } }),
      await fetch(`${server.origin}/`),
      await apiGet(server, "/api/meta"),
      await apiGet(server, "/api/nope"),
      await fetch(`${server.origin}/api/meta`),
      await fetch(`${server.origin}/?token=${TOKEN}`, { redirect: "manual" }),
      await fetch(`${server.origin}/`, { headers: { Host: "evil.example" } }),
    ];
    for (const res of answers) {
      const csp = res.headers.get("content-security-policy")!;
      expect(csp).toContain("default-src 'self'");
      expect(csp).toContain("script-src 'self'");
      expect(csp).not.toContain("unsafe-inline");
      expect(csp).not.toContain("unsafe-eval");
      expect(csp).toContain("connect-src 'self'");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).toContain("worker-src 'self'");
      expect(csp).not.toContain("blob:");
      expect(res.headers.get("x-content-type-options")).toBe("nosniff");
      expect(res.headers.get("referrer-policy")).toBe("no-referrer");
      expect(res.headers.get("x-frame-options")).toBe("DENY");
    }
  });
});

describe("binding", () => {
  test("binds 127.0.0.1 by default", () => {
    expect(server.hostname).toBe("127.0.0.1");
    expect(server.url).toBe(`http://127.0.0.1:${server.port}/?token=${TOKEN}`);
  });
  test("a taken port says so and suggests --port 0", async () => {
    await expect(startTestServer(dir, { port: server.port })).rejects.toThrow(/port is in use.*--port 0/);
  });
  test("a fresh token per launch: 43 random characters", async () => {
    const other = await startTestServer(dir, { token: undefined });
    try {
      expect(other.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(other.token).not.toBe(TOKEN);
    } finally {
      await other.close();
    }
  });
});
