import { asset } from "dagx";

/** Orders from the shop's CSV export (a TS asset; the SQL assets read it by its key). */
export const orders = asset(
  { group: "raw", description: "Orders from the shop export", kinds: ["duckdb", "csv"] },
  (ctx) => ctx.sql`select * from read_csv(${ctx.path("data/orders.csv")}, header = true)`,
);
