/**
 * The detail pages of the UI (asset, run, runs, backfills, schedules, sensors) in real headless
 * Chromium against a real `dagx ui` on a temp copy of examples/shop, plus a few assets of its own:
 * one that takes ~1.5 s (to watch a run live), one that sleeps until canceled, a small daily asset
 * (a health bar of single partitions, a backfill) and an hourly one since 2000 (~230,000
 * partitions: the bar must stay a couple of hundred elements). Every test also fails on a CSP
 * violation, an uncaught error or a console error (tests/support/browser.ts).
 */
import { afterAll, beforeAll, expect } from "bun:test";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { browserSuite, waitInPage, type UiPage } from "../../support/browser.ts";
import { startUiServer, type UiServer } from "../../support/ui-server.ts";
// the CLI runs in this process (runDagx): the UI server is a process of its own, so a run made here
// is still one "started by another process" to it, without a process start and project load per call
import { runDagx } from "../../cli/helpers.ts";
import { createDetailProject } from "./_detail-project.ts";

// Functions below run in the page (page.evaluate/waitForFunction); the test program has no DOM lib.
declare const document: any, window: any, location: any;

let dir: string;
let server: UiServer;
beforeAll(async () => {
  dir = createDetailProject();
  server = await startUiServer(dir);
}, 60_000);
afterAll(async () => {
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const ui = browserSuite();

/** Open a client route with the token cookie set (the printed URL first). */
async function open(page: UiPage, path: string): Promise<void> {
  await page.goto(server.url);
  await page.goto(server.origin + path);
}

/** Set a marker on the window: still there later means the page never reloaded. */
const mark = (page: UiPage) => page.evaluate(() => ((window as unknown as { __noReload: boolean }).__noReload = true));
const stillMarked = (page: UiPage) => page.evaluate(() => (window as unknown as { __noReload?: boolean }).__noReload === true);

ui.test(
  "asset page: Materialize shows the plan, launches, and the run page follows the run live to success",
  async (page) => {
    await open(page, "/assets/digest");
    await waitInPage(page, "the asset page", () => document.querySelector(".asset-page")?.getAttribute("data-key") === "digest");
    expect(await page.$eval(".description", (e) => e.textContent)).toBe("A slow digest");
    await page.click("[data-action=materialize]");
    await waitInPage(page, "the plan", () => document.querySelector(".launch-dialog [data-plan-status]") !== null);
    expect(await page.$$eval(".launch-dialog .plan-step", (rows) => rows.map((r) => r.getAttribute("data-step-key")))).toEqual(["digest"]);
    await mark(page);
    await page.click(".launch-dialog [data-action=launch]");
    await waitInPage(page, "the run page", () => location.pathname.startsWith("/runs/") && document.querySelector(".run-page") !== null);
    await waitInPage(page, "the run seen running", () => document.querySelector(".run-page")?.getAttribute("data-status") === "running", 15_000);
    await waitInPage(page, "the run finishing live", () => document.querySelector(".run-page")?.getAttribute("data-status") === "success", 20_000);
    expect(await stillMarked(page)).toBe(true);
    expect(await page.$eval(".run-page .facts", (e) => e.textContent)).toContain("ui");
    // the Gantt has the step, finished, and the log has its events
    await waitInPage(page, "the Gantt bar", () => document.querySelector('.gantt-row[data-step-key="digest"]')?.getAttribute("data-status") === "success");
    const types = await page.$$eval("tr.ev", (rows) => rows.map((r) => r.getAttribute("data-type")));
    expect(types).toContain("step_started");
    expect(types).toContain("step_success");
    expect(types.at(-1)).toBe("run_finished");
    // the level filter: warnings and above keep the asset's warning only, errors nothing
    await page.select(".event-log select[name=level]", "warn");
    expect(await page.$$eval("tr.ev", (rows) => rows.map((r) => r.querySelector("td.msg")?.textContent))).toEqual(["score 42 is below target"]);
    await page.select(".event-log select[name=level]", "error");
    expect(await page.$$eval("tr.ev", (rows) => rows.length)).toBe(0);
    // back to the asset: the history row and a plot of the numeric metadata key
    const runId = await page.$eval(".run-page", (e) => e.getAttribute("data-run-id"));
    await page.click(`.facts a[href="/assets/digest"]`);
    await waitInPage(page, "the history row", () => document.querySelector("tr.materialization") !== null);
    expect(await page.$eval("tr.materialization", (e) => e.getAttribute("data-run-id"))).toBe(runId);
    await waitInPage(page, "the score plot", () => document.querySelector('figure.plot[data-metric="score"] canvas') !== null);
    // user metadata is text, never markup
    expect(await page.$eval("tr.materialization td.meta", (e) => e.textContent)).toContain("label: <b>not html</b>");
    expect(await page.$$eval("tr.materialization td.meta b", (b) => b.length)).toBe(0);
    await waitInPage(page, "the preview", () => document.querySelector(".preview table") !== null);
    // the check ran with the materialization
    await waitInPage(page, "the check row", () => document.querySelector("tr.check-row") !== null);
    expect(await page.$eval("tr.check-row", (e) => [e.getAttribute("data-check"), e.getAttribute("data-status")])).toEqual([expect.stringContaining("row"), "passed"]);
  },
  { timeoutMs: 60_000 },
);

ui.test("runs page: a run started by another process appears live, and the status filter narrows the table", async (page) => {
  await open(page, "/runs");
  await waitInPage(page, "the runs table", () => document.querySelector(".runs-table, .runs-page p") !== null);
  const before = await page.$$eval("tr.run-row", (r) => r.length);
  await mark(page);
  const r = await runDagx(dir, ["materialize", "settings"]);
  expect(r.code).toBe(0);
  await page.waitForFunction((n) => document.querySelectorAll("tr.run-row").length > n, { timeout: 10_000 }, before);
  expect(await stillMarked(page)).toBe(true);
  await page.select(".runs-page select[name=status]", "failed");
  await waitInPage(page, "the filtered URL", () => location.search === "?status=failed");
  await waitInPage(page, "no failed runs", () => document.querySelectorAll("tr.run-row").length === 0 && document.querySelector(".runs-page p.muted") !== null);
}, { timeoutMs: 40_000 });

ui.test("partition health bar: single partitions when few, a couple of hundred buckets for ~230,000 hourly partitions", async (page) => {
  await open(page, "/assets/small_daily");
  await waitInPage(page, "the small bar", () => document.querySelectorAll(".health-bar .hb-bucket").length > 0);
  const small = await page.$eval(".health-bar", (e) => ({ total: Number(e.getAttribute("data-total")), cells: e.querySelectorAll(".hb-bucket").length, title: e.querySelector(".hb-bucket")?.getAttribute("title") }));
  expect(small.total).toBe(10);
  expect(small.cells).toBe(10);
  expect(small.title).toStartWith("2024-01-01: ");
  await page.goto(server.origin + "/assets/big_hourly");
  await waitInPage(page, "the big bar", () => document.querySelectorAll(".health-bar .hb-bucket").length > 0, 20_000);
  const big = await page.$eval(".health-bar", (e) => ({ total: Number(e.getAttribute("data-total")), cells: e.querySelectorAll(".hb-bucket").length, elements: e.querySelectorAll("*").length, title: e.querySelector(".hb-bucket")?.getAttribute("title") ?? "" }));
  expect(big.total).toBeGreaterThan(200_000);
  expect(big.cells).toBeLessThanOrEqual(200);
  expect(big.elements).toBe(big.cells);
  expect(big.title).toContain("2000-01-01");
  expect(big.title).toContain("..");
}, { timeoutMs: 40_000 });

ui.test("backfill from the asset page: plan, launch, progress per asset to success", async (page) => {
  await open(page, "/assets/small_daily");
  await waitInPage(page, "the asset page", () => document.querySelector("[data-action=backfill]") !== null);
  await page.type(".actions input[name=partitions]", "2024-01-01..2024-01-05");
  await page.click("[data-action=backfill]");
  await waitInPage(page, "the plan", () => document.querySelectorAll(".launch-dialog .plan-step").length === 5);
  await page.click(".launch-dialog [data-action=launch]");
  await waitInPage(page, "the backfill page", () => location.pathname.startsWith("/backfills/") && document.querySelector(".backfill-page") !== null, 15_000);
  await waitInPage(page, "the backfill to finish", () => document.querySelector(".backfill-page")?.getAttribute("data-status") === "success", 30_000);
  await waitInPage(page, "its strip", () => document.querySelectorAll('.backfill-asset[data-asset="small_daily"] .backfill-strip .hb-bucket').length === 5);
  await page.goto(server.origin + "/backfills");
  await waitInPage(page, "the backfills list", () => document.querySelector('tr.backfill-row[data-status="success"]') !== null);
}, { timeoutMs: 60_000 });

ui.test("run page: Cancel stops a running run within seconds", async (page) => {
  await open(page, "/assets/sleeper");
  await waitInPage(page, "the asset page", () => document.querySelector("[data-action=materialize]") !== null);
  await page.click("[data-action=materialize]");
  await waitInPage(page, "the plan", () => document.querySelector(".launch-dialog .plan-step") !== null);
  await page.click(".launch-dialog [data-action=launch]");
  await waitInPage(page, "the run running", () => document.querySelector(".run-page")?.getAttribute("data-status") === "running" && document.querySelector('.gantt-row[data-step-key="sleeper"]') !== null, 20_000);
  await page.click(".run-page [data-action=cancel]");
  await waitInPage(page, "the run canceled", () => document.querySelector(".run-page")?.getAttribute("data-status") === "canceled", 15_000);
  expect(await page.$("[data-action=cancel]")).toBeNull();
}, { timeoutMs: 60_000 });

ui.test("schedules and sensors: list, start and stop, tick history", async (page) => {
  await open(page, "/schedules");
  await waitInPage(page, "the schedule row", () => document.querySelector('tr.instigator-row[data-name="nightly"]') !== null);
  const initial = await page.$eval('tr.instigator-row[data-name="nightly"]', (e) => e.getAttribute("data-status"));
  const verb = initial === "running" ? "stop" : "start";
  await page.click(`tr.instigator-row[data-name="nightly"] [data-action=${verb}]`);
  await page.waitForFunction((was) => document.querySelector('tr.instigator-row[data-name="nightly"]')?.getAttribute("data-status") !== was, { timeout: 10_000 }, initial);
  await page.click('tr.instigator-row[data-name="nightly"] td a');
  await waitInPage(page, "the tick history", () => document.querySelector("#ticks") !== null && (document.querySelector("#ticks table") !== null || document.querySelector("#ticks p.muted:last-child") !== null));
  await page.goto(server.origin + "/sensors");
  await waitInPage(page, "the sensor row", () => document.querySelector('tr.instigator-row[data-name="watcher"]') !== null);
  expect(await page.$eval('tr.instigator-row[data-name="watcher"]', (e) => e.textContent)).toContain("30.0 s");
}, { timeoutMs: 40_000 });

ui.test("launch dialog: a bad partition range shows the server's message and nothing launches", async (page) => {
  page.allowHttpErrors();
  await open(page, "/assets/small_daily");
  await waitInPage(page, "the asset page", () => document.querySelector("[data-action=materialize]") !== null);
  await page.type(".actions input[name=partitions]", "2025-13-01");
  await page.click("[data-action=materialize]");
  await waitInPage(page, "the error", () => document.querySelector(".launch-dialog .error-box") !== null);
  expect(await page.$eval(".launch-dialog .error-box", (e) => e.textContent)).toContain("2025-13-01");
  expect(await page.$eval(".launch-dialog [data-action=launch]", (b) => (b as unknown as { disabled: boolean }).disabled)).toBe(true);
  await page.keyboard.press("Escape");
  await waitInPage(page, "the dialog closed", () => document.querySelector(".launch-dialog") === null);
});

ui.test("asset page: a key with a slash, its upstream links and its preview", async (page) => {
  const r = await runDagx(dir, ["materialize", "orders+", "customers+", "settings+"]);
  expect(r.code).toBe(0);
  await open(page, "/assets/analytics/revenue_by_customer");
  await waitInPage(page, "the asset page", () => document.querySelector(".asset-page")?.getAttribute("data-key") === "analytics/revenue_by_customer");
  expect(await page.$$eval(".facts a", (as) => as.map((a) => a.getAttribute("href")))).toEqual(expect.arrayContaining(["/assets/orders", "/assets/customers", "/assets/top_customers"]));
  await waitInPage(page, "the preview", () => document.querySelectorAll(".preview tbody tr").length > 0);
  expect(await page.$$eval(".preview thead th", (ths) => ths.map((t) => t.textContent))).toEqual(["customer_id", "name", "country", "orders", "revenue"]);
});

ui.test("backfill page: a failed backfill resumes from its page and finishes", async (page) => {
  writeFileSync(join(dir, "fail-09"), "");
  await open(page, "/assets/small_daily");
  await waitInPage(page, "the asset page", () => document.querySelector("[data-action=backfill]") !== null);
  await page.type(".actions input[name=partitions]", "2024-01-08..2024-01-10");
  await page.click("[data-action=backfill]");
  await waitInPage(page, "the plan", () => document.querySelectorAll(".launch-dialog .plan-step").length === 3);
  await page.click(".launch-dialog [data-action=launch]");
  await waitInPage(page, "the backfill to fail", () => document.querySelector(".backfill-page")?.getAttribute("data-status") === "failed", 30_000);
  expect(await page.$eval(".backfill-asset .failures", (e) => e.textContent)).toContain("the export of 2024-01-09 is empty");
  // its run names the failed step and its error at the top
  await page.click(".backfill-asset .failures a");
  await waitInPage(page, "the failed run", () => document.querySelector(".run-page")?.getAttribute("data-status") === "failed");
  expect(await page.$eval(".run-failures", (e) => e.textContent)).toContain("small_daily [2024-01-09]: the export of 2024-01-09 is empty");
  await page.goBack();
  await waitInPage(page, "the backfill page again", () => document.querySelector(".backfill-page [data-action=resume]") !== null);
  rmSync(join(dir, "fail-09"));
  await mark(page);
  await page.click(".backfill-page [data-action=resume]");
  await waitInPage(page, "the resumed backfill to succeed", () => document.querySelector(".backfill-page")?.getAttribute("data-status") === "success", 30_000);
  expect(await stillMarked(page)).toBe(true);
  expect(await page.$(".backfill-asset .failures")).toBeNull();
}, { timeoutMs: 70_000 });

ui.test("asset page: the schema and a schema change recorded by a later materialization", async (page) => {
  expect((await runDagx(dir, ["materialize", "evolving"])).code).toBe(0);
  writeFileSync(join(dir, "wide"), "");
  expect((await runDagx(dir, ["materialize", "evolving"])).code).toBe(0);
  rmSync(join(dir, "wide"));
  await open(page, "/assets/evolving");
  await waitInPage(page, "the schema", () => document.querySelectorAll(".schema tbody tr").length === 2);
  expect(await page.$$eval(".schema tbody tr td:first-child", (tds) => tds.map((t) => t.textContent))).toEqual(["id", "extra"]);
  expect(await page.$eval(".schema-changes li", (e) => e.textContent)).toContain("added extra");
  expect(await page.$$eval("tr.materialization", (rows) => rows.length)).toBe(2);
});

ui.test("runs page: the tag and asset filters go to the API", async (page) => {
  expect((await runDagx(dir, ["materialize", "settings", "--tag", "team=ui-test"])).code).toBe(0);
  await open(page, "/runs?tag=team%3Dui-test");
  await waitInPage(page, "one tagged run", () => document.querySelectorAll("tr.run-row").length === 1);
  expect(await page.$eval("tr.run-row", (e) => e.textContent)).toContain("team=ui-test");
  await page.goto(server.origin + "/runs?asset=evolving");
  await waitInPage(page, "the runs of evolving", () => document.querySelectorAll("tr.run-row").length === 2);
});
