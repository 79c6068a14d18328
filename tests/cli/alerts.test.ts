/**
 * Alerts through the CLI: a failed `dagx materialize` (spawned: the real entry point, its own
 * process, the DuckDB state file) posts one webhook to a real local server; a second failing run in
 * another process does not post again (the incident is recorded in state); `dagx alerts` lists it.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type HookServer, startHookServer } from "../support/hook-server.ts";
import { dagx, makeProject, removeProject, runDagx } from "./helpers.ts";

let hook: HookServer;
let dir = "";
const TOKEN = "cli-alert-token-8c1d";
beforeAll(() => {
  hook = startHookServer();
  dir = makeProject({
    "dagx.config.ts": [
      `import { defineConfig, env } from "dagx";`,
      `export default defineConfig({`,
      `  alerts: [{ name: "slack", on: "run_failure", resolved: true, webhook: { url: "${hook.url}", headers: { Authorization: env("HOOK_AUTH") } } }],`,
      `});`,
      ``,
    ].join("\n"),
    "orders.asset.ts": `import { existsSync } from "node:fs";\nimport { asset } from "dagx";\nexport const orders = asset((ctx) => { if (existsSync(ctx.path("fail"))) throw new Error("upstream API returned 503"); return [{ id: 1 }]; });\n`,
    ".env": `HOOK_AUTH=${TOKEN}\n`,
    fail: "",
  }, "dagx-alerts-cli-");
});
afterAll(() => {
  hook.stop();
  removeProject(dir);
});

test("a failed dagx materialize posts one webhook per incident; dagx alerts lists it; recovery resolves it", async () => {
  const first = await dagx(dir, ["materialize", "orders"]);
  expect(first.code).toBe(1);
  expect(hook.received.length).toBe(1);
  expect(hook.received[0]!.headers.authorization).toBe(TOKEN);
  expect(hook.received[0]!.body).toMatchObject({ kind: "run_failure", event: "opened", asset: "orders", alert: "slack", message: expect.stringContaining("upstream API returned 503") });
  expect(first.stderr).toContain('alert "slack" sent: run_failure of "orders" (1 attempt)');

  // another process, same failure: the incident is open in state, nobody alerts again
  const second = await dagx(dir, ["materialize", "orders"]);
  expect(second.code).toBe(1);
  expect(hook.received.length).toBe(1);
  expect(second.stderr).not.toContain("alert ");

  const listed = await runDagx(dir, ["alerts", "--json"]);
  expect(listed.code).toBe(0);
  const [incident] = listed.json<{ incidentId: string; kind: string; status: string; asset: string; deliveries: { alert: string; status: string }[] }[]>();
  expect(incident).toMatchObject({ incidentId: hook.received[0]!.body.incidentId, kind: "run_failure", status: "open", asset: "orders", deliveries: [{ alert: "slack", status: "sent", event: "opened", attempts: 1 }] });
  // the shape README "JSON shapes" documents
  expect(Object.keys(incident!).sort()).toEqual(["asset", "check", "deliveries", "incidentId", "instigator", "kind", "message", "openedAt", "partition", "resolvedAt", "resolvedBy", "runId", "status"]);
  expect(Object.keys(incident!.deliveries[0]!).sort()).toEqual(["alert", "at", "attempts", "error", "event", "status", "target"]);
  expect(listed.stdout + listed.stderr).not.toContain(TOKEN);
  const table = await runDagx(dir, ["alerts"]);
  expect(table.stdout).toMatch(/run_failure\s+orders\s+.*open\s+slack: sent/);

  rmSync(join(dir, "fail"));
  expect((await runDagx(dir, ["materialize", "orders"])).code).toBe(0);
  expect(hook.received.map((r) => r.body.event)).toEqual(["opened", "resolved"]);
  expect((await runDagx(dir, ["alerts", "--open"])).stderr).toContain("No open incidents");
});

test("two processes failing at once: exactly one of them alerts (the state file decides)", async () => {
  writeFileSync(join(dir, "fail"), "");
  hook.received.length = 0;
  const [a, b] = await Promise.all([dagx(dir, ["materialize", "orders"]), dagx(dir, ["materialize", "orders"])]);
  expect([a.code, b.code]).toEqual([1, 1]);
  expect(hook.received.map((r) => [r.body.kind, r.body.event])).toEqual([["run_failure", "opened"]]);
  expect([a.stderr, b.stderr].filter((e) => e.includes('alert "slack" sent')).length).toBe(1);
});

test("dagx alerts --test sends a test payload through each alert, records nothing, and names an unknown alert", async () => {
  hook.received.length = 0;
  const before = (await runDagx(dir, ["alerts", "--json"])).json<unknown[]>().length;
  const r = await runDagx(dir, ["alerts", "--test"]);
  expect([r.code, r.stdout]).toEqual([0, 'alert "slack" (webhook): sent after 1 attempt\n']);
  expect(hook.received.map((x) => [x.body.event, x.body.alert, x.body.kind, x.headers.authorization])).toEqual([["test", "slack", "run_failure", TOKEN]]);
  expect(String(hook.received[0]!.body.text)).toContain('test alert "slack": run_failure alerts reach this target');
  expect((await runDagx(dir, ["alerts", "--json"])).json<unknown[]>().length).toBe(before);
  const unknown = await runDagx(dir, ["alerts", "--test", "slak"]);
  expect([unknown.code, unknown.stderr]).toEqual([2, expect.stringContaining('Unknown alert "slak" — did you mean "slack"?')]);
});
