/**
 * Real headless Chromium for the UI tests (tests/integration/ui/), driven by puppeteer-core.
 *
 *   const ui = browserSuite();              // one browser per test file (beforeAll/afterAll inside)
 *   ui.test("graph shows every asset", async (page) => {
 *     await page.goto(server.url);           // a `dagx ui` URL (tests/support/ui-server.ts)
 *     …
 *   });
 *
 * The browser: `$DAGX_CHROMIUM`, else a system `chromium`/`google-chrome` on PATH, else the one
 * `@sparticuz/chromium` ships inside its npm package (unpacked once into /tmp, a cache outside
 * the repo; works offline), so `npm ci && npm test` is enough on a fresh machine.
 *
 * Each `ui.test` gets a fresh page (own cookies: an incognito-like browser context). While it runs,
 * every uncaught page or worker error, every Content-Security-Policy violation and every console
 * error is recorded; the test fails on any of them after its body passed (a request the test
 * expects to fail, such as a 400 for a bad selection, is allowed with `page.allowHttpErrors()`).
 * When a test fails, a full-page screenshot goes into a temp folder and its path is printed.
 */
import { afterAll, beforeAll, test } from "bun:test";
import { join } from "node:path";
import type { Browser, BrowserContext, Page } from "puppeteer-core";
import { failureScreenshotDir, launchBrowser, watchPage, type UiPage } from "./chromium.ts";

export { launchBrowser, type UiPage } from "./chromium.ts";

/** Options of one browser test. */
export interface UiTestOptions {
  timeoutMs?: number;
  /** Viewport size (default 1280×800). */
  viewport?: { width: number; height: number };
}

/**
 * One browser for this test file: `test(name, fn)` runs `fn` with a fresh page in its own browser
 * context, fails it on any recorded problem, and screenshots the page when it fails.
 */
export function browserSuite(): {
  browser(): Browser;
  test(name: string, fn: (page: UiPage) => Promise<void>, opts?: UiTestOptions): void;
  /** Open a page outside a test (a benchmark, a screenshot script); close its context when done. */
  open(opts?: UiTestOptions): Promise<{ page: UiPage; close(): Promise<void> }>;
} {
  let browser: Browser | null = null;
  beforeAll(async () => {
    browser = await launchBrowser();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
  });
  const open = async (opts: UiTestOptions = {}) => {
    if (!browser) throw new Error("The browser is not started: call ui.test inside the file that called browserSuite()");
    const context: BrowserContext = await browser.createBrowserContext();
    const raw = await context.newPage();
    await raw.setViewport(opts.viewport ?? { width: 1280, height: 800 });
    const page = await watchPage(raw);
    return { page, close: () => context.close() };
  };
  return {
    browser: () => {
      if (!browser) throw new Error("The browser is not started yet");
      return browser;
    },
    open,
    test(name, fn, opts = {}) {
      test(
        name,
        async () => {
          const { page, close } = await open(opts);
          try {
            await fn(page);
            const problems = page.problems();
            if (problems.length) throw new Error(`The page reported problems:\n${problems.join("\n")}`);
          } catch (e) {
            const file = join(failureScreenshotDir(), `${name.replace(/[^a-z0-9]+/gi, "-").slice(0, 80)}.png`);
            try {
              await page.screenshot({ path: file as `${string}.png`, fullPage: true });
              console.error(`screenshot of the failed test "${name}": ${file}`);
            } catch (shotError) {
              console.error(`could not screenshot the failed test "${name}": ${String(shotError)}`);
            }
            throw e;
          } finally {
            await close();
          }
        },
        opts.timeoutMs ?? 30_000,
      );
    },
  };
}

/**
 * Wait until `fn` (run in the page: a function, or an expression as a string — test files are
 * type-checked without the DOM library, so page code that names `document` is best written as a
 * string) is truthy; reject with `what` after `timeoutMs`. A readable wrapper of `page.waitForFunction`.
 */
export async function waitInPage(page: Page, what: string, fn: string | (() => unknown), timeoutMs = 10_000): Promise<void> {
  try {
    await page.waitForFunction(fn, { timeout: timeoutMs, polling: 50 });
  } catch (e) {
    throw new Error(`Waited ${timeoutMs} ms for ${what}: ${e instanceof Error ? e.message : String(e)}`);
  }
}
