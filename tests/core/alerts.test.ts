import { describe, expect, test } from "bun:test";
import {
  alertEnvironment, alertFailures, alertPayload, testAlertPayload, alertRetryDelay, alertsFor, freshnessObservations, incidentKey, incidentViews, type IncidentRecord, parseAlerts, runObservations, tickObservations,
} from "../../core/alerts/index.ts";
import { checkConfig } from "../../core/config-check.ts";
import { env } from "../../core/env.ts";
import type { StepResult } from "../../core/execute.ts";
import type { CheckResult } from "../../core/types.ts";

const ALL = new Set(["run_failure", "check_failure", "freshness_overdue", "sensor_failure", "schedule_failure"] as const);
const problem = (value: unknown) => {
  const r = parseAlerts(value);
  return "problem" in r ? r.problem : null;
};

describe("parseAlerts()", () => {
  test("fills in defaults: name by target and place, 3 attempts, 5 s, no select, no resolved notice", () => {
    const r = parseAlerts([{ on: "run_failure", webhook: "https://hooks.example.com/x" }, { name: "pager", on: ["check_failure", "freshness_overdue"], command: ["./page.sh", "-v"], retries: 0, timeout: "30s", resolved: true, select: "group:finance" }]);
    expect(r).toEqual({
      alerts: [
        { name: "webhook 1", on: new Set(["run_failure"]), select: null, resolved: false, attempts: 3, timeoutMs: 5000, target: { kind: "webhook", url: "https://hooks.example.com/x", headers: {} } },
        { name: "pager", on: new Set(["check_failure", "freshness_overdue"]), select: "group:finance", resolved: true, attempts: 1, timeoutMs: 30_000, target: { kind: "command", argv: ["./page.sh", "-v"] } },
      ],
    });
  });

  test("takes env() for the URL and header values, as a string or inside { url, headers }", () => {
    const url = env("SLACK_WEBHOOK_URL");
    const token = env("ALERT_TOKEN");
    const r = parseAlerts([{ on: "run_failure", webhook: url }, { on: "run_failure", webhook: { url, headers: { Authorization: token } } }]);
    expect("alerts" in r && r.alerts.map((a) => a.target)).toEqual([{ kind: "webhook", url, headers: {} }, { kind: "webhook", url, headers: { Authorization: token } }]);
  });

  test("names what is wrong, with did-you-mean, and never quotes a webhook URL", () => {
    expect(problem({})).toContain("alerts must be a list");
    expect(problem([{ on: "run_failed", webhook: "https://x" }])).toBe('alert "webhook 1": unknown kind "run_failed" in on — did you mean "run_failure"? — on must be one of "run_failure", "check_failure", "freshness_overdue", "sensor_failure", "schedule_failure", or a list of them');
    expect(problem([{ on: [], webhook: "https://x" }])).toContain("on must be one of");
    expect(problem([{ on: "run_failure" }])).toContain("needs exactly one target");
    expect(problem([{ on: "run_failure", webhook: "https://x", command: ["x"] }])).toContain("needs exactly one target");
    expect(problem([{ on: "run_failure", webhok: "https://x" }])).toBe('alert 1 has an unknown key "webhok" — did you mean "webhook"?');
    const bad = problem([{ on: "run_failure", webhook: "ftp://secret-token@host" }]);
    expect(bad).toContain("must start with http:// or https://");
    expect(bad).not.toContain("secret-token");
    expect(problem([{ on: "run_failure", webhook: { url: "https://x", headers: { "Bad Name": "v" } } }])).toContain("not a valid HTTP header name");
    expect(problem([{ on: "run_failure", webhook: { url: "https://x", headers: { A: 3 } } }])).toContain('header "A" must be a string or env("NAME")');
    expect(problem([{ on: "run_failure", command: [] }])).toContain("command must be a non-empty list of strings");
    expect(problem([{ on: "run_failure", command: "./x.sh" }])).toContain("command must be a non-empty list of strings");
    expect(problem([{ name: "a", on: "run_failure", command: ["x"] }, { name: "a", on: "check_failure", command: ["y"] }])).toContain('the name "a" twice');
    expect(problem([{ on: "run_failure", command: ["x"], retries: 11 }])).toContain("retries must be a whole number from 0 to 10");
    expect(problem([{ on: "run_failure", command: ["x"], timeout: "soon" }])).toContain('Invalid timeout "soon"');
    expect(problem([{ on: "run_failure", command: ["x"], select: "group:(" }])).toContain('alert "command 1": select ');
  });

  test("checkConfig() checks alerts and keeps them as written", () => {
    const alerts = [{ on: "run_failure", command: ["./x.sh"] }];
    expect(checkConfig({ alerts })).toEqual({ config: { alerts } } as never);
    expect(checkConfig({ alerts: [{ on: "nope", command: ["x"] }] })).toMatchObject({ key: "alerts", problem: expect.stringContaining('unknown kind "nope"') });
    expect(checkConfig({ alert: [] })).toMatchObject({ key: "alert", problem: 'unknown key "alert" — did you mean "alerts"?' });
  });
});

