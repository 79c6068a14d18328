/**
 * The "regular" fast path of per-partition staleness (core/status/staleness.ts regularRead: window
 * reads between spaces of fixed-length windows as arithmetic on ordinals) against the general path
 * (mapToUpstream per partition, and the runs of equal reads `windowRuns` sends), partition by
 * partition: the formula for every downstream partition of each pair of spaces, and both stores'
 * answers to the regular question against their answers to the windows question on the same rows.
 */
import { describe, expect, test } from "bun:test";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import {
  createPartitionSpace, daily, hourly, IndexSet, mapToUpstream, ordinalBase, type PartitionMapping, type PartitionsDef, type TimeSpace, timeWindow, weekly, monthly,
} from "../../../core/partitions/index.ts";
import { type AssetPartitions, regularRead, regularReadOf, stalenessQueries, windowRuns } from "../../../core/status/index.ts";
import { partitionsReadVersion } from "../../../core/status/versions.ts";
import type { MaterializationRecord, StalenessQuery, UpstreamRead } from "../../../core/types.ts";
import { createDuckDBStateStore } from "../../../io/state/duckdb-store.ts";
import { createMemoryStateStore } from "../../../io/state/memory-store.ts";
import { hashText } from "../../../io/storage/index.ts";
import { freshStores } from "./fresh-stores.ts";
import { makeMaterialization } from "./materializations.contract.ts";

const NOW = Date.UTC(2024, 3, 1);
const space = (def: PartitionsDef) => createPartitionSpace(def, { now: NOW }) as TimeSpace;
type Regular = Extract<UpstreamRead, { kind: "regular" }>;

/** Pairs (downstream, upstream, mapping) the fast path takes; ordinals before 1970 included (negative). */
const PAIRS: [string, PartitionsDef, PartitionsDef, PartitionMapping][] = [
  ["hourly ← daily", hourly({ start: "2023-12-20-00:00" }), daily({ start: "2023-12-01" }), timeWindow()],
  ["daily ← hourly (24 each)", daily({ start: "2023-12-01" }), hourly({ start: "2023-12-03-05:00" }), timeWindow()],
  ["hourly ← daily, offset -1", hourly({ start: "2024-01-01-00:00" }), daily({ start: "2023-12-01" }), timeWindow({ offset: -1 })],
  ["daily ← hourly, offsets [-1, 1]", daily({ start: "2024-01-01" }), hourly({ start: "2023-12-30-00:00" }), timeWindow({ offset: [-1, 1] })],
  ["weekly ← daily", weekly({ start: "2023-12-04", weekStartsOn: 1 }), daily({ start: "2023-12-01" }), timeWindow()],
  ["daily ← weekly (Sunday weeks)", daily({ start: "2023-12-01" }), weekly({ start: "2023-11-05", weekStartsOn: 0 }), timeWindow()],
  ["hourly Kolkata (:30 hours) ← daily UTC", hourly({ start: "2024-01-01-00:00", timezone: "Asia/Kolkata" }), daily({ start: "2023-12-25" }), timeWindow()],
  ["hourly Berlin (DST) ← daily UTC", hourly({ start: "2024-03-20-00:00", timezone: "Europe/Berlin" }), daily({ start: "2024-03-01" }), timeWindow()],
  ["hourly before 1970 ← daily", hourly({ start: "1969-12-20-00:00", end: "1970-01-10-00:00" }), daily({ start: "1969-12-01", end: "1970-01-05" }), timeWindow()],
];

describe("regularRead (fixed-length windows as arithmetic on ordinals)", () => {
  for (const [name, dDef, uDef, mapping] of PAIRS) {
    test(`${name}: every downstream partition reads what mapToUpstream says`, () => {
      const [d, u] = [space(dDef), space(uDef)];
      const read = regularRead(mapping.kind === "timeWindow" ? mapping.offset : [0, 0], d, u) as Regular | null;
      expect(read?.kind).toBe("regular");
      const [db, ub] = [ordinalBase(d)!, ordinalBase(u)!];
      for (let i = 0; i < d.size; i++) {
        const want = mapToUpstream(mapping, d, u, i);
        const [f, l] = regularReadOf(read!, db + i);
        const got = IndexSet.range(Math.max(0, f - ub), Math.min(u.size, l - ub + 1));
        if (!got.equals(want)) throw new Error(`${name}: partition ${d.keyAt(i)} reads ${[...got]} by arithmetic, ${[...want]} by mapToUpstream`);
      }
    });
  }

  test("days or weeks of a zone with DST, and months, take the general path", () => {
    const h = space(hourly({ start: "2024-01-01-00:00" }));
    expect(regularRead([0, 0], h, space(daily({ start: "2024-01-01", timezone: "Europe/Berlin" })))).toBeNull();
    expect(regularRead([0, 0], space(daily({ start: "2024-01-01", timezone: "America/New_York" })), h)).toBeNull();
    expect(regularRead([0, 0], h, space(monthly({ start: "2024-01-01" })))).toBeNull();
  });
});

