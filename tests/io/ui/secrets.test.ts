/**
 * Secrets never reach an API answer: a project whose resource reads a secret through env() (from the
 * project's .env), an asset that logs it and a failing asset whose error holds it; materialized by a
 * spawned CLI (its own redaction writes the state); every GET answer of the server is grepped.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { dagx, makeProject, removeProject } from "../../cli/helpers.ts";
import type { UiServer } from "../../../io/ui/index.ts";
import { apiGet, apiPost, startTestServer } from "./_server.ts";

const SECRET = "ui-Qx81-s3cr3t-value";
let dir: string;
let server: UiServer;
let runId: string;

beforeAll(async () => {
  dir = makeProject(
    {
      ".env": `SHOP_API_TOKEN=${SECRET}\n`,
      "dagx.config.ts": `import { defineConfig, defineResource, env } from "dagx";
const api = defineResource({ config: { token: env("SHOP_API_TOKEN") }, setup: ({ config }) => ({ token: config.token }) });
export default defineConfig({ resources: { api } });
`,
      "a.asset.ts": `import { asset } from "dagx";
export const logs = asset({ resources: ["api"] }, (ctx) => { ctx.log.info("token is " + ctx.resources.api.token); return [{ x: 1 }]; });
export const fails = asset({ resources: ["api"] }, (ctx) => { throw new Error("login refused for " + ctx.resources.api.token); });
`,
    },
    "dagx-ui-secret-",
  );
  // spawned: the CLI process redacts what it records; the server reads the state afterwards
  const r = await dagx(dir, ["materialize", "--json"]);
  runId = JSON.parse(r.stdout).runId;
  server = await startTestServer(dir);
});
afterAll(async () => {
  await server?.close();
  removeProject(dir);
});

test("no GET answer holds the secret, the run's logs and errors included", async () => {
  const paths = ["/api/meta", "/api/overview", "/api/assets", "/api/assets/logs", "/api/assets/fails", "/api/runs", `/api/runs/${runId}`, "/api/backfills", "/api/schedules", "/api/sensors"];
  let seenLog = false;
  for (const path of paths) {
    const text = await (await apiGet(server, path)).text();
    expect(text, path).not.toContain(SECRET);
    if (path.startsWith("/api/runs/") && text.includes("token is")) seenLog = true;
  }
  // the log line and the failure are there, redacted
  expect(seenLog).toBe(true);
  const plan = await (await apiPost(server, "/api/plan", { selection: "logs" })).text();
  expect(plan).not.toContain(SECRET);
});
