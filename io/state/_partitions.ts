/**
 * Partition queries of the DuckDB state store: latest materializations of chosen partitions, the
 * aggregated partition summary of an asset, and dynamic partition keys. Each function runs inside
 * one session (a connection with the state file attached and current); callers own the session.
 *
 * The summary never brings one JS object per partition into memory: time partitions (rows with an
 * `ordinal`) come back as islands of consecutive ordinals, computed from per-bucket bitmaps; only
 * key-list partitions (static, dynamic, multi: no ordinal) come back as keys.
 */
import type { DuckDBConnection } from "@duckdb/node-api";
import type { SummaryOptions } from "../../core/state-store.ts";
import type { ColumnSchema, MaterializationRecord, OrdinalRange, PartitionSummary } from "../../core/types.ts";
import { insert, jsonRows, LATEST_COLUMNS, type Row, rows, stringList, toMaterialization, transaction } from "./_sql.ts";

/** Latest materializations of `partitionKeys` of `assetKey`, by partition key (one bound list parameter). */
export async function selectPartitionMaterializations(
  conn: DuckDBConnection,
  assetKey: string,
  partitionKeys: readonly string[],
): Promise<MaterializationRecord[]> {
  if (partitionKeys.length === 0) return [];
  const list = stringList([...new Set(partitionKeys)]);
  const sql = `SELECT l.${LATEST_COLUMNS} FROM latest_materializations l SEMI JOIN (SELECT unnest(?) AS k) w ON l.partition_key = w.k
    WHERE l.asset_key = ? ORDER BY l.partition_key`;
  return (await rows(conn, sql, [list.value, assetKey], [list.type])).map(toMaterialization);
}

/**
 * The assets a summary covers, as SQL: `mine` (their latest rows, one per partition, with the
 * wanted code version as `code`), `ofAsset(col)` (a column holding one of them), `asset` (the
 * asset of a result row), `by(…cols)` (a GROUP BY per asset and cols), `newest` (the newest row
 * of each) and the values to bind. One asset is bound as values: a filter DuckDB pushes into the
 * scan and nothing grouped per asset, the queries a single summary always ran (~12 ms per scan of
 * 1,000,000 rows). Several travel as one JSON list joined as `w` and grouped by asset (~22 ms per
 * scan: a join and a string key per row), still five queries for any number of assets.
 */
interface Scope {
  with: string;
  mine: string;
  ofAsset(column: string): string;
  asset: string;
  by(...columns: string[]): string;
  newest: { cte: string; sql: string };
  params: Record<string, string | null>;
}

const groupBy = (columns: string[]) => (columns.length ? `GROUP BY ${columns.join(", ")}` : "");

/** An asset a summary is asked for: its code version now, and the config hash a plain run would record (null: none). */
export interface SummaryTarget {
  assetKey: string;
  codeVersion: string;
  configHash?: string | null;
}

function scopeOf(assets: readonly SummaryTarget[]): Scope {
  if (assets.length === 1) {
    const [{ assetKey, codeVersion, configHash }] = assets as [SummaryTarget];
    const mine = "SELECT l.*, $code AS code, $cfg::VARCHAR AS cfg FROM latest_materializations l WHERE l.asset_key = $asset";
    return {
      with: "",
      mine,
      ofAsset: (column) => `${column} = $asset`,
      asset: "$asset",
      by: (...columns) => groupBy(columns),
      newest: { cte: "", sql: `SELECT * FROM (${mine}) ORDER BY ts DESC, partition_key DESC LIMIT 1` },
      params: { asset: assetKey, code: codeVersion, cfg: configHash ?? null },
    };
  }
  const wanted = jsonRows({ asset: "VARCHAR", code: "VARCHAR", cfg: "VARCHAR" }, assets.map((a) => [a.assetKey, a.codeVersion, a.configHash ?? null]));
  const mine = "SELECT l.*, w.code, w.cfg FROM latest_materializations l JOIN w ON l.asset_key = w.asset";
  return {
    with: `w AS ${wanted.sql.replace("?", "$wanted")}`,
    mine,
    ofAsset: (column) => `${column} IN (SELECT asset FROM w)`,
    asset: "asset_key",
    by: (...columns) => groupBy(["asset_key", ...columns]),
    // the newest time per asset, then the greatest key at that time (an arg_max over (ts, key) took ~85 ms on 1,000,000 rows, this ~15 ms)
    newest: {
      cte: `m AS (SELECT asset_key, max(ts) AS ts FROM (${mine}) GROUP BY asset_key),
        t AS (SELECT l.asset_key, max(l.partition_key) AS pk FROM latest_materializations l JOIN m ON l.asset_key = m.asset_key AND l.ts = m.ts GROUP BY l.asset_key)`,
      sql: "SELECT l.* FROM latest_materializations l JOIN t ON l.asset_key = t.asset_key AND l.partition_key = t.pk",
    },
    params: { wanted: wanted.param },
  };
}