const root = fs.mkdtempSync(path.join(os.tmpdir(), "dagx-staleness-regular-"));
let files = 0;
const STORES: [string, () => ReturnType<typeof createMemoryStateStore>][] = [
  ["memory", () => createMemoryStateStore()],
  ["DuckDB", () => createDuckDBStateStore(path.join(root, `s${files++}.duckdb`))],
];

/** A deterministic pseudo-random sequence (the rows differ per pair, the same on every run). */
function rng(seed: number): () => number {
  let s = seed;
  return () => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
}

for (const [storeName, create] of STORES) {
  describe(`${storeName} store: a regular read answers exactly as the windows read`, () => {
    const fresh = freshStores(create);
    PAIRS.forEach(([name, dDef, uDef, mapping], n) => {
      test(name, async () => {
        const [d, u] = [space(dDef), space(uDef)];
        const [db, ub] = [ordinalBase(d)!, ordinalBase(u)!];
        const rand = rng(n + 1);
        // upstream: most windows materialized; downstream: most, each recording what it read, some of them an older read
        const ups = new Map<number, MaterializationRecord>();
        for (let j = 0; j < u.size; j++) {
          if (rand() < 0.9) ups.set(j, makeMaterialization("u", { partitionKey: u.keyAt(j), ordinal: ub + j, dataVersion: `v${j}-${Math.floor(rand() * 3)}`, at: 1 }));
        }
        const downs: MaterializationRecord[] = [];
        for (let i = 0; i < d.size; i++) {
          if (rand() < 0.1) continue;
          const read = mapToUpstream(mapping, d, u, i);
          const recs = [...read].flatMap((j) => ups.get(j) ?? []);
          const now = recs.length === 0 ? partitionsReadVersion([], hashText) : partitionsReadVersion(recs, hashText);
          const recorded = rand() < 0.15 ? "older" : now;
          downs.push(makeMaterialization("d", { partitionKey: d.keyAt(i), ordinal: db + i, inputVersions: { u: recorded }, at: 1 }));
        }
        const store = await fresh();
        await store.write({ materializations: [...ups.values(), ...downs] });
        const parts = (s: TimeSpace, recs: MaterializationRecord[]): AssetPartitions => ({
          space: s, materialized: IndexSet.fromIndices(recs.map((r) => r.ordinal! - ordinalBase(s)!)), failed: IndexSet.EMPTY, codeChanged: IndexSet.EMPTY, last: null, fingerprint: null,
        });
        const p = new Map([["d", parts(d, downs)], ["u", parts(u, [...ups.values()])]]);
        const graph = { order: ["u", "d"], upstream: new Map([["d", ["u"]]]), codeVersion: () => "cv1", mapping: () => mapping };
        const [q] = stalenessQueries({ graph, parts: p, latest: new Map(), perPartition: true, hash: hashText }) as [StalenessQuery];
        expect(q.read.kind).toBe("regular");
        const general: StalenessQuery = { ...q, read: windowRuns(mapping, p.get("d")!, p.get("u")!) };
        expect(general.read.kind).toBe("windows");
        const [fast, slow] = await Promise.all([store.changedPartitions(q), store.changedPartitions(general)]);
        expect(fast).toEqual(slow);
        // and the answer names exactly the partitions that recorded an older read, or read something else now
        const stale = downs.filter((m) => {
          const recs = [...mapToUpstream(mapping, d, u, m.ordinal! - db)].flatMap((j) => ups.get(j) ?? []);
          return m.inputVersions.u !== partitionsReadVersion(recs, hashText);
        });
        const changed = fast.changed.flatMap(([a, z]) => Array.from({ length: z - a + 1 }, (_, k) => a + k));
        expect(changed).toEqual(stale.map((m) => m.ordinal!).sort((a, b) => a - b));
        expect(stale.length).toBeGreaterThan(0);
      });
    });
  });
}