const ok = (key: string, partition = ""): StepResult => ({ key, partition, status: "success", rows: 1, durationMs: 1, attempts: 1 });
const failed = (key: string, partition = "", error = "boom"): StepResult => ({ key, partition, status: "failed", rows: null, durationMs: 1, attempts: 1, error });
const check = (assetKey: string, passed: boolean, patch: Partial<CheckResult> = {}): CheckResult => ({
  runId: "r1", assetKey, partitionKey: "", checkName: "unique(id)", at: 1, passed, severity: "error", blocking: false, description: null, metadata: {}, sample: null, error: null, ...patch,
});

describe("runObservations()", () => {
  test("an asset with a failed step opens (its failed partitions listed), one whose steps all succeeded resolves, skipped says nothing", () => {
    const steps = [failed("orders", "2024-01-01", "no file"), ok("orders", "2024-01-02"), ...["03", "04", "05"].map((d) => failed("orders", `2024-01-${d}`)), ok("revenue"), { key: "report", partition: "", status: "skipped", rows: null, durationMs: 0, reason: "upstream failed" } as StepResult];
    const r = runObservations({ runId: "r1", at: 5, steps, checks: [], kinds: ALL });
    expect(r.open).toEqual([{ key: incidentKey("run_failure", { assetKey: "orders" }), kind: "run_failure", assetKey: "orders", partitionKey: "2024-01-01, 2024-01-03, 2024-01-04 (+1 more)", checkName: null, instigator: null, runId: "r1", message: "no file", openedAt: 5 }]);
    expect(r.resolve).toEqual([incidentKey("run_failure", { assetKey: "revenue" })]);
  });

  test("a check with a failed result opens (its error, else description and counts), one that passed everywhere resolves; kinds not asked for are not observed", () => {
    const checks = [check("orders", false, { metadata: { failing: 2, rows: 10 }, description: "ids are unique" }), check("orders", true, { checkName: "not_null(id)" }), check("x", false, { error: "column y missing", severity: "warn" })];
    const r = runObservations({ runId: "r1", at: 5, steps: [failed("a")], checks, kinds: new Set(["check_failure"]) });
    expect(r.open.map((o) => [o.kind, o.assetKey, o.checkName, o.message])).toEqual([["check_failure", "orders", "unique(id)", "ids are unique (failing: 2, rows: 10)"], ["check_failure", "x", "unique(id)", "column y missing"]]);
    expect(r.resolve).toEqual([incidentKey("check_failure", { assetKey: "orders", checkName: "not_null(id)" })]);
  });

  test("cuts a long message", () => {
    const r = runObservations({ runId: "r1", at: 5, steps: [failed("a", "", "x".repeat(5000))], checks: [], kinds: ALL });
    expect(r.open[0]!.message.length).toBe(1000);
    expect(r.open[0]!.message.endsWith("…")).toBe(true);
  });
});

