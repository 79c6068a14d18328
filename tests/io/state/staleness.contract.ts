/**
 * `MaterializationStore.changedPartitions` contract: the per-partition staleness question of one
 * edge, built by core (`stalenessQueries`) from real partition spaces, answered by the store (SQL in
 * DuckDB, TS in memory): identity, time windows both ways (hourly ← daily, daily ← 24 hourly),
 * window offsets, all-partitions, an unpartitioned upstream, key lists and multi-partition dimensions.
 * Registered by `testMaterializationStore`, so both implementations run every case.
 */
import { expect, test } from "bun:test";
import {
  allPartitions, createPartitionSpace, daily, dimension, hourly, identity, IndexSet, multiPartitions, ordinalBase, type PartitionMapping, type PartitionsDef,
  type PartitionSpace, staticPartitions, timeWindow,
} from "../../../core/partitions/index.ts";
import { type AssetPartitions, changedSets, stalenessQueries } from "../../../core/status/index.ts";
import { partitionsReadVersion, wholeAssetVersion } from "../../../core/status/versions.ts";
import type { MaterializationRecord } from "../../../core/types.ts";
import { hashText } from "../../../io/storage/index.ts";
import { makeMaterialization, type MaterializationStoreFixture } from "./materializations.contract.ts";

const NOW = Date.UTC(2024, 0, 4);
const HOURS = hourly({ start: "2024-01-01-00:00" });
const DAYS = daily({ start: "2024-01-01" });

interface Side {
  def: PartitionsDef | null;
  /** Partition key → data version (the upstream) or recorded input version of `u` (the downstream). */
  rows: Record<string, string>;
}

const spaceOf = (def: PartitionsDef) => createPartitionSpace(def, { now: NOW });
const rec = (asset: string, space: PartitionSpace | null, key: string, patch: Partial<MaterializationRecord>): MaterializationRecord => {
  const base = space ? ordinalBase(space) : null;
  return makeMaterialization(asset, { partitionKey: key, ...(base !== null ? { ordinal: base + space!.indexOf(key) } : {}), at: 1, ...patch });
};
const partsOf = (space: PartitionSpace, keys: readonly string[], fingerprint = "fp"): AssetPartitions => ({
  space, materialized: IndexSet.fromIndices(keys.map((k) => space.indexOf(k))), failed: IndexSet.EMPTY, codeChanged: IndexSet.EMPTY, last: null, fingerprint,
});

/** Write `u` and `d`, ask the store the question core builds for the edge d → u, and return the changed downstream keys. */
async function changedKeys(store: MaterializationStoreFixture, u: Side, d: Side & { def: PartitionsDef }, mapping: PartitionMapping = identity()): Promise<string[]> {
  const [us, ds] = [u.def && spaceOf(u.def), spaceOf(d.def)];
  const ups = u.def ? Object.entries(u.rows).map(([k, dv]) => rec("u", us, k, { dataVersion: dv })) : [makeMaterialization("u", { dataVersion: u.rows[""]!, at: 1 })];
  const downs = Object.entries(d.rows).map(([k, v]) => rec("d", ds, k, { inputVersions: { u: v } }));
  await store.write({ materializations: [...ups, ...downs] });
  const parts = new Map([["d", partsOf(ds, Object.keys(d.rows))]]);
  if (us) parts.set("u", partsOf(us, Object.keys(u.rows), (await store.partitionSummary("u", "cv1")).fingerprint));
  const latest = new Map(us ? [] : [["u", ups[0]!]]);
  const graph = { order: ["u", "d"], upstream: new Map([["d", ["u"]]]), codeVersion: () => "cv1", mapping: () => mapping };
  const queries = stalenessQueries({ graph, parts, latest, perPartition: true, hash: hashText });
  const answers = await Promise.all(queries.map((q) => store.changedPartitions(q)));
  const set = changedSets(queries, answers, parts).get("d")?.get("u") ?? IndexSet.EMPTY;
  return [...set].map((i) => ds.keyAt(i));
}

/** The version a read of these upstream partitions records. */
const readOf = (rows: Record<string, string>, keys: readonly string[]) =>
  partitionsReadVersion(keys.filter((k) => rows[k] !== undefined).map((k) => ({ partitionKey: k, dataVersion: rows[k]! }) as MaterializationRecord), hashText);
const hoursOf = (day: string) => Array.from({ length: 24 }, (_, h) => `${day}-${String(h).padStart(2, "0")}:00`);

