/**
 * The project the UI page tests open: a temp copy of examples/shop plus a few assets that give
 * every status a node can have — fresh, stale (orders re-materialized with a new row), missing,
 * failed (`broken` throws), a failing check (`checked`), partitions (`regions`, one of three).
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

/** Three partitions, one materialized. */
export const regions = asset({ group: "raw", partitions: staticPartitions(["eu", "us", "apac"]) }, (ctx) => [{ region: ctx.partition.key }]);
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
  await must(["materialize", "orders,customers,settings,daily_revenue,checked"]);
  await must(["materialize", "regions", "--partition", "eu"]);
  await must(["materialize", "broken"], 1);
  appendFileSync(join(dir, "data/orders.csv"), "9999,2024-03-09,1,paid,10.00\n");
  await must(["materialize", "orders"]);
  return dir;
}

/** `dagx status --json` as key → status. */
export async function statusByKey(dir: string): Promise<Record<string, string>> {
  const r = await runDagx(dir, ["status", "--json"]);
  return Object.fromEntries(r.json<{ key: string; status: string }[]>().map((a) => [a.key, a.status]));
}
