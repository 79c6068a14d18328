/**
 * `MaterializationStore` contract, partition part: ordinals, latestPartitionMaterializations,
 * partitionSummary and dynamic partitions. Registered by `testMaterializationStore`
 * (materializations.contract.ts), so it runs against every implementation.
 */
import { expect, test } from "bun:test";
import type { EventRecord, PartitionSummary } from "../../../core/types.ts";
import { makeMaterialization, type MaterializationStoreFixture } from "./materializations.contract.ts";
import { makeEvent } from "./runs.contract.ts";

const EMPTY: PartitionSummary = {
  materialized: [], materializedKeys: [], failed: [], failedKeys: [], codeChanged: [], codeChangedKeys: [], materializedCount: 0, fingerprint: expect.any(String) as unknown as string, last: null,
};

/** A step_failed event of `assetKey`/`partitionKey` at `at`, with `payload.ordinal` when given. */
function failed(seq: number, assetKey: string, partitionKey: string, at: number, ordinal?: unknown): EventRecord {
  const payload: Record<string, unknown> = { error: `boom ${seq}` };
  if (ordinal !== undefined) payload.ordinal = ordinal;
  return makeEvent("r1", seq, { type: "step_failed", assetKey, partitionKey, at, payload });
}

/** Hourly-looking materializations of `assetKey` for each ordinal (key `h<ordinal>`). */
const hours = (assetKey: string, ordinals: readonly number[], patch: { at?: number; codeVersion?: string } = {}) =>
  ordinals.map((o) => makeMaterialization(assetKey, { partitionKey: `h${o}`, ordinal: o, ...patch }));

