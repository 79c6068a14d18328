/**
 * The asset page's Code section and the checks a step reports, in real headless Chromium against a
 * real `dagx ui`: examples/python-pipes (a pipesAsset, a *.asset.py file, a SQL asset) plus a
 * partitioned SQL asset and a Pipes asset that reports a warning check with failing rows and an
 * undeclared check, materialized with the test venv's Python; and examples/dbt-shop with the real
 * dbt: a model's raw and compiled SQL, its unique id, its tests listed with their checks, the step.
 * With DAGX_UI_SCREENSHOTS=1 the dbt test saves docs/ui/dbt-model.png (the screenshot docs/ui.md shows).
 */
import { afterAll, beforeAll, describe, expect } from "bun:test";
import { cpSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { browserSuite, waitInPage, type UiPage } from "../../support/browser.ts";
import { startUiServer, type UiServer } from "../../support/ui-server.ts";
import { dagx, REPO } from "../../cli/helpers.ts";
import { pipesPython, pipesUnavailable } from "../../support/pipes.ts";
import { dbtExecutable, dbtUnavailable } from "../../support/dbt.ts";

// Functions below run in the page (page.evaluate/waitForFunction); the test program has no DOM lib.
declare const document: any, getComputedStyle: any;

const DAILY_SQL = `-- One day of orders: partition bounds are bound parameters.
-- @partitions: daily(start=2024-01-01, end=2024-01-08)
select order_id, amount, $partition_key as day
from orders
where $partition_start is not null
`;
const REPORTER = `import { checkSpec, pipesAsset } from "dagx";
export const reporter = pipesAsset({
  command: ["python3", "scripts/reporter.py"],
  checks: [checkSpec("amounts_positive", { severity: "warn", description: "No negative amounts" }), checkSpec("ids_unique", { blocking: true })],
});
`;
const REPORTER_PY = `from dagster_pipes import open_dagster_pipes
with open_dagster_pipes() as context:
    context.report_asset_materialization(metadata={"rows": 3})
    context.report_asset_check("amounts_positive", passed=False, severity="WARN", metadata={"failing_rows": 2})
    context.report_asset_check("ids_unique", passed=True)
    context.report_asset_check("surprise", passed=True, metadata={"note": "<b>not html</b>"})
`;

const ui = browserSuite();

async function open(page: UiPage, server: UiServer, path: string): Promise<void> {
  await page.goto(server.url);
  await page.goto(server.origin + path);
}
const text = (page: UiPage, selector: string) => page.$eval(selector, (e) => e.textContent ?? "");
const texts = (page: UiPage, selector: string) => page.$$eval(selector, (es) => es.map((e) => e.textContent ?? ""));

const noPipes = pipesUnavailable();
if (noPipes) console.warn(`*** SKIPPED *** tests/integration/ui/code.test.ts (Pipes): ${noPipes}`);

describe.skipIf(noPipes !== undefined)("Code section: SQL and Pipes assets", () => {
  let dir: string;
  let server: UiServer;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "dagx-ui-code-"));
    cpSync(join(REPO, "examples/python-pipes"), dir, { recursive: true, filter: (src) => !/\/(\.dagx|\.venv)(\/|$)/.test(src) });
    writeFileSync(join(dir, "assets/orders_by_day.asset.sql"), DAILY_SQL);
    writeFileSync(join(dir, "assets/reporter.asset.ts"), REPORTER);
    writeFileSync(join(dir, "scripts/reporter.py"), REPORTER_PY);
    const env = { PATH: `${dirname(await pipesPython())}:${process.env.PATH}` };
    const r = await dagx(dir, ["materialize", "orders", "customer_scores", "high_value", "segments", "reporter"], { env });
    expect(r.code, r.stderr).toBe(0);
    server = await startUiServer(dir, { env });
  }, 300_000);
  afterAll(async () => {
    await server?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  ui.test("a pipesAsset: its command and its script as text; its reported check with blocking", async (page) => {
    await open(page, server, "/assets/customer_scores");
    await waitInPage(page, "the Code section", () => document.querySelector('.asset-code[data-kind="pipes"]') !== null);
    expect(await text(page, ".asset-code .pipes-command")).toBe("python3 scripts/score.py");
    const [caption, script] = await page.$eval('.code-text[data-label="script"]', (e) => [e.querySelector("figcaption")?.textContent ?? "", e.querySelector("pre")?.textContent ?? ""]);
    expect(caption).toContain("scripts/score.py");
    expect(script).toContain("from dagster_pipes import open_dagster_pipes");
    await waitInPage(page, "the check rows", () => document.querySelector('#checks tr.check-row[data-check="scores_in_range"]') !== null);
    expect(await text(page, '#checks tr.check-row[data-check="scores_in_range"] td')).toContain("blocking");
    expect(await page.$eval('#checks tr.check-row[data-check="scores_in_range"]', (e) => e.getAttribute("data-status"))).toBe("passed");
    // the declared checks listed in the Code section, with their latest result
    expect(await page.$$eval(".declared-check", (rows) => rows.map((r) => r.getAttribute("data-check")))).toContain("scores_in_range");
  });

  ui.test("a *.asset.py file: its text; a reported warning with failing rows; an undeclared check flagged", async (page) => {
    await open(page, server, "/assets/high_value");
    await waitInPage(page, "the Code section", () => document.querySelector('.asset-code[data-kind="pipes"] pre') !== null);
    expect(await text(page, '.code-text[data-label="script"] pre')).toContain("# @ins: customer_scores");
    // reporter reports a materialization without writing an output file: its preview is a 404 (by design)
    page.allowHttpErrors();
    await open(page, server, "/assets/reporter");
    await waitInPage(page, "the check rows", () => document.querySelectorAll("#checks tr.check-row").length >= 3);
    const warn = '#checks tr.check-row[data-check="amounts_positive"]';
    expect(await page.$eval(warn, (e) => e.getAttribute("data-status"))).toBe("warned");
    const cells = await texts(page, `${warn} td`);
    expect(cells[0]).toContain("No negative amounts");
    expect(cells[3]).toBe("warn");
    expect(cells[6]).toContain("failing rows: 2");
    expect(await text(page, '#checks tr.check-row[data-check="ids_unique"] td')).toContain("blocking");
    const surprise = '#checks tr.check-row[data-check="surprise"]';
    expect(await page.$$eval(`${surprise} [data-flag="undeclared"]`, (e) => e.length)).toBe(1);
    expect(await page.$$eval(`${warn} [data-flag="undeclared"]`, (e) => e.length)).toBe(0);
    // metadata is text, never markup
    expect(await text(page, `${surprise} td.meta`)).toContain("<b>not html</b>");
    expect(await page.$$eval(`${surprise} td.meta b`, (e) => e.length)).toBe(0);
  });

  ui.test("a SQL asset: the compiled query, its parameters, bound once one partition is picked", async (page) => {
    await open(page, server, "/assets/orders_by_day");
    await waitInPage(page, "the Code section", () => document.querySelector('.asset-code[data-kind="sql"] pre') !== null);
    const query = await text(page, '.code-text[data-label^="query"] pre');
    expect(query).toContain("select order_id, amount, $1 as day\nfrom orders\nwhere $2 is not null");
    expect(await text(page, '.sql-params [data-param="partition_key"]')).toContain("bound at run time");
    expect(await text(page, ".asset-code .facts")).toContain("orders_by_day.asset.sql:3");
    await page.type("input[name=partitions]", "2024-01-03");
    await waitInPage(page, "the bound values", () => document.querySelector('.sql-params [data-param="partition_start"]')?.textContent.includes("2024-01-03T00:00:00.000Z"));
    expect(await text(page, '.sql-params [data-param="partition_key"]')).toBe("$1 = $partition_key: 2024-01-03");
    // a TS asset: file:line only
    await open(page, server, "/assets/orders");
    await waitInPage(page, "the Code section", () => document.querySelector('.asset-code[data-kind="ts"]') !== null);
    expect(await text(page, ".asset-code .facts")).toContain("assets/orders.asset.ts:4");
    expect(await page.$$eval(".asset-code pre", (e) => e.length)).toBe(0);
  });
});

