/**
 * Alerts end to end in-process against a real local HTTP server: runs on the memory store open,
 * keep and resolve incidents; one webhook per incident; retries; failures recorded and logged;
 * secrets never in logs, events or the JSON of `readAlerts`; a command target; the daemon's hooks.
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createDaemonAlerts, readAlerts } from "../../../io/alerts/index.ts";
import { testProjects } from "../../support/project.ts";
import { type HookServer, startHookServer } from "../../support/hook-server.ts";

const projects = testProjects("dagx-alerts-io-");
const TOKEN = "tok-3f9a-very-secret";
let hook: HookServer;
beforeAll(() => {
  process.env.ALERT_TEST_TOKEN = TOKEN;
  hook = startHookServer();
});
afterEach(() => {
  hook.received.length = 0;
  hook.answer = () => new Response("ok");
});
afterAll(() => {
  hook.stop();
  delete process.env.ALERT_TEST_TOKEN;
  projects.cleanup();
});

/** orders fails while the file "fail" exists; its unique(id) check (not blocking) fails while "dup" exists. */
const ASSETS = [
  `import { existsSync } from "node:fs";`,
  `import { asset, unique } from "dagx";`,
  `export const orders = asset({ checks: [unique("id")] }, (ctx) => {`,
  `  if (existsSync(ctx.path("fail"))) throw new Error("source is down");`,
  `  return existsSync(ctx.path("dup")) ? [{ id: 1 }, { id: 1 }] : [{ id: 1 }, { id: 2 }];`,
  `});`,
  ``,
].join("\n");

const config = (alerts: string) => `import { defineConfig, env } from "dagx";\nexport default defineConfig({ alerts: [${alerts}] });\n`;
const webhook = (extra = "") => `{ name: "hook", on: ["run_failure", "check_failure"], webhook: { url: "${hook.url}", headers: { Authorization: env("ALERT_TEST_TOKEN") } }${extra} }`;