/** Register the tests; `fresh` returns a new empty store closed after the test. */
export function stalenessContractTests(fresh: () => Promise<MaterializationStoreFixture>): void {
  test("changedPartitions(): identity between hourly spaces compares each partition with the same hour", async () => {
    const up = { "2024-01-01-00:00": "a", "2024-01-01-01:00": "b2", "2024-01-01-02:00": "c" };
    const down = { "2024-01-01-00:00": "a", "2024-01-01-01:00": "b1", "2024-01-01-02:00": "c", "2024-01-01-03:00": "gone" };
    const want = ["2024-01-01-01:00", "2024-01-01-03:00"]; // b changed; 03 read a partition that is no longer materialized
    expect(await changedKeys(await fresh(), { def: HOURS, rows: up }, { def: HOURS, rows: { ...down, "2024-01-01-03:00": "x" } })).toEqual(want);
    // a read of nothing records the empty read's version: fresh while the upstream stays missing
    const empty = readOf({}, []);
    expect(await changedKeys(await fresh(), { def: HOURS, rows: up }, { def: HOURS, rows: { ...down, "2024-01-01-03:00": empty } })).toEqual(["2024-01-01-01:00"]);
  });

  test("changedPartitions(): a daily partition reads its 24 hours (one hash); one changed hour makes only its day stale", async () => {
    const up: Record<string, string> = {};
    for (const day of ["2024-01-01", "2024-01-02"]) for (const h of hoursOf(day)) up[h] = `v-${h}`;
    const down = { "2024-01-01": readOf(up, hoursOf("2024-01-01")), "2024-01-02": readOf(up, hoursOf("2024-01-02")), "2024-01-03": readOf(up, hoursOf("2024-01-03")) };
    const store = await fresh();
    expect(await changedKeys(store, { def: HOURS, rows: up }, { def: DAYS, rows: down }, timeWindow())).toEqual([]);
    expect(await changedKeys(await fresh(), { def: HOURS, rows: { ...up, "2024-01-02-13:00": "new" } }, { def: DAYS, rows: down }, timeWindow())).toEqual(["2024-01-02"]);
  });

  test("changedPartitions(): each hourly partition reads its day; a changed day makes its 24 hours stale", async () => {
    const up = { "2024-01-01": "d1", "2024-01-02": "d2new" };
    const down: Record<string, string> = {};
    for (const h of [...hoursOf("2024-01-01"), ...hoursOf("2024-01-02")]) down[h] = h.startsWith("2024-01-01") ? "d1" : "d2";
    expect(await changedKeys(await fresh(), { def: DAYS, rows: up }, { def: HOURS, rows: down }, timeWindow())).toEqual(hoursOf("2024-01-02"));
  });

  test("changedPartitions(): a window offset of one cadence reads several hours (hashed in read order)", async () => {
    const up = { "2024-01-01-00:00": "a", "2024-01-01-01:00": "b", "2024-01-01-02:00": "c" };
    const keys = Object.keys(up);
    const down = { "2024-01-01-01:00": readOf(up, keys.slice(0, 2)), "2024-01-01-02:00": readOf(up, keys.slice(0, 2)) };
    expect(await changedKeys(await fresh(), { def: HOURS, rows: up }, { def: HOURS, rows: down }, timeWindow({ offset: [-1, 0] }))).toEqual(["2024-01-01-02:00"]);
  });

  test("changedPartitions(): all-partitions and unpartitioned upstreams compare one version", async () => {
    const up = { "2024-01-01": "d1", "2024-01-02": "d2" };
    const store = await fresh();
    await store.write({ materializations: Object.entries(up).map(([k, dv]) => rec("u", spaceOf(DAYS), k, { dataVersion: dv })) });
    const whole = wholeAssetVersion((await store.partitionSummary("u", "cv1")).fingerprint, hashText);
    expect(await changedKeys(store, { def: DAYS, rows: up }, { def: DAYS, rows: { "2024-01-01": whole, "2024-01-02": "old" } }, allPartitions())).toEqual(["2024-01-02"]);
    expect(await changedKeys(await fresh(), { def: null, rows: { "": "U2" } }, { def: DAYS, rows: { "2024-01-01": "U1", "2024-01-02": "U2" } })).toEqual(["2024-01-01"]);
  });

  test("changedPartitions(): key lists and multi-partition dimensions compare key by key", async () => {
    const regions = staticPartitions(["eu", "us", "ap"]);
    expect(await changedKeys(await fresh(), { def: regions, rows: { eu: "e", us: "u2" } }, { def: regions, rows: { eu: "e", us: "u1" } })).toEqual(["us"]);
    const multi = multiPartitions({ date: DAYS, region: regions });
    const m = spaceOf(multi);
    const [k1, k2] = [m.keyAt(0), m.keyAt(1)];
    const up = { "2024-01-01": "d1", "2024-01-02": "d2" };
    const dayOf = (k: string) => (k.includes("2024-01-01") ? "2024-01-01" : "2024-01-02");
    const got = await changedKeys(await fresh(), { def: DAYS, rows: up }, { def: multi, rows: { [k1]: up[dayOf(k1)], [k2]: "stale" } }, dimension("date"));
    expect(got).toEqual([k2]);
  });
}
