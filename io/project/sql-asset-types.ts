/**
 * Row types of SQL assets for `dagx types`: the columns of the last materialization's stored
 * output (as `dagx query` sees it), else of a `DESCRIBE` of the asset's query over the stored
 * upstreams (parameters as typed NULLs). An asset neither gives is left out (`ref` is then untyped).
 */
import { DuckDBInstance } from "@duckdb/node-api";
import type { StateStore } from "../../core/state-store.ts";
import { mountAssetViews } from "../query/index.ts";
import type { Project } from "./project.ts";
import { compileSqlAsset, sqlAssetInfo } from "./sql-asset.ts";
import type { SqlAssetRowTypes } from "./type-declarations.ts";

/** The TypeScript type of a DuckDB column type, as rows reach JS (io/tabular). */
export function tsTypeOf(duckType: string): string {
  const t = duckType.toUpperCase();
  if (/^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|UHUGEINT|FLOAT|DOUBLE|REAL|DECIMAL.*)$/.test(t)) return "number | null";
  if (/^(VARCHAR|UUID|ENUM.*)$/.test(t)) return "string | null";
  if (t === "BOOLEAN") return "boolean | null";
  if (/^(DATE|TIMESTAMP.*)$/.test(t)) return "Date | null";
  return "unknown";
}

/** Row types of every SQL asset of the project. */
export async function sqlAssetRowTypes(project: Project, store: StateStore): Promise<SqlAssetRowTypes> {
  const sqlAssets = [...project.graph.assets.values()].filter((a) => sqlAssetInfo(a.def));
  if (sqlAssets.length === 0) return {};
  const instance = await DuckDBInstance.create(":memory:", { threads: "1" });
  const conn = await instance.connect();
  const mounted = await mountAssetViews(conn, { storage: project.storage }, await store.latestMaterializations());
  const out: SqlAssetRowTypes = {};
  try {
    const viewed = new Map(mounted.views.map((v) => [v.key, v.name]));
    for (const a of sqlAssets) {
      let sql: string;
      if (viewed.has(a.key)) sql = `select * from ${viewed.get(a.key)}`;
      else {
        const c = compileSqlAsset(a.key, sqlAssetInfo(a.def)!, null);
        sql = c.params.reduceRight((text, p) => text.replaceAll(`$${p.index}`, p.name === "partition_start" || p.name === "partition_end" ? "NULL::TIMESTAMPTZ" : "NULL::VARCHAR"), c.sql);
      }
      try {
        const r = await conn.runAndReadAll(`describe ${sql}`);
        out[a.key] = Object.fromEntries(r.getRowObjectsJS().map((row) => [String(row.column_name), tsTypeOf(String(row.column_type))]));
      } catch {
        // upstreams not materialized yet: no row type
      }
    }
  } finally {
    await mounted.release();
    conn.closeSync();
    instance.closeSync();
  }
  return out;
}
