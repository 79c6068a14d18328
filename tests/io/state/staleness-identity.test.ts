/**
 * The identity fast path of per-partition staleness in the DuckDB store (io/state/_staleness.ts:
 * digests per bucket of ordinals, then the exact comparison of the buckets that differ) against the
 * general path, partition by partition: the same store's exact query (`{ exact: true }`), the
 * reference over records (answerFromRecords, the memory store's answer) and the memory store itself.
 * Rows cover: upstream partitions rematerialized after their readers, upstream partitions missing
 * (read as nothing, or read before they were wiped), readers that recorded nothing for the
 * upstream, failed materializations, changed code versions and config hashes, ordinals on both
 * sides of 0, rows from before migration 9 (no `input_map`: read from the JSON text) mixed with new
 * ones, and more runs of changed buckets than are bound as ranges. Then migration 9 of a schema-8 file.
 */
import { describe, expect, test } from "bun:test";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { createPartitionSpace, hourly, IndexSet, ordinalBase, type PartitionMapping, type PartitionsDef, type TimeSpace, timeWindow } from "../../../core/partitions/index.ts";
import { answerFromRecords, type AssetPartitions, stalenessQueries } from "../../../core/status/index.ts";
import { partitionsReadVersion } from "../../../core/status/versions.ts";
import type { EventRecord, MaterializationRecord, StalenessAnswer, StalenessQuery } from "../../../core/types.ts";
import { MIGRATIONS, SCHEMA_VERSION } from "../../../io/state/_schema.ts";
import { BUCKET, registerHash, selectChangedPartitions } from "../../../io/state/_staleness.ts";
import { createDuckDBStateStore } from "../../../io/state/duckdb-store.ts";
import { createMemoryStateStore } from "../../../io/state/memory-store.ts";
import { hashText } from "../../../io/storage/index.ts";
import { makeMaterialization } from "./materializations.contract.ts";
import { makeEvent } from "./runs.contract.ts";

const NOW = Date.UTC(1970, 1, 1);
const root = fs.mkdtempSync(path.join(os.tmpdir(), "dagx-staleness-identity-"));
let files = 0;
const space = (def: PartitionsDef) => createPartitionSpace(def, { now: NOW }) as TimeSpace;
const EMPTY = partitionsReadVersion([], hashText);

/** A deterministic pseudo-random sequence. */
function rng(seed: number): () => number {
  let s = seed;
  return () => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
}

/** Ordinals of an answer, one by one. */
const ordinals = (a: StalenessAnswer) => a.changed.flatMap(([x, y]) => Array.from({ length: y - x + 1 }, (_, k) => x + k));

interface Case {
  name: string;
  seed: number;
  mapping: PartitionMapping;
  /** Probability that a downstream partition recorded something else than what it reads now. */
  stale: number;
  /** Probability that a downstream row is written as before migration 9 (no input_map). */
  legacy: number;
  /** Buckets of downstream ordinals where ~30 % of the partitions are made stale: many runs of changed buckets. */
  staleBuckets?: (bucket: number) => boolean;
  /** Runs of changed buckets bound as ranges at most (lowered: the bucket-list filter). */
  maxRanges?: number;
}

const CASES: Case[] = [
  { name: "identity, a few stale partitions, all rows new", seed: 1, mapping: timeWindow(), stale: 0.002, legacy: 0 },
  { name: "identity, rows from before migration 9 mixed with new ones", seed: 2, mapping: timeWindow(), stale: 0.01, legacy: 0.4 },
  { name: "identity, every row from before migration 9", seed: 3, mapping: timeWindow(), stale: 0.01, legacy: 1 },
  { name: "same cadence, offset -1 (a shift of one ordinal)", seed: 4, mapping: timeWindow({ offset: -1 }), stale: 0.005, legacy: 0.2 },
  { name: "more runs of changed buckets than bound as ranges (a bucket list)", seed: 5, mapping: timeWindow(), stale: 0, legacy: 0.1, staleBuckets: (b) => b % 2 === 0, maxRanges: 3 },
  { name: "nothing stale", seed: 6, mapping: timeWindow(), stale: 0, legacy: 0.3 },
];

