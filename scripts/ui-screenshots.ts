/**
 * The screenshots of docs/ui.md's pages section (overview, graph, catalog), taken in headless
 * Chromium against a real `dagx ui`: a temp copy of examples/shop with every status
 * (tests/integration/ui/_shop.ts), and a generated 1,000-asset project for the large graph.
 *
 *   bun scripts/ui-screenshots.ts [--out docs/ui]
 *
 * Writes overview.png, graph.png, graph-selection.png, graph-selection-error.png, catalog.png,
 * graph-1k-closed.png and graph-1k.png (1280×800, PNG).
 */
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import type { Browser } from "puppeteer-core";
import { launchBrowser, watchPage } from "../tests/support/chromium.ts";
import { startUiServer, type UiServer } from "../tests/support/ui-server.ts";
import { prepareShop } from "../tests/integration/ui/_shop.ts";
import { generateGraphProject } from "../tests/support/graph-project.ts";
import { makeTempProject } from "../bench/_util.ts";

const outArg = process.argv.indexOf("--out");
const OUT = resolve(outArg > 0 ? process.argv[outArg + 1]! : join(import.meta.dir, "../docs/ui"));

async function shoot(browser: Browser, server: UiServer, path: string, ready: string, file: string, before?: (page: Awaited<ReturnType<typeof watchPage>>) => Promise<void>): Promise<void> {
  const context = await browser.createBrowserContext();
  try {
    const page = await watchPage(await context.newPage());
    await page.setViewport({ width: 1280, height: 800, deviceScaleFactor: 1 });
    await page.goto(server.url);
    await page.goto(`${server.origin}${path}`);
    await page.waitForFunction(ready, { timeout: 30_000 });
    await before?.(page);
    await new Promise((r) => setTimeout(r, 250));
    await page.screenshot({ path: join(OUT, file) as `${string}.png` });
    console.error(`wrote ${join(OUT, file)}`);
  } finally {
    await context.close();
  }
}

mkdirSync(OUT, { recursive: true });
const browser = await launchBrowser();
const shop = await prepareShop();
const big = makeTempProject(generateGraphProject(10, 100), "dagx-shots-1k-");
try {
  const server = await startUiServer(shop);
  try {
    // `held` runs until the file "release" appears: the overview and the graph show it running
    const held = Bun.spawn([process.execPath, "--no-env-file", join(import.meta.dir, "../cli/main.ts"), "materialize", "held"], { cwd: shop, stdout: "ignore", stderr: "ignore" });
    try {
      await shoot(browser, server, "/", `document.querySelector('[data-panel="running"] [data-run-id]')`, "overview.png");
      await shoot(browser, server, "/graph", `document.querySelector('[data-asset-key="held"][data-status="running"]')`, "graph.png");
    } finally {
      writeFileSync(join(shop, "release"), "");
      await held.exited;
    }
    await shoot(browser, server, "/graph?q=%2Bdaily_revenue%2B", `document.querySelector('.graph-page[data-ready="true"]')`, "graph-selection.png");
    await shoot(browser, server, "/graph?q=group%3Amarts%20and%20(", `document.querySelector(".error-box .pointer")`, "graph-selection-error.png", async (page) => page.allowHttpErrors());
    await shoot(browser, server, "/assets", `document.querySelector("table.data tbody tr[data-key]")`, "catalog.png");
  } finally {
    await server.stop();
  }
  const server1k = await startUiServer(big, { timeoutMs: 60_000 });
  try {
    await shoot(browser, server1k, "/graph", `document.querySelectorAll("[data-group]").length === 10`, "graph-1k-closed.png");
    await shoot(browser, server1k, "/graph?expand=all", `document.querySelectorAll("[data-asset-key]").length === 1000`, "graph-1k.png");
  } finally {
    await server1k.stop();
  }
} finally {
  await browser.close();
  rmSync(shop, { recursive: true, force: true });
  rmSync(big, { recursive: true, force: true });
}
