/**
 * Row types of SQL assets for `dagx types`: the columns of the last materialization's stored
 * output (as `dagx query` sees it), else of a `DESCRIBE` of the asset's query over the stored
 * upstreams (parameters as typed NULLs). An asset neither gives is left out (`ref` is then untyped).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import type { StateStore } from "../../core/state-store.ts";
import { describeDbtOut, observesWrittenOutputs } from "../iomanagers/index.ts";
import { mountAssetViews } from "../query/index.ts";
import { discoverAssetFiles } from "./discover.ts";
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

/** Might the project at `root` have row types to write: a `.asset.sql` file, a dbt project (an asset file that exports a `dbtProject()`, or `dbt.projects` in the config)? (Cheap: no load.) */
export function mayHaveRowTypes(root: string): boolean {
  if (discoverAssetFiles(root, ".asset.sql").length > 0) return true;
  try {
    // dbt projects declared in the config (`dbt: { projects: [...] }`)
    if (/\bprojects\s*:/.test(readFileSync(join(root, "dagx.config.ts"), "utf8"))) return true;
  } catch {
    // no config
  }
  return discoverAssetFiles(root, ".asset.ts").some((f) => {
    try {
      return readFileSync(f, "utf8").includes("dbtProject(");
    } catch {
      return false;
    }
  });
}

/** Row types of every SQL asset and dbt out of the project (a dbt out: the columns its last materialization observed, else a DESCRIBE of its relation). */
export async function sqlAssetRowTypes(project: Project, store: StateStore): Promise<SqlAssetRowTypes> {
  const out: SqlAssetRowTypes = {};
  const dbtOuts = [...project.graph.assets.values()].filter((a) => observesWrittenOutputs(a.io));
  if (dbtOuts.length > 0) {
    const latest = new Map((await store.latestMaterializations()).filter((m) => m.partitionKey === "").map((m) => [m.assetKey, m]));
    for (const a of dbtOuts) {
      // observed at its last materialization, else as the relation is now in dbt's file
      const schema = latest.get(a.key)?.schema ?? (await describeDbtOut(a.io, a.key));
      if (schema) out[a.key] = Object.fromEntries(schema.map((c) => [c.name, tsTypeOf(c.type)]));
    }
  }
  const sqlAssets = [...project.graph.assets.values()].filter((a) => sqlAssetInfo(a.def));
  if (sqlAssets.length === 0) return out;
  const instance = await DuckDBInstance.create(":memory:", { threads: "1" });
  const conn = await instance.connect();
  const mounted = await mountAssetViews(conn, { storage: project.storage }, await store.latestMaterializations());
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
