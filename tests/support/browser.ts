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
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import puppeteer, { type Browser, type BrowserContext, type Page } from "puppeteer-core";

/** Flags of @sparticuz/chromium we do not want: they would switch off the browser's own security (same-origin, mixed content), which the UI tests rely on. */
const UNSAFE_FLAGS = ["--disable-web-security", "--allow-running-insecure-content", "--single-process", "--disable-site-isolation-trials"];

function systemChromium(): string | null {
  if (process.env.DAGX_CHROMIUM) return process.env.DAGX_CHROMIUM;
  for (const name of ["chromium", "chromium-browser", "google-chrome", "google-chrome-stable"]) {
    const found = Bun.which(name);
    if (found) return found;
  }
  return null;
}

/** Launch headless Chromium (see the file note for which one). The caller closes it. */
export async function launchBrowser(): Promise<Browser> {
  const system = systemChromium();
  if (system) {
    return await puppeteer.launch({ executablePath: system, headless: true, args: ["--no-sandbox", "--disable-dev-shm-usage", "--font-render-hinting=none"] });
  }
  const chromium = (await import("@sparticuz/chromium")).default;
  const executablePath = await chromium.executablePath();
  const args = chromium.args.filter((a) => !UNSAFE_FLAGS.includes(a));
  return await puppeteer.launch({ executablePath, args, headless: true, defaultViewport: { width: 1280, height: 800 } });
}

/** A page with the problems recorded while a test used it. */
export interface UiPage extends Page {
  /** Uncaught errors, CSP violations and console errors seen so far. */
  problems(): string[];
  /** Do not count "Failed to load resource: … status of 4xx" console errors (a test that expects a 4xx). */
  allowHttpErrors(): void;
}

let failureDir: string | null = null;
/** The temp folder failure screenshots go to (created on first use). */
export function failureScreenshotDir(): string {
  failureDir ??= mkdtempSync(join(tmpdir(), "dagx-ui-failures-"));
  return failureDir;
}

/** Record a page's problems (called for every page a test opens). */
async function watchPage(page: Page): Promise<UiPage> {
  const problems: string[] = [];
  let allowHttp = false;
  page.on("pageerror", (e) => problems.push(`page error: ${e instanceof Error ? e.message : String(e)}`));
  page.on("console", (m) => {
    if (m.type() !== "error") return;
    const text = m.text();
    if (allowHttp && /Failed to load resource: the server responded with a status of 4\d\d/.test(text)) return;
    problems.push(`console error: ${text}`);
  });
  page.on("workercreated", (w) => {
    w.on("console", (m) => m.type() === "error" && problems.push(`worker console error: ${m.text()}`));
  });
  // CSP violations in the page (the browser also logs them as console errors, this names the directive)
  await page.exposeFunction("__dagxViolation", (d: string) => problems.push(`CSP violation: ${d}`));
  await page.evaluateOnNewDocument(() => {
    document.addEventListener("securitypolicyviolation", (e) => {
      (window as unknown as { __dagxViolation(d: string): void }).__dagxViolation(`${e.violatedDirective} blocked ${e.blockedURI} at ${e.sourceFile}:${e.lineNumber}`);
    });
  });
  return Object.assign(page, {
    problems: () => [...problems],
    allowHttpErrors: () => {
      allowHttp = true;
    },
  }) as UiPage;
}

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
 * Wait until `fn` (run in the page) returns a truthy value; reject with `what` and the last value
 * after `timeoutMs`. A thin, readable wrapper of `page.waitForFunction`.
 */
export async function waitInPage<T>(page: Page, what: string, fn: () => T, timeoutMs = 10_000): Promise<void> {
  try {
    await page.waitForFunction(fn, { timeout: timeoutMs, polling: 50 });
  } catch (e) {
    throw new Error(`Waited ${timeoutMs} ms for ${what}: ${e instanceof Error ? e.message : String(e)}`);
  }
}
