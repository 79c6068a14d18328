/**
 * The web UI's graph at scale (issue 14), in headless Chromium against a real `dagx ui`:
 *
 * - **first paint, 1,000 assets**: a generated project (10 groups of 100; inside a group a binary
 *   tree, across groups one edge per group), `/graph?expand=all` (every group open, so all 1,000
 *   nodes are drawn): from navigation start to the frame where all 1,000 `[data-asset-key]`
 *   elements are in the page (`performance.now()` in the page, polled each animation frame). The
 *   same for `/graph` as a user opens it (more than 300 assets: groups closed) and `/assets`.
 *   Target: < 1,500 ms.
 * - **event → screen, 1,000 assets**: a `dagx materialize ROOT` in another process; from its exit to
 *   the node's `data-status` turning fresh on the open graph.
 * - **10,000 assets** (100 groups of 100): `/graph` opens with its groups closed; navigation → all
 *   100 group boxes drawn, and the catalog's first rows. Target: bounded (< 10 s here).
 * - **bundle size**: the app's files as `bun build` bundles web/index.html (minified), raw and gzip.
 *
 *   bun bench/ui-first-paint.bench.ts [--runs N] [--skip-10k]
 */
import { gzipSync } from "bun";
import { join } from "node:path";
import type { Browser } from "puppeteer-core";
import { launchBrowser, watchPage } from "../tests/support/chromium.ts";
import { startUiServer, type UiServer } from "../tests/support/ui-server.ts";
import { generateGraphProject } from "../tests/support/graph-project.ts";

export { generateGraphProject };
import { BUN, CLI, cliEnv, type Figures, machineFigures, makeTempProject, median, printFigures, printTargets, removeDir, REPO, type Target } from "./_util.ts";

export const targets: Target[] = [
  { figure: "graph1k.expanded.allNodesMs.median", label: "/graph, 1,000 assets, all drawn: navigation → last node painted", op: "<", value: 1500, unit: "ms" },
  { figure: "graph1k.eventToScreenMs.median", label: "1,000 assets: materialize in another process → node repainted", op: "<", value: 1000, unit: "ms" },
  { figure: "graph10k.collapsedMs.median", label: "/graph, 10,000 assets, opens with groups closed", op: "<", value: 10000, unit: "ms" },
];

/** Open `path` in a fresh context, logged in; ms from navigation start until `until` (a page expression) is true. */
async function timeToPaint(browser: Browser, server: UiServer, path: string, until: string): Promise<{ ms: number; fcpMs: number | null; layoutMs: number | null; assetsFetchMs: number | null }> {
  const context = await browser.createBrowserContext();
  try {
    const page = await watchPage(await context.newPage());
    await page.setViewport({ width: 1280, height: 800 });
    await page.goto(server.url);
    await page.goto(`${server.origin}${path}`, { waitUntil: "domcontentloaded" });
    const handle = await page.waitForFunction(`(${until}) ? performance.now() : 0`, { polling: "raf", timeout: 120_000 });
    const ms = (await handle.jsonValue()) as number;
    const fcp = (await page.evaluate(`performance.getEntriesByName("first-contentful-paint")[0]?.startTime ?? null`)) as number | null;
    const layoutMs = (await page.evaluate(`performance.getEntriesByName("dagx:layout").at(-1)?.duration ?? null`)) as number | null;
    const assetsFetchMs = (await page.evaluate(`performance.getEntriesByType("resource").find((e) => e.name.endsWith("/api/assets"))?.duration ?? null`)) as number | null;
    if (page.problems().length) throw new Error(`the page reported problems:\n${page.problems().join("\n")}`);
    return { ms, fcpMs: fcp, layoutMs, assetsFetchMs };
  } finally {
    await context.close();
  }
}

/** Materialize `key` in another process and time its exit → the node's data-status turning fresh on an open graph. */
async function eventToScreen(browser: Browser, server: UiServer, dir: string, keys: string[]): Promise<number[]> {
  const context = await browser.createBrowserContext();
  const out: number[] = [];
  try {
    const page = await watchPage(await context.newPage());
    await page.setViewport({ width: 1280, height: 800 });
    await page.goto(server.url);
    await page.goto(`${server.origin}/graph?expand=all`);
    await page.waitForFunction(`document.querySelectorAll("[data-asset-key]").length > 0`, { timeout: 60_000 });
    for (const key of keys) {
      const proc = Bun.spawn([BUN, "--no-env-file", CLI, "materialize", key], { cwd: dir, stdout: "ignore", stderr: "ignore", env: cliEnv() });
      if ((await proc.exited) !== 0) throw new Error(`materialize ${key} failed`);
      const t = performance.now();
      await page.waitForFunction(`document.querySelector('[data-asset-key="${key}"]')?.getAttribute("data-status") === "fresh"`, { polling: "raf", timeout: 30_000 });
      out.push(performance.now() - t);
    }
  } finally {
    await context.close();
  }
  return out;
}

