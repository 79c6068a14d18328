/**
 * Inputs from partitioned upstreams: a step reads exactly the upstream partitions its mapping
 * names (only those materialized), so the SQL reference covers only their files. An unpartitioned
 * downstream (or an `allPartitions()` mapping) reads every partition state says is materialized
 * — the exact files, never a glob that would also see wiped or removed partitions left on disk.
 * Partition columns come from the keys (io/parquet-source.ts).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { DuckDBConnection } from "@duckdb/node-api";
import type { LoadedAsset } from "../../core/definitions.ts";
import { mappingOf, type ProjectGraph } from "../../core/graph.ts";
import { IndexSet, mapToUpstream, partitionSegments, type PartitionSpace } from "../../core/partitions/index.ts";
import type { ColumnSchema, MaterializationRecord } from "../../core/types.ts";
import { hashText } from "../storage/index.ts";
import { emptyTableHandle, tableHandle } from "./inputs.ts";
import { keyColumns, partitionFilesSql } from "../tabular/index.ts";
import type { AssetPartitions } from "../status/index.ts";
import { outputRelPath, type Storage } from "../storage/index.ts";

export interface PartitionInputContext {
  storage: Storage;
  graph: ProjectGraph;
  partitions: ReadonlyMap<string, AssetPartitions>;
  /** Records of partitions materialized in this run, per asset. */
  inRun: ReadonlyMap<string, ReadonlyMap<string, MaterializationRecord>>;
  /** Latest records of specific partitions (cached by the caller). */
  load(assetKey: string, partitionKeys: readonly string[]): Promise<Map<string, MaterializationRecord>>;
  /** The all-partitions version of an asset as state sees it now, this run's writes included. */
  wholeVersion(assetKey: string): Promise<string>;
  /** Distinct stored schemas of an asset's latest materializations (StateStore.latestSchemas). */
  schemas(assetKey: string): Promise<(ColumnSchema[] | null)[]>;
}

export interface ResolvedInput {
  value: unknown;
  version: string;
}

/** The handle (or value) and the input version of partitioned upstream `up` for a step of `down`. */
export async function partitionedInput(
  c: PartitionInputContext,
  down: LoadedAsset,
  downKeys: readonly string[] | null,
  up: LoadedAsset,
  conn: () => Promise<DuckDBConnection>,
  /** Only the version (no handle, no JSON read): a single-run step records one per partition. */
  versionOnly = false,
): Promise<ResolvedInput> {
  const u = c.partitions.get(up.key)!;
  const run = c.inRun.get(up.key);
  // Of `candidates`, those materialized before the run or in it. Only the cheaper side of
  // (candidates, partitions done in this run) is converted: converting every key done in the run
  // on every step made a backfill quadratic in its partitions.
  const available = (candidates: IndexSet): IndexSet => {
    const stored = candidates.intersect(u.materialized);
    if (!run || run.size === 0) return stored;
    const inRun = candidates.size <= run.size
      ? IndexSet.fromIndices([...candidates].filter((i) => run.has(u.space.keyAt(i))))
      : IndexSet.fromIndices([...run.keys()].map((k) => u.space.indexOf(k)).filter((i) => i >= 0)).intersect(candidates);
    return stored.union(inRun);
  };
  const mapping = mappingOf(down, up);
  const downParts = c.partitions.get(down.key);
  // every materialized partition (allPartitions(), or an unpartitioned reader without lastPartition()):
  // versioned by the state's content fingerprint, as status computes it
  const readsWhole = mapping.kind === "all" || ((!downParts || !downKeys) && mapping.kind !== "last");
  if (readsWhole) {
    if (versionOnly) return { value: undefined, version: await c.wholeVersion(up.key) };
    const whole = await wholeAsset(c, up, u, run, conn);
    if (whole) return { value: whole.value, version: await c.wholeVersion(up.key) };
  }
  const selected = downParts && downKeys ? IndexSet.fromIndices(downKeys.map((k) => downParts.space.indexOf(k)).filter((i) => i >= 0)) : IndexSet.EMPTY;
  const needed = available(mapToUpstream(mapping, downParts && downKeys ? downParts.space : null, u.space, selected));
  const keys = [...needed].map((i) => u.space.keyAt(i));
  const loaded = await c.load(up.key, keys.filter((k) => !run?.has(k)));
  const records = keys.map((k) => run?.get(k) ?? loaded.get(k)).filter((r): r is MaterializationRecord => r !== undefined);
  const version = readsWhole
    ? await c.wholeVersion(up.key)
    : records.length === 1
      ? records[0]!.dataVersion
      : hashText(records.map((r) => `${r.partitionKey}=${r.dataVersion}`).join("\n"));
  if (versionOnly) return { value: undefined, version };
  const format = records[0]?.format ?? u.last?.format ?? "parquet";
  if (format === "json") {
    const values = records.map((r) => [r.partitionKey, JSON.parse(readFileSync(join(c.storage.dataRoot, r.path), "utf8"))] as const);
    return { value: values.length === 1 ? values[0]![1] : Object.fromEntries(values), version };
  }
  if (format === "none") return { value: undefined, version };
  // a mapping may name no existing partition (the day before the first, an unlisted static key):
  // the input is then an empty table with the upstream's columns, not an error
  if (records.length === 0) return { value: emptyTableHandle(up.key, [...(u.last?.schema ?? []), ...u.space.dimensions.map((d) => ({ name: d.name, type: "VARCHAR" }))], conn), version };
  const files = records.map((r) => join(c.storage.dataRoot, r.path));
  const src = { files, dims: dimNames(u.space), keyOf: (i: number) => keyColumns(u.space, records[i]!.partitionKey).values, schemas: records.map((r) => r.schema) };
  return { value: tableHandle(up.key, files, await partitionFilesSql(src, conn), conn), version };
}

