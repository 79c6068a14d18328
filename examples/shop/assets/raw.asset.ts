import { asset } from "dagx";

/** Orders from the shop's CSV export, typed by DuckDB's CSV sniffer. */
export const orders = asset(
  { group: "raw", description: "Orders from the shop export", owners: ["team:data"], kinds: ["duckdb", "csv"], tags: { domain: "sales" } },
  (ctx) => ctx.sql`select * from read_csv(${ctx.path("data/orders.csv")}, header = true)`,
);

/** Customers master data. */
export const customers = asset(
  { group: "raw", description: "Customer master data", owners: ["team:data"], kinds: ["duckdb", "csv"] },
  (ctx) => ctx.sql`select * from read_csv(${ctx.path("data/customers.csv")}, header = true)`,
);