/** Register the partition tests; `fresh` returns a new empty store closed after the test. */
export function partitionContractTests(fresh: () => Promise<MaterializationStoreFixture>): void {
  test("partitionSummary() fingerprint changes exactly when some partition's data version does", async () => {
    const store = await fresh();
    const fp = async () => (await store.partitionSummary("a", "cv1")).fingerprint;
    const empty = await fp();
    await store.write({ materializations: [makeMaterialization("a", { partitionKey: "p1", ordinal: 1, dataVersion: "x", at: 1 }), makeMaterialization("a", { partitionKey: "p2", ordinal: 2, dataVersion: "y", at: 2 })] });
    const two = await fp();
    expect(two).not.toBe(empty);
    await store.write({ materializations: [makeMaterialization("a", { partitionKey: "p1", ordinal: 1, dataVersion: "x", at: 9 })] });
    expect(await fp()).toBe(two);
    await store.write({ materializations: [makeMaterialization("a", { partitionKey: "p2", ordinal: 2, dataVersion: "z", at: 10 })] });
    expect(await fp()).not.toBe(two);
  });

  test("partitionSummary(…, { fingerprint: false }) may leave the fingerprint out, and never gives another one; the rest is the same", async () => {
    const store = await fresh();
    await store.write({ materializations: [makeMaterialization("a", { partitionKey: "p1", ordinal: 1, dataVersion: "x", at: 1 })] });
    const full = await store.partitionSummary("a", "cv1");
    const bare = await store.partitionSummary("a", "cv1", { fingerprint: false });
    expect(["", full.fingerprint]).toContain(bare.fingerprint);
    expect({ ...bare, fingerprint: full.fingerprint }).toEqual(full);
    // asked in one turn with and without: the one who wants it gets it
    const [a, b] = await Promise.all([store.partitionSummary("a", "cv1", { fingerprint: false }), store.partitionSummary("a", "cv1")]);
    expect(b.fingerprint).toBe(full.fingerprint);
    expect(["", full.fingerprint]).toContain(a.fingerprint);
  });

  test("latestSchemas() lists the distinct stored schemas of an asset's latest materializations", async () => {
    const store = await fresh();
    expect(await store.latestSchemas("a")).toEqual([]);
    const s1 = [{ name: "id", type: "BIGINT" }];
    const s2 = [{ name: "id", type: "BIGINT" }, { name: "date", type: "TIMESTAMP" }];
    await store.write({
      materializations: [
        makeMaterialization("a", { partitionKey: "p1", ordinal: 1, schema: s1, at: 1 }),
        makeMaterialization("a", { partitionKey: "p2", ordinal: 2, schema: s1, at: 2 }),
        makeMaterialization("b", { partitionKey: "p1", ordinal: 1, schema: s2, at: 3 }),
      ],
    });
    expect(await store.latestSchemas("a")).toEqual([s1]);
    // a newer materialization of p2 replaces its schema: only latest rows count
    await store.write({ materializations: [makeMaterialization("a", { partitionKey: "p2", ordinal: 2, schema: s2, at: 4 })] });
    const got = await store.latestSchemas("a");
    expect(got.map((s) => JSON.stringify(s)).sort()).toEqual([JSON.stringify(s1), JSON.stringify(s2)].sort());
    await store.write({ materializations: [makeMaterialization("a", { partitionKey: "p1", ordinal: 1, schema: s2, at: 5 })] });
    expect(await store.latestSchemas("a")).toEqual([s2]);
  });

  test("write() keeps ordinals of partitioned materializations and of failures (payload.ordinal)", async () => {
    const store = await fresh();
    await store.write({
      materializations: [makeMaterialization("a", { partitionKey: "p1", ordinal: 7 }), makeMaterialization("a", { ordinal: 3 }), makeMaterialization("a", { partitionKey: "p2", ordinal: null })],
      events: [failed(1, "b", "p1", 10, 42), failed(2, "b", "p2", 10, "not a number"), failed(3, "b", "", 10, 5)],
    });
    expect((await store.latestMaterializations(["a"])).map((m) => [m.partitionKey, m.ordinal])).toEqual([["", undefined], ["p1", 7], ["p2", undefined]]);
    expect(await store.latestFailures(["b"])).toEqual([
      { assetKey: "b", partitionKey: "", runId: "r1", at: 10, error: "boom 3" },
      { assetKey: "b", partitionKey: "p1", runId: "r1", at: 10, error: "boom 1", ordinal: 42 },
      { assetKey: "b", partitionKey: "p2", runId: "r1", at: 10, error: "boom 2" },
    ]);
  });

  test("latestPartitionMaterializations() returns only the asked partitions of the asset, by key", async () => {
    const store = await fresh();
    await store.write({ materializations: [...hours("a", [1, 2, 3]), ...hours("b", [1, 2]), makeMaterialization("a", { partitionKey: "h2", ordinal: 2, at: 9000, dataVersion: "newer" })] });
    const found = await store.latestPartitionMaterializations("a", ["h3", "h2", "nope", "h2"]);
    expect(found).toEqual([makeMaterialization("a", { partitionKey: "h2", ordinal: 2, at: 9000, dataVersion: "newer" }), ...hours("a", [3])]);
    expect(await store.latestPartitionMaterializations("a", [])).toEqual([]);
    expect(await store.latestPartitionMaterializations("zz", ["h1"])).toEqual([]);
  });

  test("latestPartitionMaterializations() takes 10,000 keys at once", async () => {
    const store = await fresh();
    await store.write({ materializations: hours("a", Array.from({ length: 300 }, (_, i) => i)) });
    const keys = Array.from({ length: 10_000 }, (_, i) => `h${i * 3}`);
    const found = await store.latestPartitionMaterializations("a", keys);
    expect(found.length).toBe(100);
    expect(found.every((m) => typeof m.ordinal === "number" && m.ordinal % 3 === 0)).toBe(true);
  });

  test("partitionSummary() of an asset without partitions state is empty; partition '' only counts as last", async () => {
    const store = await fresh();
    expect(await store.partitionSummary("a", "cv1")).toEqual(EMPTY);
    await store.write({ materializations: [makeMaterialization("a", { at: 5 })] });
    expect(await store.partitionSummary("a", "other")).toEqual({ ...EMPTY, last: makeMaterialization("a", { at: 5 }) });
  });

  test("partitionSummary() gives ordinal islands for materialized, code-changed and failed time partitions", async () => {
    const store = await fresh();
    await store.write({
      materializations: [
        ...hours("a", [10, 11, 12, 14, 20], { at: 100 }),
        ...hours("a", [15], { at: 300, codeVersion: "old" }),
        ...hours("a", [13], { at: 100, codeVersion: "old" }),
        ...hours("other", [16, 17, 18]),
      ],
      events: [
        failed(1, "a", "h11", 200, 11), // newer than its materialization: failed
        failed(2, "a", "h12", 50, 12), // older: not failed
        failed(3, "a", "h30", 50, 30), // never materialized: failed
        failed(4, "a", "h31", 50, 31),
        failed(5, "a", "h20", 200), // no ordinal in the event: takes its materialization's
        failed(6, "other", "h19", 1, 19),
      ],
    });
    const summary = await store.partitionSummary("a", "cv1");
    expect(summary).toEqual({
      ...EMPTY,
      materialized: [[10, 15], [20, 20]],
      failed: [[11, 11], [20, 20], [30, 31]],
      codeChanged: [[13, 13], [15, 15]],
      materializedCount: 7,
      last: hours("a", [15], { at: 300, codeVersion: "old" })[0] ?? null,
    });
  });

  test("partitionSummary() merges islands across buckets of ordinals, negative ones and duplicates included", async () => {
    const store = await fresh();
    const ordinals = Array.from({ length: 2054 }, (_, i) => i - 3).filter((o) => o !== 1500); // -3 … 2050 without 1500
    const mats = hours("a", ordinals);
    mats.push(makeMaterialization("a", { partitionKey: "same ordinal, other format", ordinal: 2050 }));
    mats.push(makeMaterialization("a", { partitionKey: "far", ordinal: 5000, codeVersion: "old" }));
    await store.write({ materializations: mats });
    const summary = await store.partitionSummary("a", "cv1");
    expect(summary.materialized).toEqual([[-3, 1499], [1501, 2050], [5000, 5000]]);
    expect(summary.codeChanged).toEqual([[5000, 5000]]);
    expect(summary.materializedCount).toBe(2055);
    expect((await store.partitionSummary("a", "old")).codeChanged).toEqual([[-3, 1499], [1501, 2050]]);
  });

  test("partitionSummary() lists keys of partitions without ordinal (static, dynamic, multi)", async () => {
    const store = await fresh();
    await store.write({
      materializations: [
        makeMaterialization("a", { partitionKey: "us", at: 10 }),
        makeMaterialization("a", { partitionKey: "eu", at: 10, codeVersion: "old" }),
        makeMaterialization("a", { partitionKey: "2024-01-01|apac", at: 10 }),
        ...hours("a", [7], { at: 1 }),
      ],
      events: [failed(1, "a", "zz", 1), failed(2, "a", "eu", 20), failed(3, "a", "us", 5), failed(4, "a", "", 50)],
    });
    const summary = await store.partitionSummary("a", "cv1");
    expect(summary).toEqual({
      ...EMPTY,
      materialized: [[7, 7]],
      materializedKeys: ["2024-01-01|apac", "eu", "us"],
      failedKeys: ["eu", "zz"],
      codeChangedKeys: ["eu"],
      materializedCount: 4,
      last: makeMaterialization("a", { partitionKey: "us", at: 10 }),
    });
  });

  test("partitionSummary() calls made together answer each what it answers alone (a store may batch them)", async () => {
    const store = await fresh();
    await store.write({
      materializations: [
        ...hours("a", [10, 11, 12], { at: 100 }),
        ...hours("a", [13], { at: 300, codeVersion: "old" }),
        makeMaterialization("b", { partitionKey: "us", at: 10 }),
        makeMaterialization("b", { partitionKey: "eu", at: 10, codeVersion: "old" }),
        ...hours("c", [1, 2], { at: 5, codeVersion: "v2" }),
        makeMaterialization("d", { at: 7 }),
      ],
      events: [failed(1, "a", "h11", 200, 11), failed(2, "b", "zz", 1), failed(3, "c", "h9", 9, 9)],
    });
    const asked: [string, string][] = [["a", "cv1"], ["b", "cv1"], ["c", "v2"], ["d", "cv1"], ["none", "cv1"], ["a", "old"], ["b", "cv1"]];
    const together = await Promise.all(asked.map(([k, code]) => store.partitionSummary(k, code)));
    const alone = [];
    for (const [k, code] of asked) alone.push(await store.partitionSummary(k, code));
    expect(together).toEqual(alone);
    expect(together[0]!.codeChanged).toEqual([[13, 13]]);
    expect(together[5]!.codeChanged).toEqual([[10, 12]]);
    expect(together[1]).not.toBe(together[6]);
  });

  test("wipe(keys, partitionKeys) forgets only those partitions, also given by the thousand", async () => {
    const store = await fresh();
    await store.write({ materializations: [...hours("a", [1, 2, 3]), ...hours("b", [1, 2])], events: [failed(1, "a", "h2", 5000, 2)] });
    const many = ["h2", ...Array.from({ length: 5000 }, (_, i) => `x${i}`)];
    expect(await store.wipe(["a"], many)).toBe(1);
    expect((await store.partitionSummary("a", "cv1")).materialized).toEqual([[1, 1], [3, 3]]);
    expect((await store.partitionSummary("a", "cv1")).failed).toEqual([]);
    expect((await store.partitionSummary("b", "cv1")).materialized).toEqual([[1, 2]]);
  });

  test("dynamic partitions: add ignores known keys, list keeps insertion order, remove counts what existed", async () => {
    const store = await fresh();
    expect(await store.listDynamicPartitions("customers")).toEqual([]);
    expect(await store.addDynamicPartitions("customers", ["zeta", "alpha", "zeta", "mid"], 100)).toBe(3);
    expect(await store.addDynamicPartitions("customers", ["alpha", "beta"], 50)).toBe(1); // an earlier clock still appends
    expect(await store.addDynamicPartitions("regions", ["alpha"], 100)).toBe(1);
    expect(await store.addDynamicPartitions("customers", [], 100)).toBe(0);
    expect(await store.listDynamicPartitions("customers")).toEqual(["zeta", "alpha", "mid", "beta"]);
    expect(await store.removeDynamicPartitions("customers", ["alpha", "nope", "alpha"])).toBe(1);
    expect(await store.removeDynamicPartitions("customers", [])).toBe(0);
    expect(await store.addDynamicPartitions("customers", ["alpha"], 200)).toBe(1);
    expect(await store.listDynamicPartitions("customers")).toEqual(["zeta", "mid", "beta", "alpha"]);
    expect(await store.listDynamicPartitions("regions")).toEqual(["alpha"]);
  });

  test("dynamic partitions: 5,000 keys in one call", async () => {
    const store = await fresh();
    const keys = Array.from({ length: 5000 }, (_, i) => `c${5000 - i}`);
    expect(await store.addDynamicPartitions("big", keys, 1)).toBe(5000);
    expect(await store.addDynamicPartitions("big", keys, 2)).toBe(0);
    expect(await store.listDynamicPartitions("big")).toEqual(keys);
    expect(await store.removeDynamicPartitions("big", keys.slice(0, 4000))).toBe(4000);
    expect(await store.listDynamicPartitions("big")).toEqual(keys.slice(4000));
  });
}
