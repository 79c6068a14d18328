/**
 * `dagx query`: the user's SQL over the recorded outputs, in an in-memory DuckDB of its own (the
 * state file is never attached). A table that is no view gets dagx's message instead of DuckDB's
 * guess: `dagx query` imports no asset file, so it cannot tell an asset never materialized from
 * a typo, and says both.
 */
import { DuckDBInstance, type DuckDBConnection, type DuckDBResultReader } from "@duckdb/node-api";
import { DagxError } from "../../core/errors.ts";
import { didYouMean } from "../../core/suggest.ts";
import type { StateStore } from "../../core/state-store.ts";
import type { Storage } from "../storage/index.ts";
import { type MountedViews, mountAssetViews } from "./views.ts";

export interface QueryRun {
  mounted: MountedViews;
  reader: DuckDBResultReader;
}

/**
 * Mount every recorded output (only those of `keys` when given) as a view, run `sql` (reading at most `limit` + 1 rows when given),
 * hand the result to `use`, then close the in-memory DuckDB. `onMounted` sees the views first.
 */
export async function runQuery<T>(storage: Storage, store: StateStore, sql: string, o: { limit?: number; onMounted?: (m: MountedViews) => void; keys?: readonly string[] }, use: (r: QueryRun) => T): Promise<T> {
  const instance = await DuckDBInstance.create(":memory:");
  const conn = await instance.connect();
  let mounted: MountedViews | null = null;
  try {
    mounted = await mountAssetViews(conn, { storage }, await store.latestMaterializations(o.keys));
    o.onMounted?.(mounted);
    return use({ mounted, reader: await runUserSql(conn, sql, mounted, o.limit) });
  } finally {
    await (mounted as MountedViews | null)?.release();
    conn.closeSync();
    instance.closeSync();
  }
}

/** A DuckDB value as plain JSON: bigint → number when exact (else string), Date → ISO, bytes → base64. */
export function toJsonValue(v: unknown): unknown {
  if (typeof v === "bigint") return Number.isSafeInteger(Number(v)) ? Number(v) : v.toString();
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? null : v.toISOString();
  if (v instanceof Uint8Array) return Buffer.from(v).toString("base64");
  if (Array.isArray(v)) return v.map(toJsonValue);
  if (typeof v === "object" && v !== null) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, toJsonValue(x)]));
  return v;
}

/** The rows of a result as `--json` prints them. */
export function rowObjectsJson(reader: DuckDBResultReader): unknown[] {
  return reader.getRowObjectsJS().map((r) => toJsonValue(r));
}

function viewList(mounted: MountedViews): string {
  const names = mounted.views.map((v) => v.name);
  const list = names.length === 0 ? "no views yet: materialize assets first (dagx materialize)" : `views: ${names.slice(0, 20).join(", ")}${names.length > 20 ? `, … (${names.length - 20} more)` : ""}`;
  const skipped = mounted.skipped.map((s) => s.key);
  return skipped.length === 0 ? list : `${list}; no view for ${skipped.slice(0, 10).join(", ")} (--verbose says why)`;
}

/**
 * The key a "Table with name X does not exist" error is about, when X is no view: `dagx query`
 * imports no asset file (it reads recorded outputs only), so it cannot tell an asset never
 * materialized from a typo — it says both, instead of DuckDB's guess ("Did you mean pg_class?").
 */
function missingViewKey(message: string, mounted: MountedViews): string | null {
  const m = /^Catalog Error: Table with name "?(.+?)"? does not exist/.exec(message);
  if (!m) return null;
  const name = m[1]!;
  const taken = new Set(mounted.views.map((v) => v.name.toLowerCase()));
  if (taken.has(name.toLowerCase())) return null;
  const dot = name.lastIndexOf(".");
  return dot > 0 ? `${name.slice(0, dot)}/${name.slice(dot + 1)}` : name;
}

async function runUserSql(conn: DuckDBConnection, sql: string, mounted: MountedViews, limit?: number): Promise<DuckDBResultReader> {
  try {
    return limit === undefined ? await conn.runAndReadAll(sql) : await conn.runAndReadUntil(sql, limit + 1);
  } catch (e) {
    const msg = (e as Error).message;
    const key = missingViewKey(msg, mounted);
    if (key !== null) {
      const skipped = mounted.skipped.find((s) => s.key === key);
      const why = skipped ? `"${key}" has no view: ${skipped.reason}` : `"${key}" has no materialization yet: if it is an asset, run dagx materialize ${key}, then query it again`;
      const near = didYouMean(key, mounted.views.map((v) => v.key));
      throw new DagxError("USAGE", `${why}${near} — ${viewList(mounted)}`, { cause: e });
    }
    // DuckDB's multi-line messages end with a caret under the error: keep the views off that line
    throw new DagxError("USAGE", `${msg}${msg.includes("\n") ? "\n" : " "}— ${viewList(mounted)}`, { cause: e });
  }
}
