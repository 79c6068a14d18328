import { asset, ref } from "dagx";

/** The best day, from the SQL asset marts/daily_revenue (typed by `dagx types`). */
export const best_day = asset(
  { group: "reports", ins: { daily: ref("marts/daily_revenue") } },
  (ctx, { daily }) => ctx.sql`select order_date, revenue from ${daily} order by revenue desc limit 1`,
);