/** The app bundle's files: count, bytes, gzip bytes. */
async function bundleSize(): Promise<Figures> {
  const built = await Bun.build({ entrypoints: [join(REPO, "web/index.html")], target: "browser", minify: true });
  if (!built.success) throw new Error(built.logs.map(String).join("\n"));
  let bytes = 0;
  let gzip = 0;
  let js = 0;
  for (const o of built.outputs) {
    const b = new Uint8Array(await o.arrayBuffer());
    bytes += b.length;
    gzip += gzipSync(b).length;
    if (o.path.endsWith(".js")) js += b.length;
  }
  return { "bundle.files": built.outputs.length, "bundle.bytes": bytes, "bundle.jsBytes": js, "bundle.gzipBytes": gzip };
}

const t0 = performance.now();
/** Progress on stderr (the figures go to stdout). */
const progress = (what: string) => console.error(`[${((performance.now() - t0) / 1000).toFixed(1)} s] ${what}`);

const stat = (prefix: string, xs: number[]): Figures => ({ [`${prefix}.median`]: Math.round(median(xs)), [`${prefix}.min`]: Math.round(Math.min(...xs)), [`${prefix}.max`]: Math.round(Math.max(...xs)) });

export async function run(options: { runs?: number; skip10k?: boolean } = {}): Promise<Figures> {
  const runs = options.runs ?? 3;
  const figures: Figures = { ...machineFigures(), runs, ...(await bundleSize()) };
  const browser = await launchBrowser();
  try {
    const dir1k = makeTempProject(generateGraphProject(10, 100), "dagx-bench-ui1k-");
    const started = performance.now();
    const server = await startUiServer(dir1k, { timeoutMs: 60_000 });
    figures["graph1k.serverStartMs"] = Math.round(performance.now() - started);
    try {
      const expanded: number[] = [];
      const closed: number[] = [];
      const catalog: number[] = [];
      const fcp: number[] = [];
      const layout: number[] = [];
      const fetchMs: number[] = [];
      progress("1k: server started");
      await timeToPaint(browser, server, "/graph?expand=all", `document.querySelectorAll("[data-asset-key]").length === 1000`); // warm the server's caches
      progress("1k: warmed");
      for (let i = 0; i < runs; i++) {
        const e = await timeToPaint(browser, server, "/graph?expand=all", `document.querySelectorAll("[data-asset-key]").length === 1000`);
        expanded.push(e.ms);
        if (e.fcpMs !== null) fcp.push(e.fcpMs);
        if (e.layoutMs !== null) layout.push(e.layoutMs);
        if (e.assetsFetchMs !== null) fetchMs.push(e.assetsFetchMs);
        closed.push((await timeToPaint(browser, server, "/graph", `document.querySelectorAll("[data-group]").length === 10`)).ms);
        catalog.push((await timeToPaint(browser, server, "/assets", `document.querySelectorAll("table.data tbody tr[data-key]").length > 20`)).ms);
      }
      Object.assign(figures, stat("graph1k.expanded.allNodesMs", expanded), stat("graph1k.expanded.fcpMs", fcp), stat("graph1k.expanded.layoutMs", layout), stat("graph1k.expanded.apiAssetsMs", fetchMs), stat("graph1k.collapsedMs", closed), stat("catalog1k.firstRowsMs", catalog));
      progress("1k: first paints measured");
      Object.assign(figures, stat("graph1k.eventToScreenMs", await eventToScreen(browser, server, dir1k, Array.from({ length: runs }, (_, g) => `g${g}_a0`))));
    } finally {
      progress("1k: measured");
      await server.stop();
      removeDir(dir1k);
      progress("1k: server stopped");
    }
    if (!options.skip10k) {
      const dir10k = makeTempProject(generateGraphProject(100, 100), "dagx-bench-ui10k-");
      progress("10k: project written");
      const t = performance.now();
      const server10k = await startUiServer(dir10k, { timeoutMs: 120_000 });
      figures["graph10k.serverStartMs"] = Math.round(performance.now() - t);
      try {
        const closed: number[] = [];
        const catalog: number[] = [];
        const fetch10k: number[] = [];
        progress("10k: server started");
        for (let i = 0; i < runs; i++) {
          const c = await timeToPaint(browser, server10k, "/graph", `document.querySelectorAll("[data-group]").length === 100`);
          closed.push(c.ms);
          if (c.assetsFetchMs !== null) fetch10k.push(c.assetsFetchMs);
          catalog.push((await timeToPaint(browser, server10k, "/assets", `document.querySelectorAll("table.data tbody tr[data-key]").length > 20`)).ms);
        }
        Object.assign(figures, stat("graph10k.collapsedMs", closed), stat("graph10k.apiAssetsMs", fetch10k), stat("catalog10k.firstRowsMs", catalog));
      } finally {
        await server10k.stop();
        removeDir(dir10k);
      }
    }
  } finally {
    await browser.close();
    progress("browser closed");
  }
  return figures;
}

if (import.meta.main) {
  const i = process.argv.indexOf("--runs");
  const figures = await run({ runs: i > 0 ? Number(process.argv[i + 1]) : undefined, skip10k: process.argv.includes("--skip-10k") });
  printFigures("ui-first-paint", figures);
  printTargets(figures, targets);
}
