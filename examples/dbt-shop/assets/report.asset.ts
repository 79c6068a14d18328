import { asset } from "dagx";

/** Top customers by paid revenue, read from the Parquet file the dbt model `customer_revenue` writes. */
export const top_customers = asset(
  { group: "reports", deps: ["marts/customer_revenue"], description: "The three best customers" },
  (ctx) => ctx.sql`
    select name, revenue from read_parquet(${ctx.path("dbt/out/customer_revenue.parquet")})
    order by revenue desc limit 3`,
);
