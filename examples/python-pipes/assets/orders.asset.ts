import { asset } from "dagx";

/** Orders from the shop's CSV export (TypeScript ingestion; the Python script reads its Parquet). */
export const orders = asset({ group: "raw", kinds: ["duckdb", "csv"] }, (ctx) =>
  ctx.sql`select * from read_csv(${ctx.path("data/orders.csv")}, header = true)`);
