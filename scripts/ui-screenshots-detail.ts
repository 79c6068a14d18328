/**
 * Screenshots of the detail pages for docs/ui.md (docs/ui/*.png): a temp copy of examples/shop with
 * the detail-test assets (tests/integration/ui/_detail-project.ts), a few real runs and a backfill
 * made with the CLI, a real `dagx ui`, headless Chromium.
 *
 *   bun scripts/ui-screenshots-detail.ts [outDir=docs/ui]
 */
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { createDetailProject } from "../tests/integration/ui/_detail-project.ts";
import { startUiServer } from "../tests/support/ui-server.ts";
import { launchBrowser } from "../tests/support/chromium.ts";

// the fetch below runs in the page; this program has no DOM lib
declare const document: { cookie: string; body: { innerText: string }; querySelector(s: string): unknown };

const ROOT = join(import.meta.dir, "..");
const out = resolve(ROOT, process.argv[2] ?? "docs/ui");
mkdirSync(out, { recursive: true });
const dir = createDetailProject();

async function cli(args: string[], env: Record<string, string> = {}): Promise<void> {
  const p = Bun.spawn([join(ROOT, "node_modules/.bin/bun"), "--no-env-file", join(ROOT, "cli/main.ts"), ...args], { cwd: dir, stdout: "ignore", stderr: "ignore", env: { ...process.env, ...env } });
  await p.exited;
}

// history: the whole shop, the daily asset three times (one failing partition the last time), a backfill, the digest twice
await cli(["materialize", "orders+", "customers+", "settings+", "digest"]);
for (let i = 0; i < 2; i++) await cli(["materialize", "small_daily", "--partitions", "2024-01-01..2024-01-10"]);
writeFileSync(join(dir, "fail-09"), "");
await cli(["materialize", "small_daily", "--partitions", "2024-01-01..2024-01-10"]);
await cli(["backfill", "small_daily", "--partitions", "2024-01-01..2024-01-10"]);
rmSync(join(dir, "fail-09"));
for (let i = 0; i < 2; i++) await cli(["materialize", "digest"]);
await cli(["materialize", "big_hourly", "--partitions", "2010-01-01-00:00..2015-12-31-23:00"]);

const server = await startUiServer(dir);
const browser = await launchBrowser();
try {
  const page = await browser.newPage();
  await page.setViewport({ width: 1280, height: 900, deviceScaleFactor: 1 });
  await page.goto(server.url);
  const get = <T>(path: string) => page.evaluate(async (p) => (await fetch(p, { headers: { "X-Dagx-Token": document.cookie.split("dagx_token=")[1]?.split(";")[0] ?? "" } })).json(), path) as Promise<T>;
  const runs = (await get<{ runs: { runId: string; selection: string; trigger: string }[] }>("/api/runs?limit=50")).runs;
  const shop = runs.at(-1)!;
  const backfills = (await get<{ backfills: { backfillId: string }[] }>("/api/backfills")).backfills;
  const shots: [string, string, (() => Promise<void>)?][] = [
    ["asset", "/assets/small_daily"],
    ["asset-big", "/assets/big_hourly"],
    ["run", `/runs/${shop.runId}`],
    ["runs", "/runs"],
    ["backfill", `/backfills/${backfills[0]!.backfillId}`],
    ["schedules", "/schedules?name=nightly"],
    [
      "plan",
      "/assets/small_daily",
      async () => {
        await page.type(".actions input[name=partitions]", "2024-01-08..2024-01-10");
        await page.click("[data-action=materialize]");
        await page.waitForSelector(".launch-dialog [data-plan-status]");
      },
    ],
  ];
  for (const [name, path, act] of shots) {
    await page.goto(server.origin + path, { waitUntil: "load" });
    await page.waitForFunction(() => !document.body.innerText.includes("Loading") && !document.querySelector(".health-bar.loading"), { timeout: 30_000 });
    await Bun.sleep(300);
    await act?.();
    await Bun.sleep(200);
    await page.screenshot({ path: join(out, `${name}.png`) as `${string}.png`, fullPage: name !== "plan" });
    console.log(join(out, `${name}.png`));
  }
} finally {
  await browser.close();
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
}
