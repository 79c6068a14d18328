/**
 * Alerts in the UI: an alert whose delivery failed shows in /api/overview's `alertFailures`, and
 * the change stream names the `alerts` topic when incidents or deliveries are recorded.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { dagx, makeProject, removeProject } from "../../cli/helpers.ts";
import type { ApiOverview, ChangeEvent } from "../../../core/ui-api.ts";
import type { UiServer } from "../../../io/ui/index.ts";
import { apiGet, readEvents, startTestServer, TOKEN } from "./_server.ts";

let dir: string;
let server: UiServer;

beforeAll(async () => {
  dir = makeProject(
    {
      "dagx.config.ts": `import { defineConfig } from "dagx";
export default defineConfig({ alerts: [{ name: "pager", on: "run_failure", command: ["false"], retries: 0 }] });
`,
      "a.asset.ts": `import { asset } from "dagx";\nexport const breaks = asset(() => { throw new Error("upstream file missing"); });\n`,
    },
    "dagx-ui-alerts-",
  );
  server = await startTestServer(dir);
});
afterAll(async () => {
  await server?.close();
  removeProject(dir);
});

test("a failed alert delivery reaches the overview; the stream says `alerts`", async () => {
  const stream = await fetch(`${server.origin}/api/events`, { headers: { Cookie: `dagx_token=${TOKEN}`, Origin: server.origin } });
  // spawned: the run's own process observes the failure and delivers the alert
  const r = await dagx(dir, ["materialize"]);
  expect(r.code).toBe(1);
  const { events } = await readEvents(stream, (e) => e.some((x) => (JSON.parse(x.data) as ChangeEvent).topics.includes("alerts")), 10_000);
  expect(events.some((x) => (JSON.parse(x.data) as ChangeEvent).topics.includes("alerts"))).toBe(true);
  const o = (await (await apiGet(server, "/api/overview")).json()) as ApiOverview;
  expect(o.alertFailures.length).toBe(1);
  expect(o.alertFailures[0]!.kind).toBe("run_failure");
  expect(o.alertFailures[0]!.message).toContain('alert "pager" failed');
  expect(o.failedRuns.length).toBe(1);
}, 60_000);