describe("alerts on runs", () => {
  test("one webhook per incident across two failing runs; recovery resolves it (and says so); the next failure alerts again", async () => {
    const p = await projects.open({ "dagx.config.ts": config(webhook(", resolved: true")), "orders.asset.ts": ASSETS, fail: "" });
    const first = await p.materialize("orders");
    expect(first.status).toBe("failed");
    expect(hook.received.length).toBe(1);
    const [sent] = hook.received;
    expect(sent!.headers.authorization).toBe(TOKEN);
    expect(sent!.headers["content-type"]).toBe("application/json");
    expect(sent!.body).toMatchObject({ event: "opened", kind: "run_failure", alert: "hook", asset: "orders", partition: null, runId: first.runId, message: expect.stringContaining("source is down") });
    expect(String(sent!.body.text)).toStartWith(`dagx [${p.dir.split("/").pop()}] asset "orders" failed in run ${first.runId!.slice(0, 8)}: `);

    expect((await p.materialize("orders")).status).toBe("failed");
    expect(hook.received.length).toBe(1); // the same incident: no second alert

    rmSync(join(p.dir, "fail"));
    const fixed = await p.materialize("orders");
    expect(fixed.status).toBe("success");
    expect(hook.received.map((r) => [r.body.event, r.body.incidentId])).toEqual([["opened", sent!.body.incidentId], ["resolved", sent!.body.incidentId]]);
    expect(hook.received[1]!.body.text).toBe(`dagx [${p.dir.split("/").pop()}] resolved: asset "orders" materialized again: run ${fixed.runId}`);

    writeFileSync(join(p.dir, "fail"), "");
    await p.materialize("orders");
    expect(hook.received.length).toBe(3);
    expect(hook.received[2]!.body.incidentId).not.toBe(sent!.body.incidentId);

    const views = await readAlerts(p.store);
    expect(views.map((v) => [v.kind, v.status, v.deliveries.map((d) => `${d.event}:${d.status}`)])).toEqual([
      ["run_failure", "open", ["opened:sent"]],
      ["run_failure", "resolved", ["opened:sent", "resolved:sent"]],
    ]);
  });

  test("a check failure is its own incident; a failed alert never fails the run, is retried, recorded and logged, and the secret header never shows", async () => {
    // the server fails every time, echoing the Authorization header back in its error body
    hook.answer = (r) => new Response(`denied for ${r.headers.authorization}`, { status: 500 });
    const p = await projects.open({ "dagx.config.ts": config(webhook(", retries: 1")), "orders.asset.ts": ASSETS, dup: "" });
    const logs: string[] = [];
    const run = await p.materialize("orders", { reporter: { onLog: (key, level, message) => logs.push(`${key} ${level} ${message}`) } });
    expect(run.status).toBe("success"); // the check is not blocking; the alert failing changes nothing
    expect(hook.received.map((r) => r.body.kind)).toEqual(["check_failure", "check_failure"]); // 2 attempts
    expect(hook.received[0]!.body).toMatchObject({ check: "unique(id)", asset: "orders" });

    const [view] = await readAlerts(p.store);
    expect(view!.deliveries).toEqual([{ alert: "hook", target: "webhook", event: "opened", status: "failed", attempts: 2, error: "webhook: HTTP 500: denied for [redacted]", at: expect.any(String) }]);
    const line = 'alert "hook" failed: check_failure of "orders" check "unique(id)": webhook: HTTP 500: denied for [redacted] (2 attempts; recorded, see `dagx alerts`)';
    expect(logs).toContain(`dagx warn ${line}`);
    const events = await p.store.getEvents(run.runId!);
    expect(events.filter((e) => e.type === "log").map((e) => e.payload.message)).toContain(line);
    const everything = JSON.stringify([events, await readAlerts(p.store), logs, await p.store.listIncidents()]);
    expect(everything).not.toContain(TOKEN);
    expect(everything).not.toContain(hook.url); // the URL is a secret too
  });

  test("dagx check observes check failures too: it alerts on its own, a later materialize with the same failure does not repeat it", async () => {
    const checked = `${ASSETS}import { check } from "dagx";\nexport const no_flag = check(orders, () => !existsSync("flag"));\n`;
    const p = await projects.open({ "dagx.config.ts": config(webhook(", resolved: true")), "orders.asset.ts": checked });
    await p.materialize("orders");
    expect(hook.received).toEqual([]);
    writeFileSync(join(p.dir, "flag"), "");
    await p.check("orders");
    expect(hook.received.map((r) => [r.body.kind, r.body.event, r.body.check])).toEqual([["check_failure", "opened", "no_flag"]]);
    await p.materialize("orders");
    expect(hook.received.length).toBe(1);
    rmSync(join(p.dir, "flag"));
    await p.check("orders");
    expect(hook.received.map((r) => [r.body.kind, r.body.event])).toEqual([["check_failure", "opened"], ["check_failure", "resolved"]]);
  });

  test("a 500 then a 200: sent on the second attempt", async () => {
    hook.answer = (_, n) => new Response(n === 1 ? "busy" : "ok", { status: n === 1 ? 503 : 200 });
    const p = await projects.open({ "dagx.config.ts": config(webhook()), "orders.asset.ts": ASSETS, fail: "" });
    await p.materialize("orders");
    expect(hook.received.length).toBe(2);
    const [view] = await readAlerts(p.store);
    expect(view!.deliveries.map((d) => [d.status, d.attempts, d.error])).toEqual([["sent", 2, null]]);
  });

  test("a 4xx is not retried: the hook refused the alert itself", async () => {
    hook.answer = () => new Response("no such hook", { status: 404 });
    const p = await projects.open({ "dagx.config.ts": config(webhook()), "orders.asset.ts": ASSETS, fail: "" });
    await p.materialize("orders");
    expect(hook.received.length).toBe(1);
    expect((await readAlerts(p.store))[0]!.deliveries.map((d) => [d.status, d.attempts, d.error])).toEqual([["failed", 1, "webhook: HTTP 404: no such hook"]]);
  });

  test("a hook that does not answer: each attempt ends at the timeout, and the failure says so", async () => {
    hook.answer = () => new Promise<Response>(() => {});
    const p = await projects.open({ "dagx.config.ts": config(`{ name: "slow", on: "run_failure", retries: 0, timeout: "150ms", webhook: "${hook.url}" }`), "orders.asset.ts": ASSETS, fail: "" });
    const t0 = performance.now();
    const run = await p.materialize("orders");
    expect(performance.now() - t0).toBeLessThan(5_000);
    expect(run.status).toBe("failed");
    expect((await readAlerts(p.store))[0]!.deliveries.map((d) => [d.status, d.attempts, d.error])).toEqual([["failed", 1, "webhook: no answer within 150 ms"]]);
  });

  test("a command target gets the alert JSON on stdin and DAGX_ALERT_* variables, in the project root; select filters by asset", async () => {
    const script = `cat > alert.json; printf '%s|%s' "$DAGX_ALERT_KIND" "$DAGX_ALERT_ASSET" > alert.env`;
    const p = await projects.open({
      "dagx.config.ts": config(`{ name: "script", on: "run_failure", command: ["sh", "-c", ${JSON.stringify(script)}] }, { name: "elsewhere", on: "run_failure", select: "group:other", command: ["sh", "-c", "touch wrong"] }`),
      "orders.asset.ts": ASSETS,
      "other.asset.ts": `import { asset } from "dagx";\nexport const ledger = asset({ group: "other" }, () => 1);\n`,
      fail: "",
    });
    await p.materialize("orders");
    expect(JSON.parse(readFileSync(join(p.dir, "alert.json"), "utf8"))).toMatchObject({ kind: "run_failure", asset: "orders", alert: "script", event: "opened" });
    expect(readFileSync(join(p.dir, "alert.env"), "utf8")).toBe("run_failure|orders");
    expect((await readAlerts(p.store))[0]!.deliveries.map((d) => [d.alert, d.target, d.status])).toEqual([["script", "command", "sent"]]);
  });

  test("an alert whose select matches nothing is refused at load, naming it", async () => {
    const open = projects.open({ "dagx.config.ts": config(`{ name: "fin", on: "run_failure", select: "group:financ", command: ["true"] }`), "orders.asset.ts": ASSETS.replace("asset({ checks", `asset({ group: "finance", checks`) });
    await expect(open).rejects.toMatchObject({ code: "CONFIG_INVALID", message: expect.stringMatching(/^Invalid config at dagx\.config\.ts: alert "fin": select "group:financ": .*did you mean "finance"/) });
  });

  test("a command that exits non-zero is retried and recorded with its stderr", async () => {
    const p = await projects.open({ "dagx.config.ts": config(`{ on: "run_failure", retries: 1, command: ["sh", "-c", "echo nope >&2; exit 3"] }`), "orders.asset.ts": ASSETS, fail: "" });
    await p.materialize("orders");
    expect((await readAlerts(p.store))[0]!.deliveries.map((d) => [d.alert, d.status, d.attempts, d.error])).toEqual([["command 1", "failed", 2, 'command "sh" exited with code 3: nope']]);
  });
});

