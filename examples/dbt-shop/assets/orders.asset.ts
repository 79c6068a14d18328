import { asset } from "dagx";

/** Orders from the shop's CSV export: a dagx asset that the dbt project reads as its source `dagx.orders`. */
export const orders = asset(
  { group: "raw", description: "Orders from the shop export", kinds: ["duckdb", "csv"] },
  (ctx) => ctx.sql`select * from read_csv(${ctx.path("data/orders.csv")}, header = true)`,
);
