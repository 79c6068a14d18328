import { asset, daily } from "dagx";

const days = daily({ start: "2024-03-01", end: "2024-03-04" });

/** One CSV per day of the till export: what the finance spreadsheet reads. */
export const daily_sales = asset(
  { partitions: days, io: "csv", description: "Till sales of one day, as CSV" },
  (ctx) => ctx.sql`select order_id, product, quantity, unit_price, quantity * unit_price as amount
                   from read_csv(${ctx.path("data/sales.csv")}, header = true)
                   where sold_on = ${ctx.partition.key}::DATE
                   order by order_id`,
);

/** Revenue per product over every day: reads the CSVs back (typed, one column per partition key) in DuckDB. */
export const revenue_by_product = asset({ ins: { daily_sales } }, (ctx, { daily_sales }) =>
  ctx.sql`select product, sum(quantity)::INTEGER as units, round(sum(amount), 2) as revenue, count(distinct date)::INTEGER as days
          from ${daily_sales} group by product order by revenue desc`,
);

/** Rows returned from JS go through the same manager. */
export const price_list = asset({ io: "csv" }, () => [
  { product: "coffee", unit_price: 2.5, note: "per cup" },
  { product: "tea", unit_price: 2, note: 'green, "sencha"' },
  { product: "cake", unit_price: 3.75, note: null },
]);
