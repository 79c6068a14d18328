/**
 * /graph in real Chromium against a real `dagx ui` (its own process) on a copy of examples/shop:
 * every asset drawn with the status `dagx status --json` gives, laid out in the worker; a selection
 * narrows it, a bad one shows the server's caret; groups close and open; a click opens the asset's
 * page without a reload; and a `dagx materialize` in another process repaints a node live.
 */
import { afterAll, beforeAll, expect } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { dagx } from "../../cli/helpers.ts";
import { hostBinary } from "../../support/binary.ts";
import { browserSuite, waitInPage, type UiPage } from "../../support/browser.ts";
import { startUiServer, type UiServer } from "../../support/ui-server.ts";
import { prepareShop, statusByKey } from "./_shop.ts";

let dir = "";
let server: UiServer;
beforeAll(async () => {
  dir = await prepareShop();
  server = await startUiServer(dir);
}, 60_000);
afterAll(async () => {
  await server?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const ui = browserSuite();

/** Log in (the printed URL sets the cookie) and open /graph; resolves when it is laid out. */
async function openGraph(page: UiPage, query = ""): Promise<void> {
  await page.goto(server.url);
  await page.goto(`${server.origin}/graph${query}`);
  await waitInPage(page, "the graph to be laid out", `document.querySelector('.graph-page[data-ready="true"]') !== null`);
}

const nodes = (page: UiPage) =>
  page.$$eval("[data-asset-key]", (els) => Object.fromEntries(els.map((e) => [e.getAttribute("data-asset-key"), e.getAttribute("data-status")])));

ui.test("every asset is drawn with the status dagx status --json gives, laid out in the worker", async (page) => {
  const expected = await statusByKey(dir);
  expect(Object.values(expected)).toContain("failed");
  expect(Object.values(expected)).toContain("stale");
  expect(Object.values(expected)).toContain("fresh");
  await openGraph(page);
  expect(await nodes(page)).toEqual(expected);
  expect(await page.$eval(".graph-viewport", (e) => e.getAttribute("data-layout-engine"))).toBe("worker");
  // freshness: dated is overdue
  expect(await page.$eval('[data-asset-key="dated"] [data-freshness]', (e) => e.getAttribute("data-freshness"))).toBe("overdue");
  // partitions: regions has 1 of 3
  expect(await page.$eval('[data-asset-key="regions"] [data-partitions]', (e) => e.getAttribute("data-partitions"))).toBe("1/3");
  // nodes do not overlap
  const boxes = await page.$$eval("[data-asset-key]", (els) => els.map((e) => e.getBoundingClientRect()).map((r) => [r.left, r.top, r.right, r.bottom]));
  for (let i = 0; i < boxes.length; i++)
    for (let j = i + 1; j < boxes.length; j++) {
      const [a, b] = [boxes[i]!, boxes[j]!];
      expect(a[2]! <= b[0]! || b[2]! <= a[0]! || a[3]! <= b[1]! || b[3]! <= a[1]!).toBe(true);
    }
});

ui.test("a selection keeps only what it picks; a bad one shows the server's caret", async (page) => {
  page.allowHttpErrors();
  await openGraph(page);
  await page.type('.selection-input input[name="selection"]', "+daily_revenue");
  await page.keyboard.press("Enter");
  await waitInPage(page, "the selection to apply", `document.querySelectorAll("[data-asset-key]").length === 3`);
  expect(Object.keys(await nodes(page)).sort()).toEqual(["daily_revenue", "orders", "settings"]);
  expect(await page.evaluate("location.search")).toBe("?q=%2Bdaily_revenue");

  await page.$eval('.selection-input input[name="selection"]', (e) => ((e as unknown as { value: string }).value = ""));
  await page.type('.selection-input input[name="selection"]', "group:marts and (");
  await page.keyboard.press("Enter");
  await waitInPage(page, "the selection error", `document.querySelector(".error-box .pointer") !== null`);
  const pointer = await page.$eval(".error-box .pointer", (e) => e.textContent ?? "");
  expect(pointer).toContain("group:marts and (");
  expect(pointer).toContain("^");
  expect(await page.$eval(".error-box .pointer", (e) => e.ownerDocument.defaultView!.getComputedStyle(e).fontFamily)).toMatch(/mono/i);
});

ui.test("groups close and open; a closed group shows its counts", async (page) => {
  await openGraph(page);
  const groups = await page.$$eval("[data-group]", (els) => els.map((e) => e.getAttribute("data-group")).sort());
  expect(groups).toEqual(["config", "marts", "raw", "reports"]);
  const [closeAll] = await page.$$("xpath/.//button[contains(., 'Close all groups')]");
  await closeAll!.click();
  await waitInPage(page, "every group closed", `document.querySelectorAll('[data-group][data-open="false"]').length === 4 && document.querySelectorAll("[data-asset-key]").length === 0`);
  expect(await page.$eval('[data-group="raw"]', (e) => e.getAttribute("data-count"))).toBe("3");
  await page.click('[data-group="raw"] .ggroup-body');
  await waitInPage(page, "raw open", `document.querySelectorAll("[data-asset-key]").length === 3`);
  expect(Object.keys(await nodes(page)).sort()).toEqual(["customers", "orders", "regions"]);
});

ui.test("hovering a node lights up its lineage and dims the rest", async (page) => {
  await openGraph(page);
  await page.hover('[data-asset-key="daily_revenue"]');
  await waitInPage(page, "the lineage lit", `document.querySelector(".graph-viewport.hovering") !== null`);
  const lit = await page.$$eval("[data-asset-key].lit", (els) => els.map((e) => e.getAttribute("data-asset-key")).sort());
  expect(lit).toEqual(["daily_revenue", "orders", "publish_report", "settings"]);
  const litEdges = await page.$$eval("path.edge.lit", (els) => els.map((e) => `${e.getAttribute("data-from")}→${e.getAttribute("data-to")}`).sort());
  expect(litEdges).toEqual(["daily_revenue→publish_report", "orders→daily_revenue", "settings→daily_revenue"]);
  await page.mouse.move(5, 5); // off the graph
  await waitInPage(page, "the lineage cleared", `document.querySelector(".graph-viewport.hovering, .lit") === null`);
});

ui.test("a click on a node opens the asset's page without reloading", async (page) => {
  await openGraph(page);
  await page.evaluate("window.marker = 42");
  await page.click('[data-asset-key="analytics/revenue_by_customer"]');
  await waitInPage(page, "the asset route", `location.pathname === "/assets/analytics/revenue_by_customer"`);
  expect(await page.evaluate("window.marker")).toBe(42);
});

ui.test("a materialization in another process repaints the node live", async (page) => {
  await openGraph(page);
  await page.evaluate("window.marker = 7");
  expect(await page.$eval('[data-asset-key="analytics/revenue_by_customer"]', (e) => e.getAttribute("data-status"))).toBe("missing");
  const r = await dagx(dir, ["materialize", "analytics/revenue_by_customer"]);
  expect(r.code).toBe(0);
  const done = performance.now();
  await waitInPage(page, "the node to turn fresh", `document.querySelector('[data-asset-key="analytics/revenue_by_customer"]')?.getAttribute("data-status") === "fresh"`, 5000);
  const latency = performance.now() - done;
  console.error(`graph: materialize end → node repainted in ${Math.round(latency)} ms`);
  expect(latency).toBeLessThan(2000);
  expect(await page.evaluate("window.marker")).toBe(7);
}, { timeoutMs: 30_000 });

ui.test("a run in another process shows its asset running, then fresh, live", async (page) => {
  await openGraph(page);
  const run = dagx(dir, ["materialize", "held"]);
  try {
    await waitInPage(page, "held running", `document.querySelector('[data-asset-key="held"]')?.getAttribute("data-status") === "running"`, 15_000);
    expect(await page.$eval('[data-asset-key="held"]', (e) => e.className)).toContain("status-running");
  } finally {
    writeFileSync(join(dir, "release"), "");
  }
  expect((await run).code).toBe(0);
  await waitInPage(page, "held fresh", `document.querySelector('[data-asset-key="held"]')?.getAttribute("data-status") === "fresh"`, 5000);
}, { timeoutMs: 40_000 });

ui.test("the compiled binary serves the same graph, laid out in the worker", async (page) => {
  const buildDir = mkdtempSync(join(tmpdir(), "dagx-ui-bin-"));
  const binServer = await startUiServer(dir, { bin: await hostBinary(buildDir) });
  try {
    await page.goto(binServer.url);
    await page.goto(`${binServer.origin}/graph`);
    await waitInPage(page, "the graph to be laid out", `document.querySelector('.graph-page[data-ready="true"]') !== null`);
    expect(await nodes(page)).toEqual(await statusByKey(dir));
    expect(await page.$eval(".graph-viewport", (e) => e.getAttribute("data-layout-engine"))).toBe("worker");
  } finally {
    await page.goto("about:blank"); // close the event stream before the server goes
    await binServer.stop();
    rmSync(buildDir, { recursive: true, force: true });
  }
}, { timeoutMs: 60_000 });
