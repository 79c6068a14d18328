import { describe, expect, test } from "bun:test";
import { asset } from "../../core/asset.ts";
import { DagxError } from "../../core/errors.ts";
import { buildGraph, resolveDefinitions } from "../../core/graph.ts";
import { createPartitionSpace, daily, IndexSet, monthly, PartitionRangeError, type PartitionSpace } from "../../core/partitions/index.ts";
import type { AssetPartitions, PartitionStatusInfo } from "../../core/status/index.ts";
import { partitionTargets, resolveAcross, type TargetingInput } from "../../core/targeting.ts";

const NOW = Date.UTC(2024, 3, 1);
const days = daily({ start: "2024-01-01" });
const months = monthly({ start: "2024-01" });
const exports = {
  d: asset({ partitions: days }, () => 1),
  m: asset({ partitions: months, backfill: "single-run" }, () => 1),
  plain: asset(() => 1),
};
const graph = buildGraph(resolveDefinitions("/p", Object.entries(exports).map(([exportName, def]) => ({ file: "/p/x.asset.ts", exportName, def })), [], () => "v1", 1));
const stateOf = (space: PartitionSpace, materialized = IndexSet.EMPTY, failed = IndexSet.EMPTY): AssetPartitions => ({ space, materialized, failed, codeChanged: IndexSet.EMPTY, last: null, fingerprint: "" });
const parts = new Map([
  ["d", stateOf(createPartitionSpace(days, { now: NOW }), IndexSet.range(0, 60), IndexSet.of(70))],
  ["m", stateOf(createPartitionSpace(months, { now: NOW }))],
]);
const input = (o: Partial<TargetingInput>): TargetingInput => ({
  graph, parts, selected: new Set(["d", "m", "plain"]), stale: false, partitionStatuses: new Map(), asOfSpaces: null, backfill: false, ...o,
});
const sizes = (t: ReadonlyMap<string, IndexSet>) => Object.fromEntries([...t].map(([k, s]) => [k, s.size]));

describe("partitionTargets()", () => {
  test("one range applies to each asset by its own granularity: 2024-01..2024-03 is 91 days and 3 months", () => {
    expect(sizes(partitionTargets(input({ partitionSelection: "2024-01..2024-03" })).targets)).toEqual({ d: 91, m: 3 });
  });

  test("a range partly outside one definition is clipped to it; one that fits none is the error", () => {
    expect(sizes(partitionTargets(input({ partitionSelection: "2024-01-05" })).targets)).toEqual({ d: 1, m: 1 });
    expect(sizes(partitionTargets(input({ partitionSelection: "2023-12-20..2024-01-02" })).targets)).toEqual({ d: 2, m: 1 });
    expect(() => partitionTargets(input({ partitionSelection: "2023-01-05" }))).toThrow(PartitionRangeError);
  });

  test("--partition naming several partitions of an asset is refused with an example key", () => {
    expect(() => partitionTargets(input({ partitionSelection: "2024-02", singlePartition: true }))).toThrow('--partition 2024-02 names 29 partitions of "d" (daily(start=2024-01-01)), not one: give a whole key like "2024-02-01", or use --partitions for a range');
  });

  test("--stale targets missing, failed and stale partitions from the partition statuses (state sets without them)", () => {
    const ps = { missing: IndexSet.of(1), failed: IndexSet.of(2), stale: IndexSet.of(3) } as PartitionStatusInfo;
    const t = partitionTargets(input({ stale: true, partitionStatuses: new Map([["d", ps]]) })).targets;
    expect([...t.get("d")!]).toEqual([1, 2, 3]);
    expect(t.get("m")!.size).toBe(3);
  });

  test("exact keys of a resumed backfill; single-run assets only in a backfill", () => {
    const explicitPartitions = new Map([["d", ["2024-01-02", "nope"]]]);
    const p = partitionTargets(input({ explicitPartitions, backfill: true }));
    expect([...p.targets.get("d")!]).toEqual([1]);
    expect([...p.singleRun]).toEqual(["m"]);
    expect([...partitionTargets(input({ explicitPartitions })).singleRun]).toEqual([]);
  });

  test("without a selection a partitioned asset is refused with the fix", () => {
    expect(() => partitionTargets(input({}))).toThrow(DagxError);
    expect(() => partitionTargets(input({}))).toThrow('Asset "d" is partitioned (daily(start=2024-01-01)): pass --partition KEY or --partitions RANGE');
    expect(partitionTargets(input({ selected: new Set(["plain"]) })).targets.size).toBe(0);
  });

  test("at a schedule tick, 'latest' is the newest window then", () => {
    const then = new Map([["d", createPartitionSpace(days, { now: Date.UTC(2024, 0, 11) })]]);
    const t = partitionTargets(input({ selected: new Set(["d"]), partitionSelection: "latest", asOfSpaces: then })).targets;
    expect([...t.get("d")!]).toEqual([9]);
  });
});

describe("resolveAcross()", () => {
  test("with clip, a range partly outside an asset's definition names the part inside; without, none of it", () => {
    const later = new Map([...parts, ["d10", stateOf(createPartitionSpace(daily({ start: "2024-01-10" }), { now: NOW }))]]);
    expect(sizes(resolveAcross("2024-01-01..2024-01-20", later, { clip: true }))).toEqual({ d: 20, m: 1, d10: 11 });
    expect(sizes(resolveAcross("2024-01-01..2024-01-20", later, { clip: false }))).toEqual({ d: 20, m: 1, d10: 0 });
  });
});