/** Ordinals are grouped in buckets of 2^BUCKET_BITS; each bucket's members come back as one bitmap. */
const BUCKET_BITS = 10;
const BUCKET = 2 ** BUCKET_BITS;
/** Bitmap (DuckDB BIT) of the ordinals in a bucket: bit i set ⇔ ordinal `bucket * BUCKET + i` present (duplicates fold). */
const BITMAP = `bitstring_agg((ordinal & ${BUCKET - 1})::INTEGER, 0, ${BUCKET - 1})`;
/** A bitmap as text ('0'/'1' per ordinal), or NULL when every bit is set (a full bucket needs no detail). */
const bitText = (bitmap: string) => `CASE WHEN bit_count(${bitmap}) < ${BUCKET} THEN ${bitmap}::VARCHAR END`;

/**
 * The five queries of a summary over scope `s`, each with the common table expressions it needs.
 * `withConfig`: some asset was asked with a config hash — only then is the config-changed bitmap
 * aggregated (a third bitmap per bucket), so projects without config pay nothing for it.
 */
const QUERIES = (s: Scope, withConfig: boolean) => ({
  /**
   * Per asset and bucket of ordinals (ascending): its materialized ordinals and the code-changed
   * ones among them, each as (bit count, bitmap text), and the row count — one scan, one small hash aggregate.
   */
  materialized: `
    SELECT a, b, n, bit_count(m) AS mc, ${bitText("m")} AS mt, bit_count(c) AS cc, ${bitText("c")} AS ct,
      ${withConfig ? `bit_count(g) AS gc, ${bitText("g")} AS gt` : "NULL AS gc, NULL AS gt"} FROM (
      SELECT ${s.asset} AS a, ordinal >> ${BUCKET_BITS} AS b, count(*) AS n, ${BITMAP} AS m, ${BITMAP} FILTER (WHERE code_version <> code) AS c
      ${withConfig ? `, ${BITMAP} FILTER (WHERE config_hash <> cfg) AS g` : ""}
      FROM (${s.mine}) WHERE ordinal IS NOT NULL ${s.by("b")}
    ) ORDER BY a, b`,
  /** Failures newer than their partition's latest materialization (or without one); a missing ordinal is taken from it. */
  failed: {
    cte: `f AS (
      SELECT f.asset_key, f.partition_key, coalesce(f.ordinal, l.ordinal) AS ordinal
      FROM latest_failures f LEFT JOIN latest_materializations l ON l.asset_key = f.asset_key AND l.partition_key = f.partition_key
      WHERE ${s.ofAsset("f.asset_key")} AND f.partition_key <> '' AND (l.ts IS NULL OR f.ts > l.ts)
    )`,
    sql: `
      SELECT a, b, NULL AS k, bit_count(bm) AS fc, ${bitText("bm")} AS ft FROM (SELECT ${s.asset} AS a, ordinal >> ${BUCKET_BITS} AS b, ${BITMAP} AS bm FROM f WHERE ordinal IS NOT NULL ${s.by("b")})
      UNION ALL SELECT asset_key, NULL, partition_key, NULL, NULL FROM f WHERE ordinal IS NULL
      ORDER BY a, k NULLS FIRST, b`,
  },
  /** Materialized key-list partitions (no ordinal) and whether their code changed. */
  keyed: `SELECT asset_key, partition_key, code_version <> code, coalesce(config_hash <> cfg, false) FROM (${s.mine}) WHERE ordinal IS NULL AND partition_key <> '' ORDER BY asset_key, partition_key`,
  /** Order-independent content fingerprint per asset (see PartitionSummary.fingerprint). */
  fingerprint: `SELECT ${s.asset}, coalesce(bit_xor(hash(partition_key || '=' || data_version)), 0)::VARCHAR FROM (${s.mine}) WHERE partition_key <> '' ${s.by()}`,
  /** The newest row of each asset (partition "" included; a tie on time: the greatest partition key). */
  last: s.newest,
});

/** Append bucket `b`'s members (count `count`, bitmap text `bits`, NULL when full) to sorted `ranges`, merging neighbours. */
function addBucket(ranges: OrdinalRange[], b: unknown, count: unknown, bits: unknown): void {
  if (count === null || count === undefined) return; // no member in this bucket
  const base = Number(b) * BUCKET;
  const add = (lo: number, hi: number) => {
    const last = ranges[ranges.length - 1];
    if (last && last[1] + 1 >= lo) last[1] = Math.max(last[1], hi);
    else ranges.push([lo, hi]);
  };
  if (bits === null) return add(base, base + BUCKET - 1);
  for (const run of String(bits).matchAll(/1+/g)) add(base + run.index, base + run.index + run[0].length - 1);
}