/** Hourly partitions around 1970 (ordinals below and above 0): 7,296 hours in 8 buckets. */
const HOURS = hourly({ start: "1969-08-01-00:00", end: "1970-06-01-00:00" });

/** Both sides' rows and events for one case. */
function build(c: Case): { ups: MaterializationRecord[]; downs: MaterializationRecord[]; events: EventRecord[]; legacy: Set<number>; s: TimeSpace } {
  const s = space(HOURS);
  const base = ordinalBase(s)!;
  const rand = rng(c.seed);
  const shift = c.mapping.kind === "timeWindow" ? c.mapping.offset[0] : 0;
  const ups = new Map<number, MaterializationRecord>();
  const events: EventRecord[] = [];
  let seq = 0;
  for (let j = 0; j < s.size; j++) {
    const r = rand();
    if (r < 0.03) continue; // never materialized
    if (r < 0.05) {
      // failed, never materialized
      events.push(makeEvent("rf", ++seq, { type: "step_failed", assetKey: "u", partitionKey: s.keyAt(j), at: 50, payload: { error: "boom", ordinal: base + j } }));
      continue;
    }
    ups.set(j, makeMaterialization("u", {
      partitionKey: s.keyAt(j), ordinal: base + j, dataVersion: `v${j}`, at: 10, codeVersion: rand() < 0.1 ? "cv-old" : "cv1", inputVersions: {},
    }));
    // a later failure of a materialized upstream partition: its materialization stays what is read
    if (rand() < 0.02) events.push(makeEvent("rf", ++seq, { type: "step_failed", assetKey: "u", partitionKey: s.keyAt(j), at: 60, payload: { error: "later", ordinal: base + j } }));
  }
  const downs: MaterializationRecord[] = [];
  const legacy = new Set<number>();
  for (let i = 0; i < s.size; i++) {
    if (rand() < 0.03) {
      events.push(makeEvent("rf", ++seq, { type: "step_failed", assetKey: "d", partitionKey: s.keyAt(i), at: 70, payload: { error: "boom", ordinal: base + i } }));
      continue;
    }
    const j = i + shift;
    const read = ups.get(j);
    let recorded: string | undefined = read ? read.dataVersion : EMPTY;
    const r = rand();
    if (r < c.stale) recorded = `${recorded}-before`; // the upstream was rematerialized after this read
    else if (r < c.stale * 1.5) recorded = read ? EMPTY : "v-wiped"; // read nothing then, or a partition since wiped
    else if (r < c.stale * 1.8) recorded = undefined; // recorded nothing for u (the edge is new)
    if (c.staleBuckets?.(Math.floor((base + i) / BUCKET)) && rand() < 0.3) recorded = "changed";
    const inputVersions: Record<string, string> = { other: "x" };
    if (recorded !== undefined) inputVersions.u = recorded;
    downs.push(makeMaterialization("d", {
      partitionKey: s.keyAt(i), ordinal: base + i, inputVersions, at: 20, dataVersion: `d${i}`,
      codeVersion: rand() < 0.1 ? "cv-old" : "cv1", ...(rand() < 0.1 ? { configHash: "cfg-old" } : { configHash: "cfg" }),
    }));
    if (rand() < c.legacy) legacy.add(base + i);
  }
  return { ups: [...ups.values()], downs, events, legacy, s };
}

/** Open the store's file directly (after the store closed it), as the store's sessions do. */
async function openFile(file: string) {
  const instance = await DuckDBInstance.create(file);
  const conn = await instance.connect();
  registerHash(conn);
  return { conn, close: () => (conn.closeSync(), instance.closeSync()) };
}

