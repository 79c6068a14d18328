/**
 * `dagx query` mounts every asset that has a stored output as a view in an in-memory DuckDB:
 * `orders` → view `orders`, `analytics/daily_revenue` → view `daily_revenue` in schema `analytics`.
 * Parquet outputs are read in place (`read_parquet`), JSON outputs when they hold rows.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { DuckDBConnection } from "@duckdb/node-api";
import type { MaterializationRecord } from "../core/types.ts";
import type { Storage } from "./storage.ts";
import { quoteIdent } from "../core/sql.ts";

/** A view made for one asset. */
export interface MountedView {
  key: string;
  /** How to write it in SQL: `orders`, `analytics.daily_revenue`, `"metrics.v2-daily"`. */
  name: string;
  format: "parquet" | "json";
  files: number;
}

/** An asset with materializations that got no view, and why. */
export interface SkippedAsset {
  key: string;
  reason: string;
}

export interface MountedViews {
  views: MountedView[];
  skipped: SkippedAsset[];
}

const quoteLiteral = (s: string) => `'${s.replaceAll("'", "''")}'`;
const SIMPLE = /^[A-Za-z_][A-Za-z0-9_]*$/;
const shown = (s: string) => (SIMPLE.test(s) ? s : quoteIdent(s));

/**
 * Schema and view name of a key. DuckDB reads `a.b.c` as catalog.schema.table, so a key with more
 * than two segments keeps its prefix as one schema name: `a/b/c` → `"a/b".c`.
 */
export function viewNameOf(key: string): { schema: string | null; view: string; name: string } {
  const segs = key.split("/");
  const view = segs[segs.length - 1]!;
  const schema = segs.length > 1 ? segs.slice(0, -1).join("/") : null;
  return { schema, view, name: schema === null ? shown(view) : `${shown(schema)}.${shown(view)}` };
}

/** Which JSON values can be a table: an object (one row) or an array of objects. */
function jsonRowsProblem(value: unknown): string | null {
  if (Array.isArray(value)) {
    if (value.length === 0) return "its JSON value is an empty array";
    return value.every((v) => typeof v === "object" && v !== null && !Array.isArray(v)) ? null : "its JSON value is an array of non-objects";
  }
  if (typeof value === "object" && value !== null) return null;
  return `its JSON value is a ${value === null ? "null" : typeof value}, not rows`;
}

/** The table expression of one asset's stored files, or why there is none. */
function tableExpr(storage: Storage, records: readonly MaterializationRecord[]): { sql: string; format: "parquet" | "json"; files: number } | string {
  const format = records[0]!.format;
  if (format === "none") return "it stores no output (side-effect asset)";
  const files = records.map((m) => join(storage.dataRoot, m.path)).filter((p) => existsSync(p));
  if (files.length === 0) return "its output files are missing: materialize it again";
  const list = `[${files.map(quoteLiteral).join(", ")}]`;
  if (format === "parquet") {
    // hive columns only for partitioned assets, so `x=y` folders above the project add none
    const hive = records.some((m) => m.partitionKey !== "");
    return { sql: `read_parquet(${list}, hive_partitioning = ${hive}, union_by_name = true)`, format, files: files.length };
  }
  const usable: string[] = [];
  let problem = "";
  for (const f of files) {
    let value: unknown;
    try {
      value = JSON.parse(readFileSync(f, "utf8"));
    } catch {
      problem = `${f} is not valid JSON`;
      continue;
    }
    const p = jsonRowsProblem(value);
    if (p) problem = p;
    else usable.push(f);
  }
  if (usable.length === 0) return problem;
  return { sql: `read_json_auto([${usable.map(quoteLiteral).join(", ")}])`, format, files: usable.length };
}

/**
 * Create one view per asset in `latest` (the latest materialization per asset and partition).
 * Views are lazy: nothing is read until a query uses them.
 */
export async function mountAssetViews(conn: DuckDBConnection, project: { storage: Storage }, latest: Iterable<MaterializationRecord>): Promise<MountedViews> {
  const byKey = new Map<string, MaterializationRecord[]>();
  for (const m of latest) byKey.set(m.assetKey, [...(byKey.get(m.assetKey) ?? []), m]);
  const views: MountedView[] = [];
  const skipped: SkippedAsset[] = [];
  const taken = new Map<string, string>();
  const schemas = new Set<string>();
  for (const key of [...byKey.keys()].sort()) {
    const records = byKey.get(key)!;
    const { schema, view, name } = viewNameOf(key);
    // DuckDB identifiers are case-insensitive, and `main/x` is the same view as `x`
    const id = `${(schema ?? "main").toLowerCase()}.${view.toLowerCase()}`;
    const owner = taken.get(id);
    if (owner !== undefined) {
      skipped.push({ key, reason: `view ${name} is already taken by asset "${owner}"` });
      continue;
    }
    const expr = tableExpr(project.storage, records);
    if (typeof expr === "string") {
      skipped.push({ key, reason: expr });
      continue;
    }
    if (schema !== null && !schemas.has(schema)) {
      await conn.run(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(schema)}`);
      schemas.add(schema);
    }
    const target = schema === null ? quoteIdent(view) : `${quoteIdent(schema)}.${quoteIdent(view)}`;
    try {
      await conn.run(`CREATE VIEW ${target} AS SELECT * FROM ${expr.sql}`);
    } catch (e) {
      skipped.push({ key, reason: `DuckDB cannot read its output: ${(e as Error).message.split("\n")[0]}` });
      continue;
    }
    taken.set(id, key);
    views.push({ key, name, format: expr.format, files: expr.files });
  }
  return { views, skipped };
}
