/**
 * Headless Chromium without the test runner (tests/support/browser.ts builds the test suite on it;
 * bench/ui-first-paint.bench.ts and scripts/ui-screenshots.ts use it directly): which browser to
 * launch, and a page that records its problems (uncaught errors, CSP violations, console errors).
 */
import { mkdirSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import puppeteer, { type Browser, type Page } from "puppeteer-core";

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

/**
 * @sparticuz/chromium unpacks its browser into /tmp on first use and afterwards trusts any file
 * there. Test files run in parallel processes (`--parallel`): on a fresh machine two could unpack at
 * once and one launch a half-written binary, and an unpack killed midway would stay broken. So the
 * first use is serialized by a lock folder, and the binary must answer `--version` (~15 ms) or it
 * is unpacked again.
 */
async function unpackedChromium(executablePath: () => Promise<string>): Promise<string> {
  const lock = join(tmpdir(), "dagx-chromium-unpack.lock");
  for (let waited = 0; ; waited += 100) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      // a lock older than 2 minutes belongs to a process that died while unpacking
      try {
        if (Date.now() - statSync(lock).mtimeMs > 120_000) rmSync(lock, { recursive: true, force: true });
      } catch {
        // gone meanwhile
      }
      if (waited > 180_000) throw new Error(`Cannot unpack Chromium: ${lock} stayed locked for 3 minutes — remove it if no test is running`);
      await Bun.sleep(100);
    }
  }
  try {
    let path = await executablePath();
    if (Bun.spawnSync([path, "--version"], { stdout: "ignore", stderr: "ignore" }).exitCode !== 0) {
      rmSync(path, { force: true }); // half-written: unpack again
      path = await executablePath();
    }
    return path;
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

/** Launch headless Chromium (see the file note for which one). The caller closes it. */
export async function launchBrowser(): Promise<Browser> {
  const system = systemChromium();
  if (system) {
    return await puppeteer.launch({ executablePath: system, headless: true, args: ["--no-sandbox", "--disable-dev-shm-usage", "--font-render-hinting=none"] });
  }
  const chromium = (await import("@sparticuz/chromium")).default;
  const executablePath = await unpackedChromium(() => chromium.executablePath());
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
export async function watchPage(page: Page): Promise<UiPage> {
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
  await page.evaluateOnNewDocument(
    `document.addEventListener("securitypolicyviolation", (e) => window.__dagxViolation(e.violatedDirective + " blocked " + e.blockedURI + " at " + e.sourceFile + ":" + e.lineNumber));`,
  );
  return Object.assign(page, {
    problems: () => [...problems],
    allowHttpErrors: () => {
      allowHttp = true;
    },
  }) as UiPage;
}