const dimNames = (space: PartitionSpace) => space.dimensions.map((d) => d.name);

/**
 * Every materialized partition of a tabular upstream, this run's included: the exact files of the
 * keys state knows in the current space (a dynamic key removed since is not read, nor is a wiped
 * partition whose file stayed). Null for JSON upstreams: they are loaded partition by partition.
 */
async function wholeAsset(
  c: PartitionInputContext,
  up: LoadedAsset,
  u: AssetPartitions,
  run: ReadonlyMap<string, MaterializationRecord> | undefined,
  conn: () => Promise<DuckDBConnection>,
): Promise<{ value: unknown } | null> {
  const inRun = [...(run?.values() ?? [])];
  const format = inRun[0]?.format ?? u.last?.format;
  if (format === "json") return null;
  if (format === "none") return { value: undefined };
  const indices = inRun.length ? u.materialized.union(IndexSet.fromIndices(inRun.map((r) => u.space.indexOf(r.partitionKey)).filter((i) => i >= 0))) : u.materialized;
  const dims = dimNames(u.space);
  if (indices.size === 0) return { value: emptyTableHandle(up.key, [...(u.last?.schema ?? []), ...dims.map((name) => ({ name, type: "VARCHAR" }))], conn) };
  const keys = [...indices].map((i) => u.space.keyAt(i));
  const files = keys.map((k) => join(c.storage.dataRoot, outputRelPath(up.key, "parquet", partitionSegments(u.space, k))));
  // one schema across every latest row (a superset of these partitions) is theirs; otherwise DuckDB
  // binds the union of the files' columns
  const stored = [...new Map([...(await c.schemas(up.key)), ...inRun.map((r) => r.schema)].map((s) => [JSON.stringify(s), s])).values()];
  const schemas = stored.length === 1 ? stored : [null];
  const sql = await partitionFilesSql({ files, dims, keyOf: (i) => keyColumns(u.space, keys[i]!).values, schemas }, conn);
  return { value: tableHandle(up.key, files, sql, conn) };
}
