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
import type { ColumnSchema, MaterializationRecord, OrdinalRange, PartitionSummary } from "../../core/types.ts";
import { insert, rows, stringList, toMaterialization, transaction } from "./_sql.ts";

/** Latest materializations of `partitionKeys` of `assetKey`, by partition key (one bound list parameter). */
export async function selectPartitionMaterializations(
  conn: DuckDBConnection,
  assetKey: string,
  partitionKeys: readonly string[],
): Promise<MaterializationRecord[]> {
  if (partitionKeys.length === 0) return [];
  const list = stringList([...new Set(partitionKeys)]);
  const sql = `SELECT l.* FROM latest_materializations l SEMI JOIN (SELECT unnest(?) AS k) w ON l.partition_key = w.k
    WHERE l.asset_key = ? ORDER BY l.partition_key`;
  return (await rows(conn, sql, [list.value, assetKey], [list.type])).map(toMaterialization);
}

/** Latest rows of the asset `$asset` (one per partition). */
const MINE = "SELECT * FROM latest_materializations WHERE asset_key = $asset";

/** Ordinals are grouped in buckets of 2^BUCKET_BITS; each bucket's members come back as one bitmap. */
const BUCKET_BITS = 10;
const BUCKET = 2 ** BUCKET_BITS;
/** Bitmap (DuckDB BIT) of the ordinals in a bucket: bit i set ⇔ ordinal `bucket * BUCKET + i` present (duplicates fold). */
const BITMAP = `bitstring_agg((ordinal & ${BUCKET - 1})::INTEGER, 0, ${BUCKET - 1})`;
/** A bitmap as text ('0'/'1' per ordinal), or NULL when every bit is set (a full bucket needs no detail). */
const bitText = (bitmap: string) => `CASE WHEN bit_count(${bitmap}) < ${BUCKET} THEN ${bitmap}::VARCHAR END`;

/**
 * Per bucket of ordinals (ascending): its materialized ordinals and the code-changed ones among them,
 * each as (bit count, bitmap text), and the row count — one scan, one small hash aggregate.
 */
const MATERIALIZED = `
  SELECT b, n, bit_count(m) AS mc, ${bitText("m")} AS mt, bit_count(c) AS cc, ${bitText("c")} AS ct FROM (
    SELECT ordinal >> ${BUCKET_BITS} AS b, count(*) AS n, ${BITMAP} AS m, ${BITMAP} FILTER (WHERE code_version <> $code) AS c
    FROM latest_materializations WHERE asset_key = $asset AND ordinal IS NOT NULL GROUP BY b
  ) ORDER BY b`;

/** Failures newer than their partition's latest materialization (or without one); a missing ordinal is taken from it. */
const FAILED = `
  WITH f AS (
    SELECT f.partition_key, coalesce(f.ordinal, l.ordinal) AS ordinal
    FROM latest_failures f LEFT JOIN (SELECT partition_key, ts, ordinal FROM (${MINE})) l ON l.partition_key = f.partition_key
    WHERE f.asset_key = $asset AND f.partition_key <> '' AND (l.ts IS NULL OR f.ts > l.ts)
  )
  SELECT b, NULL AS k, bit_count(bm) AS fc, ${bitText("bm")} AS ft FROM (SELECT ordinal >> ${BUCKET_BITS} AS b, ${BITMAP} AS bm FROM f WHERE ordinal IS NOT NULL GROUP BY b)
  UNION ALL SELECT NULL, partition_key, NULL, NULL FROM f WHERE ordinal IS NULL
  ORDER BY k NULLS FIRST, b`;

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

/**
 * The aggregated partition state of `assetKey` against `codeVersion` (see PartitionSummary), in
 * one read transaction of four queries. Time partitions are aggregated per bucket of 1,024
 * ordinals into bitmaps (exact, duplicates fold, no sort of the partitions; a full bucket comes
 * back as a count only), and islands are merged here from at most one row per bucket: 1,000,000
 * hourly partitions take ~100 ms with the session (bench/partition-status.bench.ts). Key-list
 * partitions come back as keys. Rows with an ordinal never have partition "" (see storedOrdinal).
 */
export async function selectPartitionSummary(conn: DuckDBConnection, assetKey: string, codeVersion: string): Promise<PartitionSummary> {
  return transaction(conn, async () => {
    const params: Record<string, string> = { asset: assetKey, code: codeVersion };
    // Bind only the names a statement uses.
    const query = async (sql: string) =>
      (await conn.runAndReadAll(sql, Object.fromEntries(Object.entries(params).filter(([name]) => sql.includes(`$${name}`))))).getRowsJS();
    const summary: PartitionSummary = {
      materialized: [], materializedKeys: [], failed: [], failedKeys: [], codeChanged: [], codeChangedKeys: [], materializedCount: 0, fingerprint: "", last: null,
    };
    for (const [b, n, mc, mt, cc, ct] of await query(MATERIALIZED)) {
      summary.materializedCount += Number(n);
      addBucket(summary.materialized, b, mc, mt);
      addBucket(summary.codeChanged, b, cc, ct);
    }
    for (const [b, k, fc, ft] of await query(FAILED)) {
      if (k === null) addBucket(summary.failed, b, fc, ft);
      else summary.failedKeys.push(String(k));
    }
    const keyed = await query(`SELECT partition_key, code_version <> $code FROM (${MINE}) WHERE ordinal IS NULL AND partition_key <> '' ORDER BY partition_key`);
    for (const [k, changed] of keyed) {
      summary.materializedKeys.push(String(k));
      if (changed === true) summary.codeChangedKeys.push(String(k));
    }
    summary.materializedCount += keyed.length;
    const [fp] = await query(`SELECT coalesce(bit_xor(hash(partition_key || '=' || data_version)), 0)::VARCHAR FROM latest_materializations WHERE asset_key = $asset AND partition_key <> ''`);
    summary.fingerprint = `${summary.materializedCount}:${String(fp?.[0] ?? "0")}`;
    const [last] = await rows(conn, "SELECT * FROM latest_materializations WHERE asset_key = ? ORDER BY ts DESC, partition_key DESC LIMIT 1", [assetKey]);
    summary.last = last ? toMaterialization(last) : null;
    return summary;
  });
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
