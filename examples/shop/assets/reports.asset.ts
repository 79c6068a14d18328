import { asset } from "dagx";
import { revenue_by_customer } from "./marts.asset";
import { settings } from "./settings.asset";

/** A TypeScript asset: loads rows into JS and returns an array of objects (stored as Parquet). */
export const top_customers = asset(
  { group: "reports", ins: { revenue_by_customer, settings } },
  async (ctx, { revenue_by_customer, settings }) => {
    const rows = await revenue_by_customer.rows();
    ctx.log.info(`ranking ${rows.length} customers`);
    return rows.slice(0, settings.topN).map((r, i) => ({
      rank: i + 1,
      name: String(r.name),
      revenue: Number(r.revenue),
      currency: settings.currency,
    }));
  },
);

/**
 * A side-effect asset: depends on daily_revenue by string key (no import needed), returns nothing.
 * Here it only logs; a real one would publish a report or send a notification.
 */
export const publish_report = asset(
  { group: "reports", deps: ["daily_revenue", top_customers], description: "Announces the new numbers" },
  (ctx) => {
    ctx.log.info(`${ctx.resources.shopName}: report published for run ${ctx.runId}`);
  },
);
