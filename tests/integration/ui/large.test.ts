/**
 * A 1,000-asset project (10 groups of 100) in real Chromium against a real `dagx ui`: /graph opens
 * with its groups closed (more than 300 assets), a group opens on a click, `?expand=all` draws all
 * 1,000 nodes; the catalog renders only the rows in view and still sorts and scrolls to the end;
 * an asset file that fails to load shows on the open overview (this project's files import nothing
 * from each other: see the report on reloads of projects whose asset files import each other).
 */
import { afterAll, beforeAll, expect } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { browserSuite, waitInPage, type UiPage } from "../../support/browser.ts";
import { generateGraphProject } from "../../support/graph-project.ts";
import { startUiServer, type UiServer } from "../../support/ui-server.ts";

let dir = "";
let server: UiServer;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "dagx-ui-1k-"));
  for (const [rel, text] of Object.entries(generateGraphProject(10, 100))) {
    mkdirSync(dirname(join(dir, rel)), { recursive: true });
    writeFileSync(join(dir, rel), text);
  }
  server = await startUiServer(dir, { timeoutMs: 60_000 });
}, 60_000);
afterAll(async () => {
  await server?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const ui = browserSuite();

async function open(page: UiPage, path: string, ready: string): Promise<void> {
  await page.goto(server.url);
  await page.goto(`${server.origin}${path}`);
  await waitInPage(page, `${path} to load`, ready, 20_000);
}

ui.test("/graph opens a 1,000-asset project with its groups closed; a click opens one", async (page) => {
  await open(page, "/graph", `document.querySelector('.graph-page[data-ready="true"]') !== null`);
  expect(await page.$$eval("[data-asset-key]", (els) => els.length)).toBe(0);
  expect(await page.$$eval('[data-group][data-open="false"]', (els) => els.map((e) => e.getAttribute("data-count")))).toEqual(Array(10).fill("100"));
  await page.click('[data-group="group_3"] .ggroup-body');
  await waitInPage(page, "group_3 open", `document.querySelectorAll("[data-asset-key]").length === 100`);
  const keys = await page.$$eval("[data-asset-key]", (els) => els.map((e) => e.getAttribute("data-asset-key")!));
  expect(keys.every((k) => k.startsWith("g3_"))).toBe(true);
  expect(await page.$eval('[data-group="group_3"]', (e) => e.getAttribute("data-open"))).toBe("true");
  // the view moves to the group just opened: its centre is inside the viewport, at a readable zoom
  const rect = (sel: string) => page.$eval(sel, (e) => e.getBoundingClientRect().toJSON() as { x: number; y: number; width: number; height: number });
  const box = await rect('[data-group="group_3"]');
  const vp = await rect(".graph-viewport");
  const cx = box.x + box.width / 2;
  const cy = box.y + box.height / 2;
  expect(cx > vp.x && cx < vp.x + vp.width && cy > vp.y && cy < vp.y + vp.height).toBe(true);
  expect(box.width > vp.width / 2 || box.height > vp.height / 2).toBe(true);
  expect(Number(await page.$eval(".graph-viewport", (e) => e.getAttribute("data-zoom")))).toBeGreaterThanOrEqual(0.25);
});

ui.test("/graph?expand=all draws all 1,000 nodes", async (page) => {
  await open(page, "/graph?expand=all", `document.querySelectorAll("[data-asset-key]").length === 1000`);
  expect(await page.$$eval('[data-status="missing"][data-asset-key]', (els) => els.length)).toBe(1000);
});

ui.test("the catalog renders only the rows in view, sorts all 1,000 and scrolls to the last", async (page) => {
  await open(page, "/assets", `document.querySelector("table.data tbody tr[data-key]") !== null`);
  expect(await page.$eval("table.data", (e) => e.getAttribute("data-rows"))).toBe("1000");
  const inDom = await page.$$eval("table.data tbody tr[data-key]", (els) => els.length);
  expect(inDom).toBeGreaterThan(10);
  expect(inDom).toBeLessThan(200);
  await page.click('th[data-col="key"]'); // key, descending
  await waitInPage(page, "descending", `document.querySelector('th[data-col="key"]').getAttribute("aria-sort") === "descending"`);
  expect(await page.$eval("table.data tbody tr[data-key]", (e) => e.getAttribute("data-key"))).toBe("g9_a99");
  await page.$eval(".table-box.scroll", (e) => e.scrollTo(0, e.scrollHeight));
  await waitInPage(page, "the last row", `document.querySelector('tr[data-key="g0_a0"]') !== null`);
  expect(await page.$$eval("table.data tbody tr[data-key]", (els) => els.length)).toBeLessThan(200);
});

ui.test("an asset file that fails to load shows on the open overview, and goes when fixed", async (page) => {
  await open(page, "/", `document.querySelector('.overview-page[data-ready="true"]') !== null`);
  expect(await page.$eval('.card[data-status="all"] .n', (e) => e.textContent)).toBe("1000");
  expect(await page.$("[data-load-errors]")).toBeNull();
  const bad = join(dir, "bad.asset.ts");
  writeFileSync(bad, `import { asset } from "dagx";\nexport const bad = asset(() => { throw new Error("x") }) +;\n`);
  try {
    await waitInPage(page, "the load error", `document.querySelector("[data-load-errors]") !== null`, 15_000);
    expect(await page.$eval("[data-load-errors]", (e) => e.textContent ?? "")).toContain("bad.asset.ts");
  } finally {
    rmSync(bad, { force: true });
  }
  await waitInPage(page, "the load error gone", `document.querySelector("[data-load-errors]") === null`, 15_000);
  expect(await page.$eval('.card[data-status="all"] .n', (e) => e.textContent)).toBe("1000");
}, { timeoutMs: 40_000 });