test("freshnessObservations() opens on entering overdue (at the first evaluation too) and resolves on leaving it; late is no incident", () => {
  const res = (state: "fresh" | "late" | "overdue") => ({ state, lagMs: 1, reason: `it is ${state}` });
  const r = freshnessObservations({ at: 9, previous: { a: "fresh", b: "overdue", c: "overdue", d: "late" }, results: new Map([["a", res("overdue")], ["b", res("overdue")], ["c", res("late")], ["d", res("late")], ["e", res("overdue")]]) });
  expect(r.open.map((o) => [o.assetKey, o.message])).toEqual([["a", "it is overdue"], ["e", "it is overdue"]]);
  expect(r.resolve).toEqual([incidentKey("freshness_overdue", { assetKey: "c" })]);
});

test("tickObservations(): the latest tick per instigator decides; a skipped schedule tick says nothing, a skipped sensor tick resolves", () => {
  const t = (name: string, kind: string, status: string, reason: string | null = null) => ({ name, kind, status, reason });
  const r = tickObservations({ at: 3, kinds: ALL, ticks: [t("s", "sensor", "failed", "sensor threw: x"), t("s", "sensor", "skipped"), t("files", "sensor", "failed", "sensor threw: y"), t("daily", "schedule", "skipped"), t("nightly", "schedule", "requested"), t("auto", "automation", "failed")] });
  expect(r.open.map((o) => [o.kind, o.instigator, o.message])).toEqual([["sensor_failure", "files", "sensor threw: y"]]);
  expect(r.resolve).toEqual([incidentKey("schedule_failure", { instigator: "nightly" }), incidentKey("sensor_failure", { instigator: "s" })]);
  expect(tickObservations({ at: 3, kinds: new Set(["run_failure"]), ticks: [t("s", "sensor", "failed")] })).toEqual({ open: [], resolve: [] });
});

const incident = (patch: Partial<IncidentRecord> = {}): IncidentRecord => ({
  incidentId: "0193abcd-0000", key: incidentKey("run_failure", { assetKey: "orders" }), kind: "run_failure", assetKey: "orders", partitionKey: null, checkName: null, instigator: null,
  runId: "0193ffff-1111-7000", message: "boom", openedAt: Date.UTC(2026, 11, 5, 12), resolvedAt: null, resolvedBy: null, ...patch,
});

describe("alertsFor() and alertPayload()", () => {
  const parsed = parseAlerts([
    { name: "all", on: ["run_failure", "sensor_failure"], command: ["x"] },
    { name: "finance", on: "run_failure", select: "group:finance", command: ["x"], resolved: true },
    { name: "checks", on: "check_failure", command: ["x"] },
  ]);
  const alerts = "alerts" in parsed ? parsed.alerts : [];
  const finance = new Set(["revenue"]);
  const selected = (a: { select: string | null }) => (a.select ? finance : null);

  test("matches kind, selection (instigators always) and resolved notices", () => {
    expect(alertsFor(incident(), "opened", alerts, selected).map((a) => a.name)).toEqual(["all"]);
    expect(alertsFor(incident({ assetKey: "revenue" }), "opened", alerts, selected).map((a) => a.name)).toEqual(["all", "finance"]);
    expect(alertsFor(incident({ assetKey: "revenue" }), "resolved", alerts, selected).map((a) => a.name)).toEqual(["finance"]);
    expect(alertsFor(incident({ kind: "sensor_failure", assetKey: null, instigator: "files" }), "opened", alerts, selected).map((a) => a.name)).toEqual(["all"]);
    expect(alertsFor(incident({ assetKey: "revenue" }), "opened", alerts, () => null).map((a) => a.name)).toEqual(["all"]);
  });

  test("the payload: a Slack text line and the structured fields, no URL", () => {
    expect(alertPayload(incident({ partitionKey: "2024-01-01" }), "opened", "all", "shop")).toEqual({
      text: 'dagx [shop] asset "orders" failed (partition 2024-01-01) in run 0193ffff: boom',
      event: "opened", kind: "run_failure", alert: "all", project: "shop", incidentId: "0193abcd-0000", asset: "orders", partition: "2024-01-01", check: null,
      instigator: null, runId: "0193ffff-1111-7000", message: "boom", openedAt: "2026-12-05T12:00:00.000Z", resolvedAt: null,
    });
    const texts = [
      alertPayload(incident({ kind: "check_failure", checkName: "unique(id)" }), "opened", "a", "shop").text,
      alertPayload(incident({ kind: "freshness_overdue", runId: null, message: "data is 2.0d old" }), "opened", "a", "shop").text,
      alertPayload(incident({ kind: "schedule_failure", assetKey: null, instigator: "daily", runId: null }), "opened", "a", "shop").text,
      alertPayload(incident({ resolvedAt: 1, resolvedBy: "run 0193eeee" }), "resolved", "a", "shop").text,
    ];
    expect(texts).toEqual([
      'dagx [shop] check "unique(id)" of "orders" failed in run 0193ffff: boom',
      'dagx [shop] asset "orders" is overdue: data is 2.0d old',
      'dagx [shop] schedule "daily" tick failed: boom',
      'dagx [shop] resolved: asset "orders" materialized again: run 0193eeee',
    ]);
    expect(alertEnvironment(alertPayload(incident(), "opened", "a", "shop"))).toMatchObject({ DAGX_ALERT_KIND: "run_failure", DAGX_ALERT_ASSET: "orders", DAGX_ALERT_PARTITION: "", DAGX_ALERT_RUN_ID: "0193ffff-1111-7000" });
  });
});

