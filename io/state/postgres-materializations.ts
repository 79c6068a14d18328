/**
 * `MaterializationStore` over Postgres: status reads the `latest_*` tables (one row per asset and
 * partition, upserted by the store's `write`, postgres-store.ts), never the history. Partition
 * summaries and staleness are in _pg-partitions.ts. Upserts of latest rows are one
 * `INSERT … ON CONFLICT DO UPDATE … WHERE newer` each: atomic across processes, the newer row wins
 * (a tie: the later write), as in the DuckDB file.
 */
import type { CheckResult, FailureRecord, MaterializationRecord, OutputMtimeRecord } from "../../core/types.ts";
import type { MaterializationStore } from "../../core/state-store.ts";
import { changed, type Columns, insertRows, type Pg, type PgOps, type PgRow } from "./_pg-client.ts";
import { selectPgChangedPartitions, selectPgSummaries } from "./_pg-partitions.ts";
import { batchSummaries } from "./_partitions.ts";
import { newestPerCheck, storedOrdinal } from "./_records.ts";
import { jsonOrNull, jsonText, numberOrNull, toMaterialization } from "./_sql.ts";

/** Columns of `materializations` / `latest_materializations`, in the order of {@link materializationRow}. */
export const MATERIALIZATION_COLUMNS: Columns = [
  ["asset_key", "text"], ["partition_key", "text"], ["run_id", "text"], ["ts", "bigint"], ["data_version", "text"], ["code_version", "text"],
  ["input_versions", "text"], ["path", "text"], ["format", "text"], ["row_count", "bigint"], ["byte_count", "bigint"], ["output_schema", "text"],
  ["metadata", "text"], ["ordinal", "bigint"], ["config_hash", "text"],
];

/** A materialization's column values (JSON encoding fails here, before anything is written). */
export function materializationRow(m: MaterializationRecord): unknown[] {
  return [
    m.assetKey, m.partitionKey, m.runId, m.at, m.dataVersion, m.codeVersion, JSON.stringify(m.inputVersions), m.path, m.format,
    m.rows, m.bytes, jsonText(m.schema), jsonText(m.metadata), storedOrdinal(m), m.configHash ?? null,
  ];
}

/** `ON CONFLICT` clause that keeps the newer row by `ts` (a tie: the incoming one) of a table keyed by `keys`. */
export function newerWins(table: string, keys: readonly string[], columns: Columns): string {
  const set = columns.filter(([c]) => !keys.includes(c)).map(([c]) => `${c} = EXCLUDED.${c}`).join(", ");
  return `ON CONFLICT (${keys.join(", ")}) DO UPDATE SET ${set} WHERE ${table}.ts <= EXCLUDED.ts`;
}

export const CHECK_COLUMNS: Columns = [
  ["run_id", "text"], ["asset_key", "text"], ["partition_key", "text"], ["check_name", "text"], ["ts", "bigint"], ["passed", "boolean"],
  ["severity", "text"], ["metadata", "text"], ["blocking", "boolean"], ["description", "text"], ["sample", "text"], ["error", "text"],
];
export const checkRow = (r: CheckResult): unknown[] => [r.runId, r.assetKey, r.partitionKey, r.checkName, r.at, r.passed, r.severity, jsonText(r.metadata), r.blocking, r.description, jsonText(r.sample), r.error];

const MTIME_COLUMNS: Columns = [["asset_key", "text"], ["partition_key", "text"], ["run_id", "text"], ["ts", "bigint"], ["mtime_ms", "float8"]];