describe("identity reads: digests per bucket, then the exact comparison of the changed buckets", () => {
  for (const c of CASES) {
    test(c.name, async () => {
      const { ups, downs, events, legacy, s } = build(c);
      const file = path.join(root, `s${files++}.duckdb`);
      const duck = createDuckDBStateStore(file);
      const memory = createMemoryStateStore();
      for (const store of [duck, memory]) await store.write({ materializations: [...ups, ...downs], events });
      // rows written by a build before migration 9: no input_map
      if (legacy.size > 0) {
        await duck.close();
        const f = await openFile(file);
        await f.conn.run(`UPDATE latest_materializations SET input_map = NULL WHERE asset_key = 'd' AND list_contains(?::BIGINT[], ordinal)`, [`[${[...legacy].join(",")}]`]);
        const n = (await f.conn.runAndReadAll("SELECT count(*) AS n FROM latest_materializations WHERE asset_key = 'd' AND input_map IS NULL")).getRowObjectsJS()[0]!.n;
        expect(Number(n)).toBe(legacy.size);
        f.close();
      }
      const base = ordinalBase(s)!;
      const parts = (recs: MaterializationRecord[]): AssetPartitions => ({
        space: s, materialized: IndexSet.fromIndices(recs.map((r) => r.ordinal! - base)), failed: IndexSet.EMPTY, codeChanged: IndexSet.EMPTY, last: null, fingerprint: null,
      });
      const graph = { order: ["u", "d"], upstream: new Map([["d", ["u"]]]), codeVersion: () => "cv1", mapping: () => c.mapping };
      const [q] = stalenessQueries({ graph, parts: new Map([["d", parts(downs)], ["u", parts(ups)]]), latest: new Map(), perPartition: true, hash: hashText }) as [StalenessQuery];
      expect(q.read).toEqual({ kind: "shift", lo: c.mapping.kind === "timeWindow" ? c.mapping.offset[0] : 0, hi: c.mapping.kind === "timeWindow" ? c.mapping.offset[0] : 0 });

      const store = legacy.size > 0 ? createDuckDBStateStore(file) : duck;
      const viaStore = await store.changedPartitions(q);
      await store.close();
      const f = await openFile(file);
      const [fast, exact] = [await selectChangedPartitions(f.conn, q, { maxRanges: c.maxRanges }), await selectChangedPartitions(f.conn, q, { exact: true })];
      f.close();
      const all = [...ups, ...downs];
      const reference = answerFromRecords(q, (a) => all.filter((m) => m.assetKey === a), hashText);
      const inMemory = await memory.changedPartitions(q);
      await memory.close();

      // partition by partition: each downstream ordinal is stale in one answer exactly when it is in all
      const want = ordinals(reference);
      expect(ordinals(fast)).toEqual(want);
      expect(ordinals(exact)).toEqual(want);
      expect(ordinals(viaStore)).toEqual(want);
      expect(ordinals(inMemory)).toEqual(want);
      expect(fast).toEqual(exact);
      // and those are the partitions that recorded something else than what they read now
      const byOrdinal = new Map(ups.map((m) => [m.ordinal!, m.dataVersion]));
      const shift = q.read.kind === "shift" ? q.read.lo : 0;
      const stale = downs.filter((m) => m.inputVersions.u !== (byOrdinal.get(m.ordinal! + shift) ?? EMPTY)).map((m) => m.ordinal!);
      expect(want).toEqual(stale.sort((a, b) => a - b));
      if (c.stale > 0 || c.staleBuckets) expect(want.length).toBeGreaterThan(0);
      else expect(want).toEqual([]);
    }, 30_000);
  }

  test("an upstream rematerialized after its readers makes exactly them stale, then nothing once they re-read it", async () => {
    const s = space(HOURS);
    const base = ordinalBase(s)!;
    const store = createDuckDBStateStore(path.join(root, `s${files++}.duckdb`));
    const rec = (asset: string, i: number, patch: Partial<MaterializationRecord>) => makeMaterialization(asset, { partitionKey: s.keyAt(i), ordinal: base + i, ...patch });
    const n = 3 * BUCKET;
    expect(s.size).toBeGreaterThan(n);
    const ups = Array.from({ length: n }, (_, i) => rec("u", i, { dataVersion: `v${i}`, at: 10, inputVersions: {} }));
    await store.write({ materializations: [...ups, ...ups.map((u, i) => rec("d", i, { inputVersions: { u: u.dataVersion }, at: 20 }))] });
    const q: StalenessQuery = { down: "d", up: "u", downOrdinals: [base, base + s.size - 1], upOrdinals: [base, base + s.size - 1], read: { kind: "shift", lo: 0, hi: 0 }, emptyVersion: EMPTY };
    expect(await store.changedPartitions(q)).toEqual({ changed: [], changedKeys: [] });
    // rematerialize 4 upstream partitions in three buckets: the last ordinal of one bucket, the first of the next
    const last = (((BUCKET - 1 - base) % BUCKET) + BUCKET) % BUCKET; // base + last ≡ BUCKET − 1
    const again = [5, 6, last, last + 1 + BUCKET].map((i) => rec("u", i, { dataVersion: `v${i}-2`, at: 30, inputVersions: {} }));
    await store.write({ materializations: again });
    const [b1, b2, b3] = [base + 5, base + last, base + last + 1 + BUCKET];
    expect(await store.changedPartitions(q)).toEqual({ changed: [[b1, b1 + 1], [b2, b2], [b3, b3]], changedKeys: [] });
    await store.write({ materializations: again.map((u) => rec("d", u.ordinal! - base, { inputVersions: { u: u.dataVersion }, at: 40 })) });
    expect(await store.changedPartitions(q)).toEqual({ changed: [], changedKeys: [] });
    await store.close();
  }, 30_000);
});