describe("alerts of the daemon (createDaemonAlerts)", () => {
  test("a failing sensor alerts once, a good tick resolves it; freshness overdue alerts on entering and resolves on leaving", async () => {
    const p = await projects.open({ "dagx.config.ts": config(`{ name: "hook", on: ["sensor_failure", "freshness_overdue"], webhook: "${hook.url}", resolved: true }`), "orders.asset.ts": ASSETS });
    const lines: string[] = [];
    let t = 1_000;
    const alerts = createDaemonAlerts(p.project, p.store, { now: () => t, log: (l) => lines.push(l) });
    await alerts.store.ensureInstigators([{ name: "files", kind: "sensor", status: "running", createdAt: 0, lastTickAt: null, cursor: null, data: {}, updatedAt: 0 }]);
    const tick = (status: "failed" | "skipped", reason: string | null) => alerts.store.recordTick({ name: "files", kind: "sensor", tickAt: t, evaluatedAt: t, status, reason, requestIds: [] }, [], { lastTickAt: t, updatedAt: t });
    await tick("failed", "sensor threw: bucket gone");
    await alerts.flush();
    await tick("failed", "sensor threw: bucket gone");
    await alerts.flush();
    expect(hook.received.map((r) => [r.body.kind, r.body.instigator, r.body.text])).toEqual([["sensor_failure", "files", `dagx [${p.dir.split("/").pop()}] sensor "files" failed: sensor threw: bucket gone`]]);
    t = 2_000;
    await tick("skipped", "no run requests");
    await alerts.flush();
    expect(hook.received.map((r) => r.body.event)).toEqual(["opened", "resolved"]);
    expect(lines).toEqual(['alert "hook" sent: sensor_failure of "files" (1 attempt)', 'alert "hook" sent: resolved sensor_failure of "files" (1 attempt)']);

    hook.received.length = 0;
    const overdue = new Map([["orders", { state: "overdue" as const, lagMs: null, reason: "never materialized" }]]);
    await alerts.freshness({}, overdue);
    await alerts.freshness({ orders: "overdue" }, overdue);
    await alerts.freshness({ orders: "overdue" }, new Map([["orders", { state: "fresh" as const, lagMs: 5, reason: "data is 0s old" }]]));
    expect(hook.received.map((r) => [r.body.kind, r.body.event, r.body.message])).toEqual([["freshness_overdue", "opened", "never materialized"], ["freshness_overdue", "resolved", "never materialized"]]);
  });
});
