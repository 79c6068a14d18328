import { asset } from "dagx";
import { customers, orders } from "./raw.asset";
import { settings } from "./settings.asset";

/** Net revenue per day; the VAT rate is a bound parameter, never spliced into the SQL text. */
export const daily_revenue = asset(
  { group: "marts", ins: { orders, settings }, kinds: ["duckdb"], tags: { domain: "sales" }, owners: ["team:analytics"] },
  (ctx, { orders, settings }) => ctx.sql`
    select order_date as day,
           count(*) as orders,
           round(sum(amount) / (1 + ${settings.vatRate}), 2) as net_revenue
    from ${orders}
    where status = 'paid'
    group by 1
    order by 1`,
);

/** Paid revenue per customer, joined with the customer table. */
export const revenue_by_customer = asset(
  { key: "analytics/revenue_by_customer", group: "marts", ins: { orders, customers }, kinds: ["duckdb"], owners: ["team:analytics"] },
  (ctx, { orders, customers }) => ctx.sql`
    select c.customer_id, c.name, c.country, count(*) as orders, sum(o.amount) as revenue
    from ${orders} o join ${customers} c using (customer_id)
    where o.status = 'paid'
    group by all
    order by revenue desc`,
);