const noDbt = dbtUnavailable();
if (noDbt) console.warn(`*** SKIPPED *** tests/integration/ui/code.test.ts (dbt): ${noDbt}`);

describe.skipIf(noDbt !== undefined)("Code section: a dbt model", () => {
  let dir: string;
  let server: UiServer;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "dagx-ui-code-dbt-"));
    cpSync(join(REPO, "examples/dbt-shop"), dir, { recursive: true, filter: (src) => !/\/(\.dagx|target|logs)(\/|$)|\.duckdb$|\.parquet$/.test(src) });
    const env = { DAGX_DBT_EXECUTABLE: await dbtExecutable(), DAGX_DBT_DUCKDB: join(dir, "dbt/shop.duckdb") };
    const r = await dagx(dir, ["materialize", "*"], { env, timeoutMs: 240_000 });
    expect(r.code, r.stderr).toBe(0);
    server = await startUiServer(dir, { env, timeoutMs: 60_000 });
  }, 300_000);
  afterAll(async () => {
    await server?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  ui.test(
    "a dbt model: its SQL file and compiled SQL, unique id, its tests with their checks, the step",
    async (page) => {
      // a dbt model's data stays in dbt's database: its preview is a 404 with that message (by design)
      page.allowHttpErrors();
      await open(page, server, "/assets/stg_orders");
      await waitInPage(page, "the Code section", () => document.querySelector('.asset-code[data-kind="dbt"] pre') !== null);
      const facts = await text(page, ".asset-code .facts");
      expect(facts).toContain("model.shop.stg_orders");
      expect(facts).toContain("models/staging/stg_orders.sql");
      const raw = await text(page, '.code-text[data-label="dbt model (raw)"] pre');
      expect(raw).toContain("from {{ source('dagx', 'orders') }}");
      const compiled = await text(page, '.code-text[data-label="compiled SQL (last build)"] pre');
      expect(compiled).toContain("select id as order_id");
      expect(compiled).not.toContain("{{");
      expect(await text(page, '.code-text[data-label="compiled SQL (last build)"] figcaption')).toContain(".dagx/dbt/");
      // the dbt tests, listed with what they test and their latest check result
      const tests = await page.$$eval(".declared-check", (rows) => rows.map((r) => [r.getAttribute("data-check"), r.querySelector(".dbt-test")?.textContent ?? ""]));
      expect(tests.map(([n]) => n).sort()).toEqual(["accepted_values_stg_orders_status__paid__refunded__open", "not_null_stg_orders_order_id", "unique_stg_orders_order_id"]);
      expect(tests).toContainEqual(["unique_stg_orders_order_id", "unique(order_id)"]);
      expect(await page.$$eval(".declared-check .badge", (b) => b.map((e) => e.textContent))).toEqual(["passed", "passed", "passed"]);
      // …and in the Checks section, with severity and the blocking flag
      const row = '#checks tr.check-row[data-check="unique_stg_orders_order_id"]';
      // laid out as a table (the status bar's inline-flex .checks style once squeezed it into one column)
      expect(await page.$eval("#checks table", (t) => getComputedStyle(t).display)).toBe("table");
      expect(await page.$eval(row, (e) => e.getAttribute("data-status"))).toBe("passed");
      const cells = await texts(page, `${row} td`);
      expect(cells[0]).toContain("blocking");
      expect(cells[3]).toBe("error");
      // the step: one dbt build with the other models
      const step = await page.$$eval(".asset-page > .facts dt", (dts) => dts.map((d) => [d.textContent, d.nextElementSibling?.textContent ?? ""]).find(([k]) => k === "step")?.[1] ?? "");
      expect(step).toContain("stg_customers");
      expect(step).toContain("marts/customer_revenue");
      expect(step).toContain("runs only the selected ones");
      await page.evaluate(() => {
        document.querySelector("#code")?.scrollIntoView();
        document.scrollingElement.scrollTop -= 110; // the step line above the section too
      });
      // DAGX_UI_SCREENSHOTS=1 refreshes the screenshot docs/ui.md shows
      const shot = process.env.DAGX_UI_SCREENSHOTS === "1" ? join(REPO, "docs/ui/dbt-model.png") : join(dir, "dbt-model.png");
      await page.screenshot({ path: shot as `${string}.png` });
    },
    { timeoutMs: 60_000, viewport: { width: 1280, height: 1000 } },
  );
});