describe("migration 9", () => {
  test("a schema-8 file migrates forward: its latest rows keep no input_map and are answered from their JSON; new rows carry the map", async () => {
    const file = path.join(root, `s${files++}.duckdb`);
    const instance = await DuckDBInstance.create(file);
    const conn = await instance.connect();
    await conn.run("CREATE TABLE schema_version (version INTEGER NOT NULL, applied_at BIGINT NOT NULL)");
    for (let v = 1; v <= 8; v++) {
      for (const sql of MIGRATIONS[v - 1] ?? []) await conn.run(sql);
      await conn.run("INSERT INTO schema_version VALUES (?, 0)", [v]);
    }
    await conn.run("INSERT INTO code_version_scheme VALUES (2, 0)");
    // hours 0 … 2 of 1970 (ordinals 0 … 2): u's, and d's that read u (hour 1 read an older version)
    for (const [asset, key, o, dv, inputs] of [
      ["u", "1970-01-01-00:00", 0, "a", "{}"], ["u", "1970-01-01-01:00", 1, "b2", "{}"], ["u", "1970-01-01-02:00", 2, "c", "{}"],
      ["d", "1970-01-01-00:00", 0, "d0", '{"u":"a"}'], ["d", "1970-01-01-01:00", 1, "d1", '{"u":"b1"}'], ["d", "1970-01-01-02:00", 2, "d2", '{"u":"c"}'],
    ] as const) {
      await conn.run(`INSERT INTO latest_materializations VALUES (?, ?, 'r1', 10, ?, 'cv1', ?, 'p', 'parquet', 1, 1, NULL, NULL, ?, NULL)`, [asset, key, dv, inputs, o]);
    }
    conn.closeSync();
    instance.closeSync();

    const store = createDuckDBStateStore(file);
    const q: StalenessQuery = { down: "d", up: "u", downOrdinals: [0, 10], upOrdinals: [0, 10], read: { kind: "shift", lo: 0, hi: 0 }, emptyVersion: EMPTY };
    expect(await store.changedPartitions(q)).toEqual({ changed: [[1, 1]], changedKeys: [] });
    // a new row of hour 2 that read a version u no longer has: the map answers for it, the JSON for the others
    await store.write({ materializations: [makeMaterialization("d", { partitionKey: "1970-01-01-02:00", ordinal: 2, inputVersions: { u: "c-old" }, at: 20 })] });
    expect(await store.changedPartitions(q)).toEqual({ changed: [[1, 2]], changedKeys: [] });
    expect((await store.latestMaterializations(["d"])).find((m) => m.ordinal === 2)?.inputVersions).toEqual({ u: "c-old" });
    await store.close();

    const f = await openFile(file);
    const got = (await f.conn.runAndReadAll("SELECT ordinal, input_map::VARCHAR AS m FROM latest_materializations WHERE asset_key = 'd' ORDER BY ordinal")).getRowObjectsJS();
    expect(got.map((r) => r.m)).toEqual([null, null, "{u=c-old}"]);
    const version = (await f.conn.runAndReadAll("SELECT max(version) AS v FROM schema_version")).getRowObjectsJS()[0]?.v;
    expect(Number(version)).toBe(SCHEMA_VERSION);
    expect(SCHEMA_VERSION).toBeGreaterThanOrEqual(9);
    f.close();
  }, 30_000);
});