/** The materializations part of a Postgres store (`ops` is shared with its other parts). */
export function postgresMaterializationStore({ op, tx }: PgOps): MaterializationStore {
  return {
    latestMaterializations: (keys, options) =>
      keys?.length === 0 ? Promise.resolve([]) : op("read materializations", async (q) => (await latestOf(q, "latest_materializations", keys, options?.unpartitioned)).map(toMaterialization)),

    latestFailures: (keys, options) =>
      keys?.length === 0 ? Promise.resolve([]) : op("read failures", async (q) => (await latestOf(q, "latest_failures", keys, options?.unpartitioned)).map(toFailureRecord)),

    latestPartitionMaterializations: (assetKey, partitionKeys) =>
      partitionKeys.length === 0
        ? Promise.resolve([])
        : op("read partition materializations", async (q) =>
          (await q.unsafe("SELECT * FROM latest_materializations WHERE asset_key = $1 AND partition_key = ANY($2::text[]) ORDER BY partition_key COLLATE \"C\"", [assetKey, [...new Set(partitionKeys)]])).map(toMaterialization)),

    latestSchemas: (assetKey) =>
      op("read output schemas", async (q) =>
        (await q.unsafe("SELECT DISTINCT output_schema FROM latest_materializations WHERE asset_key = $1", [assetKey])).map((r) => jsonOrNull(r.output_schema))),

    partitionSummary: batchSummaries((assets) => tx("summarize partitions", (q) => selectPgSummaries(q, assets))),

    changedPartitions: (query) => op("compare partitions with their upstream", (q) => selectPgChangedPartitions(q, query)),

    listDynamicPartitions: (name) =>
      op("list dynamic partitions", async (q) => (await q.unsafe("SELECT partition_key FROM dynamic_partitions WHERE partitions_def = $1 ORDER BY seq", [name])).map((r) => String(r.partition_key))),

    addDynamicPartitions: (name, keys, now) =>
      keys.length === 0
        ? Promise.resolve(0)
        : op("add dynamic partitions", (q) =>
          // first-occurrence order kept by WITH ORDINALITY; a key stored meanwhile by another process is skipped, not an error
          q.unsafe(
            `INSERT INTO dynamic_partitions (partitions_def, partition_key, added_at)
             SELECT $1, k, $3 FROM (SELECT k, min(i) AS i FROM unnest($2::text[]) WITH ORDINALITY AS t(k, i) GROUP BY k) s ORDER BY i
             ON CONFLICT DO NOTHING`,
            [name, [...keys], now],
          ).then(changed)),

    removeDynamicPartitions: (name, keys) =>
      keys.length === 0
        ? Promise.resolve(0)
        : op("remove dynamic partitions", async (q) => changed(await q.unsafe("DELETE FROM dynamic_partitions WHERE partitions_def = $1 AND partition_key = ANY($2::text[])", [name, [...new Set(keys)]]))),

    recordCheckResults: (results) => {
      if (results.length === 0) return Promise.resolve();
      let all: unknown[][];
      let latest: unknown[][];
      try {
        all = results.map(checkRow); // JSON encoding fails here, before anything is written
        latest = newestPerCheck(results).map(checkRow);
      } catch (error) {
        return op("record check results", () => Promise.reject(error));
      }
      return tx("record check results", (q) => insertCheckRows(q, all, latest));
    },

    latestCheckResults: (keys, options) =>
      keys?.length === 0
        ? Promise.resolve([])
        : op("read check results", async (q) => {
          const failing = options?.blockingFailures ? " AND NOT passed AND blocking AND severity = 'error'" : "";
          const order = " ORDER BY asset_key COLLATE \"C\", partition_key COLLATE \"C\", check_name COLLATE \"C\"";
          const found = keys
            ? await q.unsafe(`SELECT * FROM latest_check_results WHERE asset_key = ANY($1::text[])${failing}${order}`, [[...new Set(keys)]])
            : await q.unsafe(`SELECT * FROM latest_check_results WHERE TRUE${failing}${order}`);
          return found.map(toCheckResult);
        }),

    confirmedMtimes: (keys) =>
      keys?.length === 0
        ? Promise.resolve([])
        : op("read confirmed mtimes", async (q) => {
          const order = " ORDER BY asset_key COLLATE \"C\", partition_key COLLATE \"C\"";
          const found = keys ? await q.unsafe(`SELECT * FROM output_mtimes WHERE asset_key = ANY($1::text[])${order}`, [[...new Set(keys)]]) : await q.unsafe(`SELECT * FROM output_mtimes${order}`);
          return found.map((r): OutputMtimeRecord => ({ assetKey: String(r.asset_key), partitionKey: String(r.partition_key), runId: String(r.run_id), at: Number(r.ts), mtimeMs: Number(r.mtime_ms) }));
        }),

    confirmMtimes: (records) => {
      if (records.length === 0) return Promise.resolve();
      const newest = new Map(records.map((r) => [`${r.assetKey}\u0000${r.partitionKey}`, r]));
      for (const r of records) {
        const k = `${r.assetKey}\u0000${r.partitionKey}`;
        if (r.at >= newest.get(k)!.at) newest.set(k, r);
      }
      const values = [...newest.values()].map((r) => [r.assetKey, r.partitionKey, r.runId, r.at, r.mtimeMs]);
      return op("record confirmed mtimes", async (q) => {
        await insertRows(q, "output_mtimes", MTIME_COLUMNS, values, newerWins("output_mtimes", ["asset_key", "partition_key"], MTIME_COLUMNS));
      });
    },

    materializationHistory: (assetKey, limit) =>
      op("read the materialization history", async (q) =>
        (await q.unsafe("SELECT * FROM materializations WHERE asset_key = $1 ORDER BY ts DESC, id DESC LIMIT $2", [assetKey, limit])).map(toMaterialization)),

    checkHistory: (assetKey, limit) =>
      op("read the check history", async (q) => (await q.unsafe("SELECT * FROM check_results WHERE asset_key = $1 ORDER BY ts DESC LIMIT $2", [assetKey, limit])).map(toCheckResult)),

    supersededOutputs: (pathPrefix) =>
      op("read superseded outputs", async (q) =>
        (await q.unsafe("SELECT * FROM materializations m WHERE starts_with(m.path, $1) AND NOT EXISTS (SELECT 1 FROM latest_materializations l WHERE l.path = m.path) ORDER BY m.ts, m.id", [pathPrefix])).map(toMaterialization)),

    wipe: (keys, partitionKeys) =>
      keys.length === 0 || partitionKeys?.length === 0
        ? Promise.resolve(0)
        : tx("wipe materializations", async (q) => {
          const values: unknown[] = [[...new Set(keys)]];
          if (partitionKeys) values.push([...new Set(partitionKeys)]);
          const where = `WHERE asset_key = ANY($1::text[])${partitionKeys ? " AND partition_key = ANY($2::text[])" : ""}`;
          const gone = changed(await q.unsafe(`DELETE FROM materializations ${where}`, values));
          for (const table of ["latest_materializations", "latest_failures", "latest_check_results", "output_mtimes"]) await q.unsafe(`DELETE FROM ${table} ${where}`, values);
          return gone;
        }),
  };
}