test("alertRetryDelay() backs off 0.5 s, 2 s, then 5 s", () => {
  expect([2, 3, 4, 5].map(alertRetryDelay)).toEqual([500, 2000, 5000, 5000]);
});

test("incidentViews() joins deliveries to incidents with ISO times", () => {
  const views = incidentViews([incident({ resolvedAt: Date.UTC(2026, 11, 5, 13), resolvedBy: "run r2" })], [{ incidentId: "0193abcd-0000", alert: "all", target: "command", event: "opened", status: "sent", attempts: 1, error: null, at: Date.UTC(2026, 11, 5, 12) }]);
  expect(views[0]).toMatchObject({ status: "resolved", resolvedAt: "2026-12-05T13:00:00.000Z", deliveries: [{ alert: "all", status: "sent", at: "2026-12-05T12:00:00.000Z" }] });
});

test("alertFailures() lists failed deliveries newest first, as the UI overview shows them", () => {
  const d = (alert: string, status: "sent" | "failed", at: number) => ({ incidentId: "0193abcd-0000", alert, target: "webhook" as const, event: "opened" as const, status, attempts: status === "sent" ? 1 : 3, error: status === "sent" ? null : "webhook: HTTP 500", at });
  const views = incidentViews([incident()], [d("a", "failed", 1000), d("b", "sent", 2000), d("c", "failed", 3000)]);
  expect(alertFailures(views)).toEqual([
    { at: new Date(3000).toISOString(), kind: "run_failure", message: 'alert "c" failed after 3 attempts (orders): webhook: HTTP 500' },
    { at: new Date(1000).toISOString(), kind: "run_failure", message: 'alert "a" failed after 3 attempts (orders): webhook: HTTP 500' },
  ]);
});

test("testAlertPayload(): event test, the alert's first kind, no incident", () => {
  const parsed = parseAlerts([{ name: "ops", on: ["check_failure", "run_failure"], command: ["x"] }]);
  const alert = "alerts" in parsed ? parsed.alerts[0]! : null;
  expect(testAlertPayload(alert!, "shop", Date.UTC(2026, 11, 5))).toMatchObject({
    text: 'dagx [shop] test alert "ops": check_failure, run_failure alerts reach this target', event: "test", kind: "check_failure", alert: "ops", incidentId: "", asset: null, runId: null, openedAt: "2026-12-05T00:00:00.000Z",
  });
});
