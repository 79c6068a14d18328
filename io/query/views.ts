/**
 * `dagx query` mounts every asset that has a stored output as a view in an in-memory DuckDB:
 * `orders` → view `orders`, `analytics/daily_revenue` → view `daily_revenue` in schema `analytics`.
 * Parquet outputs are read in place — exactly the files of the partitions state says are
 * materialized in the asset's current partition space, partition columns from their keys
 * (io/parquet-source.ts) — and JSON outputs when they hold rows.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { DuckDBConnection } from "@duckdb/node-api";
import type { PartitionSpace } from "../../core/partitions/index.ts";
import type { MaterializationRecord } from "../../core/types.ts";
import { fileListSql } from "../tabular/index.ts";
import { keyColumns, partitionFilesSql } from "../tabular/index.ts";
import type { Storage } from "../storage/index.ts";
import { quoteIdent } from "../../core/sql.ts";
import { dbtRelationTableExpr, postgresTableExpr, s3ParquetTableExpr, warehouseTableExpr } from "../iomanagers/index.ts";
import { loadProject } from "../project/index.ts";
import { projectEnv } from "../secrets/index.ts";

/** A view made for one asset. */
export interface MountedView {
  key: string;
  /** How to write it in SQL: `orders`, `analytics.daily_revenue`, `"metrics.v2-daily"`. */
  name: string;
  /** "table": a duckdbTable or postgresTable output, read in place from its warehouse / database; "s3": s3Parquet objects, read in place. */
  format: "parquet" | "json" | "table" | "s3";
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
  /** Let go of what the views hold open (warehouses attached for duckdbTable outputs): call before closing the connection. */
  release(): Promise<void>;
}

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

type TableExpr = { sql: string; format: MountedView["format"]; files: number } | string;

/** Projects by root, each loaded once per process when a postgresTable output needs its config. */
const loaded = new Map<string, ReturnType<typeof loadProject>>();

function projectAt(root: string): ReturnType<typeof loadProject> {
  let p = loaded.get(root);
  if (!p) loaded.set(root, (p = loadProject(root, { exactRoot: true, now: Date.now })));
  return p;
}

/**
 * Partition dimension names of a stored partition output, from the folders dagx itself wrote
 * under the asset's folder (`<key>/date=…/region=…/data.parquet`, relative to `.dagx/data`): what
 * `dagx query` uses when it has no definitions (it imports no asset file). Only the names come
 * from there — the values are the keys state recorded.
 */
export function storedDimensions(key: string, relPath: string): string[] {
  const segs = relPath.split("/").slice(key.split("/").length, -1);
  return segs.map((s) => s.slice(0, Math.max(0, s.indexOf("="))));
}

/**
 * The table expression of one asset's stored files, or why there is none. With `space` (a
 * partitioned asset of the project), only partitions of the current space count.
 */
async function tableExpr(conn: DuckDBConnection, storage: Storage, all: readonly MaterializationRecord[], space: PartitionSpace | undefined, holds: (() => Promise<void>)[]): Promise<TableExpr> {
  const inSpace = space ? all.filter((m) => m.partitionKey !== "" && space.indexOf(m.partitionKey) >= 0) : all;
  if (inSpace.length === 0) return "none of its materialized partitions is in its partitions definition now";
  const stored = inSpace[0]!.format;
  if (stored === "none") return "it stores no output (side-effect asset)";
  if (stored !== "parquet" && stored !== "json") {
    const s3 = await s3ParquetTableExpr(conn, storage.root, inSpace.filter((m) => m.format === stored), space);
    if (typeof s3 === "string") return s3;
    if (s3 !== null) return { sql: s3.sql, format: "s3", files: s3.files };
    const records = inSpace.filter((m) => m.format === stored);
    // postgresTable: the URL is in the project's config, loaded only when such an output exists
    const table = (await warehouseTableExpr(conn, storage.root, records)) ?? (await dbtRelationTableExpr(conn, storage.root, records)) ?? (await postgresTableExpr(conn, records, () => projectAt(storage.root).then((p) => p.ioManagers), projectEnv(storage.root)));
    if (table === null) return `it is stored by IO manager "${stored}": dagx query reads the Parquet and JSON outputs, the duckdbTable and postgresTable tables, the s3Parquet objects dagx stores itself and dbt-duckdb relations dagx observed`;
    if (typeof table === "string") return table;
    holds.push(table.release);
    return { sql: table.sql, format: "table", files: 1 };
  }
  const format = stored as "parquet" | "json";
  const records = inSpace.filter((m) => m.format === format && existsSync(join(storage.dataRoot, m.path)));
  const files = records.map((m) => join(storage.dataRoot, m.path));
  if (files.length === 0) return "its output files are missing: materialize it again";
  if (format === "parquet") {
    const first = records[0]!;
    const dims = space ? space.dimensions.map((d) => d.name) : first.partitionKey === "" ? [] : storedDimensions(first.assetKey, first.path);
    if (dims.some((d) => d === "")) return `its stored path ${first.path} is not one dagx writes: materialize it again`;
    const keyOf = (i: number) => (space ? keyColumns(space, records[i]!.partitionKey).values : dims.length > 1 ? records[i]!.partitionKey.split("|") : [records[i]!.partitionKey]);
    const sql = await partitionFilesSql({ files, dims, keyOf, schemas: records.map((m) => m.schema) }, async () => conn);
    return { sql, format, files: files.length };
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
  return { sql: `read_json_auto(${fileListSql(usable)}, hive_partitioning = false)`, format, files: usable.length };
}

/**
 * Create one view per asset in `latest` (the latest materialization per asset and partition).
 * Views are lazy: nothing is read until a query uses them.
 */
export async function mountAssetViews(
  conn: DuckDBConnection,
  project: { storage: Storage },
  latest: Iterable<MaterializationRecord>,
  spaces: ReadonlyMap<string, PartitionSpace> = new Map(),
): Promise<MountedViews> {
  const byKey = new Map<string, MaterializationRecord[]>();
  for (const m of latest) byKey.set(m.assetKey, [...(byKey.get(m.assetKey) ?? []), m]);
  const views: MountedView[] = [];
  const skipped: SkippedAsset[] = [];
  const taken = new Map<string, string>();
  const schemas = new Set<string>();
  const holds: (() => Promise<void>)[] = [];
  const release = async () => {
    for (const r of holds.splice(0)) await r();
  };
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
    let expr: TableExpr;
    try {
      expr = await tableExpr(conn, project.storage, records, spaces.get(key), holds);
    } catch (e) {
      expr = `its output cannot be read: ${(e as Error).message.split("\n")[0]}`;
    }
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
  return { views, skipped, release };
}