/** Rows of a latest_* table for some assets (all when `keys` is omitted), by asset and partition. */
function latestOf(q: Pg, table: string, keys: readonly string[] | undefined, unpartitioned = false): Promise<PgRow[]> {
  const order = " ORDER BY asset_key COLLATE \"C\", partition_key COLLATE \"C\"";
  const only = unpartitioned ? "partition_key = ''" : "TRUE";
  if (!keys) return q.unsafe(`SELECT * FROM ${table} WHERE ${only}${order}`);
  return q.unsafe(`SELECT * FROM ${table} WHERE ${only} AND asset_key = ANY($1::text[])${order}`, [[...new Set(keys)]]);
}

function toFailureRecord(r: PgRow): FailureRecord {
  const failure: FailureRecord = { assetKey: String(r.asset_key), partitionKey: String(r.partition_key), runId: String(r.run_id), at: Number(r.ts), error: String(r.error) };
  const ordinal = numberOrNull(r.ordinal);
  if (ordinal !== null) failure.ordinal = ordinal;
  return failure;
}

function toCheckResult(r: PgRow): CheckResult {
  return {
    runId: String(r.run_id), assetKey: String(r.asset_key), partitionKey: String(r.partition_key), checkName: String(r.check_name), at: Number(r.ts),
    passed: Boolean(r.passed), severity: String(r.severity) as CheckResult["severity"], blocking: Boolean(r.blocking),
    description: r.description === null || r.description === undefined ? null : String(r.description),
    metadata: jsonOrNull<Record<string, unknown>>(r.metadata) ?? {}, sample: jsonOrNull(r.sample),
    error: r.error === null || r.error === undefined ? null : String(r.error),
  };
}

/** Check result rows (`checkRow`) and the newest per check, inside the caller's transaction. */
export async function insertCheckRows(q: Pg, all: readonly unknown[][], latest: readonly unknown[][]): Promise<void> {
  await insertRows(q, "check_results", CHECK_COLUMNS, all);
  await insertRows(q, "latest_check_results", CHECK_COLUMNS, latest, newerWins("latest_check_results", ["asset_key", "partition_key", "check_name"], CHECK_COLUMNS));
}