const emptySummary = (withConfig: boolean): PartitionSummary => ({
  materialized: [], materializedKeys: [], failed: [], failedKeys: [], codeChanged: [], codeChangedKeys: [], materializedCount: 0, fingerprint: "", last: null,
  ...(withConfig ? { configChanged: [], configChangedKeys: [] } : {}),
});

/**
 * The aggregated partition state of each asset against its code version (see PartitionSummary), in
 * one read transaction of five queries whatever the number of assets (five queries per asset cost
 * ~6 ms each time: a minute for a 10,000-long partitioned chain). Time partitions are aggregated
 * per bucket of 1,024 ordinals into bitmaps (exact, duplicates fold, no sort of the partitions; a
 * full bucket comes back as a count only), and islands are merged here from at most one row per
 * bucket: 1,000,000 hourly partitions take ~100 ms with the session (bench/partition-status.bench.ts).
 * Key-list partitions come back as keys. Rows with an ordinal never have partition "" (see storedOrdinal).
 */
export async function selectPartitionSummaries(conn: DuckDBConnection, assets: readonly SummaryRequest[]): Promise<Map<string, PartitionSummary>> {
  const unique = [...new Map(assets.map((a) => [a.assetKey, a])).values()];
  const out = new Map(unique.map((a) => [a.assetKey, emptySummary(typeof a.configHash === "string")]));
  if (unique.length === 0) return out;
  return transaction(conn, async () => {
    // a few assets: each bound as values (its filter pushed into the scan, nothing grouped per asset); measured on
    // 2 × 1,000,000 partitions: 121 ms against 166 ms joined, at the price of 5 statements per asset (~1 ms each on small states)
    if (unique.length <= PER_ASSET_UP_TO) for (const a of unique) await summarizeInto(conn, [a], out);
    else await summarizeInto(conn, unique, out);
    return out;
  });
}

/** Assets summarized one by one (bound as values) up to this many; more: one batch joined with the list. */
const PER_ASSET_UP_TO = 4;

/** The five queries of a summary of `unique` (see selectPartitionSummaries), added into `out`, inside the caller's transaction. */
async function summarizeInto(conn: DuckDBConnection, unique: readonly SummaryRequest[], out: Map<string, PartitionSummary>): Promise<void> {
  const scope = scopeOf(unique);
  const withConfig = unique.some((a) => typeof a.configHash === "string");
  const q = QUERIES(scope, withConfig);
  // the fingerprint (a hash of every row's key and version: the costliest of the five) only for the assets that want it
  const printed = unique.filter((a) => a.fingerprint !== false);
  const printScope = printed.length === unique.length ? scope : scopeOf(printed);
  // bind only the names a statement uses
  const run = (sql: string, cte = "", s = scope) => {
    const ctes = [s.with, cte].filter(Boolean).join(", ");
    const text = `${ctes ? `WITH ${ctes} ` : ""}${sql}`;
    return conn.runAndReadAll(text, Object.fromEntries(Object.entries(s.params).filter(([name]) => text.includes(`$${name}`))));
  };
  const read = async (sql: string, cte = "") => (await run(sql, cte)).getRowsJS();
  // a single asset's rows name it by the bound value: the asset column holds its key either way
  const of = (key: unknown) => out.get(String(key))!;
  for (const [asset, b, n, mc, mt, cc, ct, gc, gt] of await read(q.materialized)) {
    const s = of(asset);
    s.materializedCount += Number(n);
    addBucket(s.materialized, b, mc, mt);
    addBucket(s.codeChanged, b, cc, ct);
    if (s.configChanged) addBucket(s.configChanged, b, gc, gt);
  }
  for (const [asset, b, k, fc, ft] of await read(q.failed.sql, q.failed.cte)) {
    if (k === null) addBucket(of(asset).failed, b, fc, ft);
    else of(asset).failedKeys.push(String(k));
  }
  for (const [asset, k, changed, configChanged] of await read(q.keyed)) {
    const s = of(asset);
    s.materializedKeys.push(String(k));
    s.materializedCount++;
    if (changed === true) s.codeChangedKeys.push(String(k));
    if (configChanged === true) s.configChangedKeys?.push(String(k));
  }
  if (printed.length > 0) {
    const prints = new Map((await run(QUERIES(printScope, withConfig).fingerprint, "", printScope)).getRowsJS().map(([asset, fp]) => [String(asset), String(fp)]));
    for (const { assetKey } of printed) {
      const s = of(assetKey);
      s.fingerprint = `${s.materializedCount}:${prints.get(assetKey) ?? "0"}`;
    }
  }
  for (const r of (await run(q.last.sql, q.last.cte)).getRowObjectsJS() as Row[]) of(r.asset_key).last = toMaterialization(r);
}

