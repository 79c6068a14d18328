/**
 * The browser harness itself (tests/support/browser.ts): Chromium starts, a page opens, and the
 * problems the UI tests fail on are seen — a CSP violation, an uncaught error, a console error.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { browserSuite } from "../../support/browser.ts";

const CSP = "default-src 'self'";
let server: ReturnType<typeof Bun.serve>;
beforeAll(() => {
  server = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    routes: {
      "/ok": new Response(`<!doctype html><title>ok</title><p id="p">hello</p><script src="/ok.js"></script>`, { headers: { "Content-Type": "text/html", "Content-Security-Policy": CSP } }),
      "/ok.js": new Response(`document.getElementById("p").textContent = "from script";`, { headers: { "Content-Type": "text/javascript" } }),
      "/inline": new Response(`<!doctype html><title>x</title><script>document.title = "ran"</script>`, { headers: { "Content-Type": "text/html", "Content-Security-Policy": CSP } }),
      "/throws": new Response(`<!doctype html><title>x</title><script src="/throws.js"></script>`, { headers: { "Content-Type": "text/html", "Content-Security-Policy": CSP } }),
      "/throws.js": new Response(`setTimeout(() => { throw new Error("boom") })`, { headers: { "Content-Type": "text/javascript" } }),
    },
  });
});
afterAll(() => server?.stop(true));

const ui = browserSuite();
const url = (p: string) => `http://127.0.0.1:${server.port}${p}`;

ui.test("a same-origin script runs and nothing is reported", async (page) => {
  await page.goto(url("/ok"));
  expect(await page.$eval("#p", (e) => e.textContent)).toBe("from script");
  expect(page.problems()).toEqual([]);
});

test("an inline script is blocked by the CSP and reported as a violation", async () => {
  const { page, close } = await ui.open();
  try {
    await page.goto(url("/inline"));
    await Bun.sleep(100);
    expect(await page.title()).toBe("x");
    expect(page.problems().some((p) => p.startsWith("CSP violation: script-src"))).toBe(true);
  } finally {
    await close();
  }
});

test("an uncaught error is reported", async () => {
  const { page, close } = await ui.open();
  try {
    await page.goto(url("/throws"));
    await page.waitForFunction(() => true);
    await Bun.sleep(100);
    expect(page.problems().join("\n")).toContain("boom");
  } finally {
    await close();
  }
});
