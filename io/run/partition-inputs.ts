/**
 * Inputs from partitioned upstreams: a step reads exactly the upstream partitions its mapping
 * names (only those materialized), so the SQL reference covers only their files. An unpartitioned
 * downstream (or an `allPartitions()` mapping) reads every partition state says is materialized
 * — the exact files, never a glob that would also see wiped or removed partitions left on disk.
 * What is read is described for the IO manager that stored it (core/io-manager.ts StoredInput),
 * which loads it: Parquet adds partition columns from the keys (io/tabular/parquet-source.ts).
 */
import type { LoadedAsset } from "../../core/definitions.ts";
import { mappingOf, type ProjectGraph } from "../../core/graph.ts";
import { NO_OUTPUT, type StoredInput } from "../../core/io-manager.ts";
import { IndexSet, mapToUpstream, partitionSegments, type PartitionSpace } from "../../core/partitions/index.ts";
import { partitionsReadVersion } from "../../core/status/index.ts";
import type { ColumnSchema, MaterializationRecord } from "../../core/types.ts";
import { hashText } from "../storage/index.ts";
import { keyColumns } from "../tabular/index.ts";
import type { AssetPartitions } from "../status/index.ts";
import { outputRelPath } from "../storage/index.ts";

export interface PartitionInputContext {
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
  /** Locations come from records only (workers write attempt-named files: core/attempt-outputs.ts). */
  recordedLocations?: boolean;
}

export interface ResolvedInput {
  /** The input version: the data version read, or a hash of the partitions' versions. */
  version: string;
  /** The IO manager (format) that stored what is read; "none" for a side-effect upstream. */
  format: string;
  /** What is read, for that IO manager's loadInput; null when only the version was asked for. */
  stored: StoredInput | null;
}

/** The stored outputs `records` of asset `assetKey` as an IO manager reads them. */
export function recordsInput(assetKey: string, records: readonly MaterializationRecord[], space: PartitionSpace | null, columns: readonly ColumnSchema[] | null): StoredInput {
  return {
    assetKey,
    locations: records.map((r) => r.path),
    partitionKeys: records.map((r) => r.partitionKey),
    dimensions: space ? dimNames(space) : [],
    keyValues: (i) => (space ? keyColumns(space, records[i]!.partitionKey).values : []),
    schemas: records.map((r) => r.schema),
    columns,
  };
}

/** What partitioned upstream `up` gives a step of `down` (for its IO manager to load), and the input version. */
export async function partitionedInput(
  c: PartitionInputContext,
  down: LoadedAsset,
  downKeys: readonly string[] | null,
  up: LoadedAsset,
  /** Only the version (nothing to load): a single-run step records one per partition. */
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
    if (versionOnly) return { version: await c.wholeVersion(up.key), format: "", stored: null };
    const whole = await wholeAsset(c, up, u, run);
    if (whole) return { ...whole, version: await c.wholeVersion(up.key) };
  }
  const selected = downParts && downKeys ? IndexSet.fromIndices(downKeys.map((k) => downParts.space.indexOf(k)).filter((i) => i >= 0)) : IndexSet.EMPTY;
  const needed = available(mapToUpstream(mapping, downParts && downKeys ? downParts.space : null, u.space, selected));
  const keys = [...needed].map((i) => u.space.keyAt(i));
  const loaded = await c.load(up.key, keys.filter((k) => !run?.has(k)));
  const records = keys.map((k) => run?.get(k) ?? loaded.get(k)).filter((r): r is MaterializationRecord => r !== undefined);
  const version = readsWhole ? await c.wholeVersion(up.key) : partitionsReadVersion(records, hashText);
  if (versionOnly) return { version, format: "", stored: null };
  // a mapping may name no stored partition (the day before the first, an unlisted static key): the
  // IO manager gets no location (Parquet: an empty table with the upstream's columns, not an error)
  const format = records[0]?.format ?? u.last?.format ?? "parquet";
  return { version, format, stored: recordsInput(up.key, records, u.space, u.last?.schema ?? null) };
}

const dimNames = (space: PartitionSpace) => space.dimensions.map((d) => d.name);

/**
 * Every materialized partition of a Parquet upstream, this run's included: the exact files of the
 * keys state knows in the current space (a dynamic key removed since is not read, nor is a wiped
 * partition whose file stayed), their locations computed from the keys — no state row per
 * partition. Null for other formats: they are read from their records, partition by partition.
 */
async function wholeAsset(
  c: PartitionInputContext,
  up: LoadedAsset,
  u: AssetPartitions,
  run: ReadonlyMap<string, MaterializationRecord> | undefined,
): Promise<Omit<ResolvedInput, "version"> | null> {
  const inRun = [...(run?.values() ?? [])];
  const format = inRun[0]?.format ?? u.last?.format ?? "parquet";
  if (format === NO_OUTPUT) return { format, stored: null };
  if (format !== "parquet" || c.recordedLocations) return null;
  const indices = inRun.length ? u.materialized.union(IndexSet.fromIndices(inRun.map((r) => u.space.indexOf(r.partitionKey)).filter((i) => i >= 0))) : u.materialized;
  const keys = [...indices].map((i) => u.space.keyAt(i));
  // one schema across every latest row (a superset of these partitions) is theirs; otherwise DuckDB
  // binds the union of the files' columns
  const distinct = keys.length ? [...new Map([...(await c.schemas(up.key)), ...inRun.map((r) => r.schema)].map((s) => [JSON.stringify(s), s])).values()] : [];
  const stored: StoredInput = {
    assetKey: up.key,
    locations: keys.map((k) => outputRelPath(up.key, "parquet", partitionSegments(u.space, k))),
    partitionKeys: keys,
    dimensions: dimNames(u.space),
    keyValues: (i) => keyColumns(u.space, keys[i]!).values,
    schemas: distinct.length === 1 ? distinct : [null],
    columns: u.last?.schema ?? null,
  };
  return { format, stored };
}
