/**
 * The project the UI page tests open: a temp copy of examples/shop plus a few assets that give
 * every status a node can have — fresh, stale (orders re-materialized with a new row), missing,
 * failed (`broken` throws), a failing check (`checked`), partitions (`regions`, one of three), and
 * `held`, which runs until a file `release` appears in the project folder (the running status), and
 * `dated`, overdue (its freshness allows 1 s) by the time prepareShop returns.
 * Set up in this process (runDagx); the tests' live changes come from a spawned `dagx`.
 */
import { appendFileSync, cpSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { REPO, runDagx, writeFile } from "../../cli/helpers.ts";

export const EXTRA_ASSETS = `import { asset, rowCount, staticPartitions } from "dagx";
import { orders } from "./raw.asset";

/** Always fails: the failed status, a failed run. */
export const broken = asset({ group: "reports", ins: { orders } }, () => {
  throw new Error("boom: the source is gone");
});

/** Materializes, then its check fails (more than one row). */
export const checked = asset({ group: "marts", ins: { orders }, checks: [rowCount({ max: 1 })] }, (ctx, { orders }) => ctx.sql\`select * from \${orders}\`);

/** Runs until a file named "release" exists in the project folder (a run to watch while it runs). */
export const held = asset({ group: "reports" }, async () => {
  while (!(await Bun.file(import.meta.dir + "/../release").exists())) await Bun.sleep(50);
  return [{ done: true }];
});

/** Must be at most 1 s old: overdue from a second after its materialization on. */
export const dated = asset({ group: "config", freshness: { maxLag: "1s" } }, () => ({ at: "now" }));

/** Three partitions, one materialized; HTML in its description and a tag (shown as text, never parsed). */
export const regions = asset({ group: "raw", description: "<b>bold?</b>", tags: { note: "<img src=x onerror=alert(1)>" }, partitions: staticPartitions(["eu", "us", "apac"]) }, (ctx) => [{ region: ctx.partition.key }]);
`;

/** Copy the shop, add the extra assets, materialize part of it; returns the folder. */
export async function prepareShop(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), "dagx-ui-shop-"));
  cpSync(join(REPO, "examples/shop"), dir, { recursive: true, filter: (src) => !src.includes(".dagx") });
  writeFile(dir, "assets/extra.asset.ts", EXTRA_ASSETS);
  const must = async (args: string[], code = 0) => {
    const r = await runDagx(dir, args);
    if (r.code !== code) throw new Error(`dagx ${args.join(" ")} exited ${r.code}, expected ${code}:\n${r.stderr}`);
  };
  await must(["materialize", "dated"]);
  const datedAt = performance.now();
  await must(["materialize", "orders,customers,settings,daily_revenue,checked"]);
  await must(["materialize", "regions", "--partition", "eu"]);
  await must(["materialize", "broken"], 1);
  appendFileSync(join(dir, "data/orders.csv"), "9999,2024-03-09,1,paid,10.00\n");
  await must(["materialize", "orders"]);
  await Bun.sleep(Math.max(0, 1100 - (performance.now() - datedAt))); // dated is overdue from here on
  return dir;
}

/** `dagx status --json` as key → status. */
export async function statusByKey(dir: string): Promise<Record<string, string>> {
  const r = await runDagx(dir, ["status", "--json"]);
  return Object.fromEntries(r.json<{ key: string; status: string }[]>().map((a) => [a.key, a.status]));
}
