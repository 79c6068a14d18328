/**
 * /assets (the catalog) and / (the overview) in real Chromium against a real `dagx ui` on a copy of
 * examples/shop: rows and statuses as `dagx status --json`, sorting, the text, selection and status
 * filters, links to the asset pages; the overview's counts, failed run, failing check and links.
 */
import { afterAll, beforeAll, expect } from "bun:test";
import { rmSync } from "node:fs";
import { runDagx } from "../../cli/helpers.ts";
import { browserSuite, waitInPage, type UiPage } from "../../support/browser.ts";
import { startUiServer, type UiServer } from "../../support/ui-server.ts";
import { prepareShop, statusByKey } from "./_shop.ts";

let dir = "";
let server: UiServer;
let expected: Record<string, string> = {};
beforeAll(async () => {
  dir = await prepareShop();
  expected = await statusByKey(dir);
  server = await startUiServer(dir);
}, 60_000);
afterAll(async () => {
  await server?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const ui = browserSuite();

async function open(page: UiPage, path: string, ready: string): Promise<void> {
  await page.goto(server.url);
  await page.goto(`${server.origin}${path}`);
  await waitInPage(page, `${path} to load`, ready);
}
const openCatalog = (page: UiPage, query = "") => open(page, `/assets${query}`, `document.querySelector(".catalog-count")?.getAttribute("data-count") > ""`);

/** The catalog's rows: key → status, in the order shown. */
const rows = (page: UiPage) =>
  page.$$eval("table.data tbody tr[data-key]", (trs) => trs.map((tr) => [tr.getAttribute("data-key")!, tr.querySelector("[data-status]")?.getAttribute("data-status") ?? ""] as const));

ui.test("the catalog lists every asset with its status, sorted by key", async (page) => {
  await openCatalog(page);
  const shown = await rows(page);
  expect(Object.fromEntries(shown)).toEqual(expected);
  expect(shown.map(([k]) => k)).toEqual(Object.keys(expected).sort((a, b) => a.localeCompare(b, "en", { numeric: true })));
  expect(await page.$eval('th[data-col="key"]', (e) => e.getAttribute("aria-sort"))).toBe("ascending");
  // owners, kinds and tags are there as text
  const orders = await page.$eval('tr[data-key="orders"]', (e) => e.textContent ?? "");
  for (const t of ["raw", "team:data", "duckdb", "csv", "domain=sales"]) expect(orders).toContain(t);
});

ui.test("user values are text, never HTML", async (page) => {
  await openCatalog(page);
  const row = 'tr[data-key="regions"]';
  expect(await page.$eval(row, (e) => e.textContent ?? "")).toContain("note=<img src=x onerror=alert(1)>");
  expect(await page.$(`${row} img`)).toBeNull();
  expect(await page.$eval(`${row} a`, (e) => e.getAttribute("title"))).toBe("<b>bold?</b>");
  expect(await page.$(`${row} b`)).toBeNull();
});

ui.test("a header click sorts by that column, a second click the other way", async (page) => {
  await openCatalog(page);
  await page.click('th[data-col="status"]');
  await waitInPage(page, "sorted by status", `document.querySelector('th[data-col="status"]').getAttribute("aria-sort") === "ascending"`);
  const order = ["failed", "running", "stale", "missing", "fresh"];
  const asc = (await rows(page)).map(([, s]) => order.indexOf(s));
  expect(asc).toEqual([...asc].sort((a, b) => a - b));
  expect((await rows(page))[0]![0]).toBe("broken");
  await page.click('th[data-col="status"]');
  await waitInPage(page, "sorted by status, descending", `document.querySelector('th[data-col="status"]').getAttribute("aria-sort") === "descending"`);
  const desc = (await rows(page)).map(([, s]) => order.indexOf(s));
  expect(desc).toEqual([...desc].sort((a, b) => b - a));
});

ui.test("text, selection and status filters narrow the rows", async (page) => {
  page.allowHttpErrors();
  await openCatalog(page);
  await page.type(".catalog-text", "team:data");
  await waitInPage(page, "the text filter", `document.querySelectorAll("table.data tbody tr[data-key]").length === 2`);
  expect((await rows(page)).map(([k]) => k).sort()).toEqual(["customers", "orders"]);
  await page.$eval(".catalog-text", (e) => ((e as unknown as { value: string }).value = ""));
  await page.type(".catalog-text", " ");

  await page.type('.selection-input input[name="selection"]', "group:marts");
  await page.keyboard.press("Enter");
  await waitInPage(page, "the selection", `location.search === "?q=group%3Amarts" && document.querySelectorAll("table.data tbody tr[data-key]").length === 3`);
  expect((await rows(page)).map(([k]) => k).sort()).toEqual(["analytics/revenue_by_customer", "checked", "daily_revenue"]);

  await page.select('select[aria-label="Status"]', "stale");
  await waitInPage(page, "the status filter", `location.search === "?q=group%3Amarts&status=stale"`);
  await waitInPage(page, "stale rows", `document.querySelectorAll("table.data tbody tr[data-key]").length === 2`);
  expect((await rows(page)).map(([k]) => k).sort()).toEqual(["checked", "daily_revenue"]);

  await page.$eval('.selection-input input[name="selection"]', (e) => ((e as unknown as { value: string }).value = ""));
  await page.type('.selection-input input[name="selection"]', "group:");
  await page.keyboard.press("Enter");
  await waitInPage(page, "the selection error", `document.querySelector(".error-box .pointer") !== null`);
  expect(await page.$eval(".error-box .pointer", (e) => e.textContent ?? "")).toContain("^");
});

ui.test("an asset link opens its page without reloading", async (page) => {
  await openCatalog(page);
  await page.evaluate("window.marker = 1");
  await page.click('tr[data-key="analytics/revenue_by_customer"] a');
  await waitInPage(page, "the asset route", `location.pathname === "/assets/analytics/revenue_by_customer"`);
  expect(await page.evaluate("window.marker")).toBe(1);
});

ui.test("the overview counts assets by status and lists the failed run, the failing check and the overdue asset", async (page) => {
  await open(page, "/", `document.querySelector('.overview-page[data-ready="true"]') !== null`);
  const counts = await page.$$eval(".card[data-status]", (cards) => Object.fromEntries(cards.map((c) => [c.getAttribute("data-status"), Number(c.querySelector(".n")?.textContent)])));
  const byStatus: Record<string, number> = { all: Object.keys(expected).length, fresh: 0, stale: 0, missing: 0, failed: 0, running: 0 };
  for (const s of Object.values(expected)) byStatus[s]!++;
  expect(counts).toEqual(byStatus);

  const runs = (await runDagx(dir, ["runs", "--json"])).json<{ runId: string; status: string }[]>();
  const failed = runs.filter((r) => r.status === "failed").map((r) => r.runId);
  expect(failed.length).toBe(1);
  expect(await page.$$eval('[data-panel="failed-runs"] [data-run-id]', (els) => els.map((e) => e.getAttribute("data-run-id")))).toEqual(failed);
  expect(await page.$eval('[data-panel="failing-checks"]', (e) => e.textContent ?? "")).toContain("checked");
  expect(await page.$$eval('[data-panel="overdue"] [data-asset]', (els) => els.map((e) => e.getAttribute("data-asset")))).toEqual(["dated"]);

  await page.click('.card[data-status="failed"]');
  await waitInPage(page, "the catalog of failed assets", `location.search === "?status=failed" && document.querySelectorAll("table.data tbody tr[data-key]").length === 1`);
  expect((await rows(page)).map(([k]) => k)).toEqual(["broken"]);
  await page.goBack();
  await waitInPage(page, "the overview again", `location.pathname === "/" && document.querySelector('[data-panel="failed-runs"] [data-run-id]') !== null`);
  await page.click('[data-panel="failed-runs"] [data-run-id] a');
  await waitInPage(page, "the run route", `location.pathname === ${JSON.stringify(`/runs/${failed[0]}`)}`);
});
