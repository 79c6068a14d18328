/**
 * The detail pages from the compiled binary (scripts/build.ts): the embedded bundle holds what the
 * asset page loads lazily (uPlot) and the run page, in Chromium, with the strict CSP. Builds the
 * binary unless dist/dagx is newer than the sources (tests/support/binary.ts, ~2–15 s).
 */
import { afterAll, beforeAll, expect } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { browserSuite, waitInPage } from "../../support/browser.ts";
import { startUiServer, type UiServer } from "../../support/ui-server.ts";
import { hostBinary } from "../../support/binary.ts";
import { createDetailProject } from "./_detail-project.ts";

declare const document: any;

let tmp: string;
let dir: string;
let bin: string;
let server: UiServer;
beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), "dagx-ui-bin-"));
  bin = await hostBinary(tmp);
  dir = createDetailProject();
  // spawned: the compiled binary is the subject
  const p = Bun.spawn([bin, "materialize", "small_daily", "--partitions", "2024-01-01..2024-01-05"], { cwd: dir, stdout: "ignore", stderr: "ignore" });
  expect(await p.exited).toBe(0);
  server = await startUiServer(dir, { bin });
}, 180_000);
afterAll(async () => {
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
  rmSync(tmp, { recursive: true, force: true });
});

const ui = browserSuite();

ui.test("compiled binary: the asset page draws its health bar and plots, and its run page its Gantt", async (page) => {
  await page.goto(server.url);
  await page.goto(server.origin + "/assets/small_daily");
  await waitInPage(page, "the health bar", () => document.querySelectorAll(".health-bar .hb-bucket").length === 10, 20_000);
  await waitInPage(page, "a plot", () => document.querySelector('figure.plot[data-metric="widgets"] canvas') !== null, 20_000);
  await page.click("tr.materialization a");
  await waitInPage(page, "the run's Gantt", () => document.querySelectorAll(".gantt-row").length === 5 && document.querySelector(".run-page")?.getAttribute("data-status") === "success", 20_000);
  expect(await page.$$eval(".gantt-row", (rows) => rows.map((r) => r.getAttribute("data-status")))).toEqual(["success", "success", "success", "success", "success"]);
}, { timeoutMs: 60_000 });