/**
 * One asset of a summary: its current code version, the config hash a plain run would record
 * (null: none), and whether its content fingerprint is wanted (default: yes).
 */
export interface SummaryRequest extends SummaryTarget {
  fingerprint?: boolean;
}

/**
 * `partitionSummary` as the store offers it: calls made in the same turn (status asks for every
 * partitioned asset at once) are answered by one `selectPartitionSummaries` — five queries for a
 * 10,000-long partitioned chain instead of five per asset (~6 ms each: a minute). Each caller gets
 * its own copy; an asset asked for against two code versions (or config hashes) goes to two batches.
 */
export function batchSummaries(
  summarize: (assets: SummaryRequest[]) => Promise<Map<string, PartitionSummary>>,
): (assetKey: string, codeVersion: string, options?: SummaryOptions) => Promise<PartitionSummary> {
  let open: { codes: Map<string, SummaryTarget>; printed: Set<string>; result: Promise<Map<string, PartitionSummary>> } | null = null;
  return (assetKey, codeVersion, options) => {
    const configHash = options?.configHash ?? null;
    const seen = open?.codes.get(assetKey);
    if (open && seen && (seen.codeVersion !== codeVersion || (seen.configHash ?? null) !== configHash)) open = null;
    if (!open) {
      const codes = new Map<string, SummaryTarget>();
      const printed = new Set<string>();
      const batch = {
        codes,
        printed,
        result: Promise.resolve().then(() => {
          if (open === batch) open = null;
          return summarize([...codes.values()].map((t) => ({ ...t, fingerprint: printed.has(t.assetKey) })));
        }),
      };
      open = batch;
    }
    open.codes.set(assetKey, { assetKey, codeVersion, configHash });
    if (options?.fingerprint !== false) open.printed.add(assetKey);
    return open.result.then((all) => structuredClone(all.get(assetKey)!));
  };
}

/** Distinct `output_schema` values among the latest materializations of `assetKey`. */
export async function selectLatestSchemas(conn: DuckDBConnection, assetKey: string): Promise<(ColumnSchema[] | null)[]> {
  const found = await rows(conn, "SELECT DISTINCT output_schema FROM latest_materializations WHERE asset_key = ?", [assetKey]);
  return found.map((r) => (r.output_schema === null ? null : (JSON.parse(String(r.output_schema)) as ColumnSchema[])));
}

/** Keys of dynamic partitions `name`, in the order they were added. */
export async function selectDynamicPartitions(conn: DuckDBConnection, name: string): Promise<string[]> {
  const found = await rows(conn, "SELECT partition_key FROM dynamic_partitions WHERE partitions_def = ? ORDER BY seq, added_at", [name]);
  return found.map((r) => String(r.partition_key));
}

/** Add the keys `name` lacks (first occurrence order), numbered after every existing row; returns how many. */
export async function insertDynamicPartitions(conn: DuckDBConnection, name: string, keys: readonly string[], now: number): Promise<number> {
  const unique = [...new Set(keys)];
  if (unique.length === 0) return 0;
  return transaction(conn, async () => {
    const list = stringList(unique);
    const existing = await rows(
      conn,
      "SELECT partition_key FROM dynamic_partitions SEMI JOIN (SELECT unnest(?) AS k) w ON partition_key = w.k WHERE partitions_def = ?",
      [list.value, name],
      [list.type],
    );
    const known = new Set(existing.map((r) => String(r.partition_key)));
    const added = unique.filter((k) => !known.has(k));
    const [top] = await rows(conn, "SELECT coalesce(max(seq), -1) AS seq FROM dynamic_partitions");
    const base = Number(top?.seq ?? -1) + 1;
    // Column order of dynamic_partitions: partitions_def, partition_key, added_at, seq (migration 2).
    await insert(conn, "dynamic_partitions", added.map((k, i) => [name, k, now, base + i]));
    return added.length;
  });
}

/** Remove keys of `name`; returns how many existed. */
export async function deleteDynamicPartitions(conn: DuckDBConnection, name: string, keys: readonly string[]): Promise<number> {
  if (keys.length === 0) return 0;
  const list = stringList([...new Set(keys)]);
  const sql = "DELETE FROM dynamic_partitions WHERE partition_key IN (SELECT unnest(?)) AND partitions_def = ?";
  return (await conn.run(sql, [list.value, name], [list.type])).rowsChanged;
}
