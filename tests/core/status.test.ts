import { describe, expect, test } from "bun:test";
import { createPartitionSpace, daily, hourly, identity, IndexSet, lastPartition, mapToUpstream, type PartitionMapping, type PartitionSpace, staticPartitions, timeWindow } from "../../core/partitions/index.ts";
import { answerFromRecords, type AssetPartitions, changedSets, computeStatus, partitionReads, readersOf, stalenessQueries, type StatusSnapshot } from "../../core/status/index.ts";
import type { MaterializationRecord } from "../../core/types.ts";

const KEYS = ["a", "b", "c", "d"];
const space = createPartitionSpace(staticPartitions(KEYS), { now: 0 });
const rec = (assetKey: string, partitionKey: string, dataVersion: string, inputVersions: Record<string, string> = {}, codeVersion = "c1"): MaterializationRecord => ({
  assetKey, partitionKey, runId: "r", at: 1, dataVersion, codeVersion, inputVersions, path: "", format: "parquet", rows: 1, bytes: 1, schema: null, metadata: null,
});
const setOf = (keys: readonly string[]) => IndexSet.fromIndices(keys.map((k) => space.indexOf(k)));
const part = (materialized: readonly string[], o: { failed?: string[]; codeChanged?: string[]; fingerprint?: string } = {}): AssetPartitions => ({
  space, materialized: setOf(materialized), failed: setOf(o.failed ?? []), codeChanged: setOf(o.codeChanged ?? []), last: null, fingerprint: o.fingerprint ?? "fp",
});

interface Node {
  ups?: string[];
  part?: AssetPartitions;
  latest?: MaterializationRecord;
  records?: MaterializationRecord[];
  mappings?: Record<string, PartitionMapping>;
}

/** A snapshot of `nodes` (given upstream first). */
function snapshot(nodes: Record<string, Node>, perPartition = true): StatusSnapshot {
  const entries = Object.entries(nodes);
  const s: Omit<StatusSnapshot, "changed"> = {
    graph: {
      order: entries.map(([k]) => k),
      upstream: new Map(entries.map(([k, n]) => [k, n.ups ?? []])),
      codeVersion: () => "c1",
      mapping: (down, up) => nodes[down]!.mappings?.[up] ?? identity(),
    },
    latest: new Map(entries.flatMap(([k, n]) => (n.latest ? [[k, n.latest] as const] : []))),
    failures: new Map(),
    drifted: new Set(),
    parts: new Map(entries.flatMap(([k, n]) => (n.part ? [[k, n.part] as const] : []))),
    perPartition,
    records: new Map(entries.flatMap(([k, n]) => (n.records ? [[k, new Map(n.records.map((r) => [r.partitionKey, r]))] as const] : []))),
    hash: (t) => `h(${t})`,
  };
  // the store's answers, as the in-memory store gives them
  const queries = stalenessQueries(s);
  const recordsOf = (k: string) => nodes[k]?.records ?? [];
  return { ...s, changed: changedSets(queries, queries.map((q) => answerFromRecords(q, recordsOf, s.hash)), s.parts) };
}

describe("computeStatus() of partitioned assets", () => {
  test("sets and causes: failed first, code changes, missing last", () => {
    const s = snapshot({ p: { part: part(["a", "b"], { failed: ["c"], codeChanged: ["b"] }) } });
    const ps = computeStatus(s).partitionStatuses.get("p")!;
    expect([ps.status, ps.materialized.size, ps.failed.size, ps.missing.size, ps.stale.size]).toEqual(["failed", 2, 1, 1, 1]);
    expect(ps.causes).toEqual(["c failed", "code changed in 1 partition(s)", "1 of 4 partition(s) missing"]);
  });

  test("a changed upstream partition makes only the partition mapped to it stale, and its downstream 'is stale for' it", () => {
    const s = snapshot({
      u: { part: part(KEYS), records: KEYS.map((k) => rec("u", k, k === "b" ? "new" : `u-${k}`)) },
      p: { ups: ["u"], part: part(KEYS), records: KEYS.map((k) => rec("p", k, `p-${k}`, { u: `u-${k}` })) },
      q: { ups: ["p"], part: part(KEYS), records: KEYS.map((k) => rec("q", k, `q-${k}`, { p: `p-${k}` })) },
    });
    const r = computeStatus(s).partitionStatuses;
    expect([r.get("u")!.status, r.get("p")!.status, r.get("q")!.status]).toEqual(["fresh", "stale", "stale"]);
    expect(r.get("p")!.causes).toEqual(['upstream "u" has newer data for b']);
    expect(r.get("q")!.causes).toEqual(['upstream "p" is stale for b']);
    expect([...r.get("q")!.stale]).toEqual([1]);
  });

  test("a stale or failed unpartitioned upstream makes every materialized partition stale", () => {
    const s = snapshot({
      x: { latest: rec("x", "", "X1", {}, "old") },
      p: { ups: ["x"], part: part(["a", "c"]), records: ["a", "c"].map((k) => rec("p", k, k, { x: "X1" })) },
    });
    const ps = computeStatus(s).partitionStatuses.get("p")!;
    expect(ps.causes).toEqual(['upstream "x" is stale', "2 of 4 partition(s) missing"]);
    expect([...ps.stale]).toEqual([0, 2]);
  });

  test("every partition is compared, however many (no cap): the engine takes the store's answers", () => {
    const big = createPartitionSpace(daily({ start: "1960-01-01" }), { now: Date.UTC(2024, 0, 1) });
    expect(big.size).toBeGreaterThan(20_000);
    const all = IndexSet.range(0, big.size);
    const p: AssetPartitions = { space: big, materialized: all, failed: IndexSet.EMPTY, codeChanged: IndexSet.EMPTY, last: null, fingerprint: "" };
    const s = { ...snapshot({ u: { latest: rec("u", "", "U") }, p: { ups: ["u"] } }), parts: new Map([["p", p]]) };
    const changed = new Map([["p", new Map([["u", IndexSet.of(big.size - 1)]])]]);
    const ps = computeStatus({ ...s, changed }).partitionStatuses.get("p")!;
    expect([ps.status, ps.stale.size, ps.causes]).toEqual(["stale", 1, ['upstream "u" has newer data for 2023-12-31']]);
    expect(partitionReads(s).whole).toEqual([]);
  });
});

describe("computeStatus() across partitioned and unpartitioned edges", () => {
  test("an unpartitioned reader of all partitions compares the fingerprint version; a lastPartition() reader the last partition's", () => {
    const u = { part: part(KEYS, { fingerprint: "F2" }), records: [rec("u", "d", "D1")] };
    const s = snapshot({
      u,
      all: { ups: ["u"], latest: rec("all", "", "A", { u: "h(all:F1)" }) },
      last: { ups: ["u"], latest: rec("last", "", "L", { u: "D1" }), mappings: { u: lastPartition() } },
    });
    const st = computeStatus(s).statuses;
    expect(st.get("all")!.causes).toEqual(['upstream "u" has newer data']);
    expect(st.get("last")!.status).toBe("fresh");
  });

  test("staleness crosses any number of alternations u → P → v → Q … in one pass (no pass cap)", () => {
    const nodes: Record<string, Node> = { n0: { latest: rec("n0", "", "V0", {}, "old") } };
    for (let i = 1; i <= 12; i++) {
      const up = `n${i - 1}`;
      nodes[`n${i}`] = i % 2 === 1
        ? { ups: [up], part: part(KEYS), records: KEYS.map((k) => rec(`n${i}`, k, `${i}-${k}`, { [up]: "V" })) }
        : { ups: [up], latest: rec(`n${i}`, "", `V${i}`, { [up]: "h(all:fp)" }) };
    }
    nodes.n0!.latest!.dataVersion = "V";
    for (let i = 2; i <= 12; i += 2) nodes[`n${i}`]!.latest!.dataVersion = "V";
    const r = computeStatus(snapshot(nodes));
    expect(r.statuses.get("n12")!.causes).toEqual(['upstream "n11" is stale']);
    expect(r.partitionStatuses.get("n11")!.causes).toEqual(['upstream "n10" is stale']);
  });

  test("without perPartition, a partitioned upstream counts as missing or fresh and no partition status is computed", () => {
    const s = snapshot({
      p: { part: part(["a"], { failed: ["b"] }) },
      v: { ups: ["p"], latest: rec("v", "", "V", { p: "h(all:fp)" }) },
    }, false);
    const r = computeStatus(s);
    expect(r.partitionStatuses.size).toBe(0);
    expect(r.statuses.get("v")!.status).toBe("fresh");
  });
});

describe("partitionReads()", () => {
  test("reads only the last partition of a lastPartition() upstream (comparisons are the store's)", () => {
    const s = snapshot({
      u: { part: part(KEYS) },
      p: { ups: ["u"], part: part(["a", "b"]) },
      root: { part: part(["a"]) },
      v: { ups: ["root"], mappings: { root: lastPartition() } },
    });
    const r = partitionReads(s);
    expect(r).toEqual({ whole: [], some: new Map([["root", ["d"]]]) });
    expect(partitionReads({ ...s, perPartition: false })).toEqual(r);
  });
});

describe("readersOf()", () => {
  test("window mappings between time spaces: the same readers as checking every partition", () => {
    const now = Date.UTC(2024, 0, 10);
    const hours = createPartitionSpace(hourly({ start: "2024-01-01-00:00" }), { now });
    const days = createPartitionSpace(daily({ start: "2024-01-02" }), { now });
    const brute = (m: PartitionMapping, down: PartitionSpace, up: PartitionSpace, stale: IndexSet) =>
      IndexSet.fromIndices(Array.from({ length: down.size }, (_, i) => i).filter((i) => !mapToUpstream(m, down, up, i).intersect(stale).isEmpty));
    const cases: [PartitionMapping, PartitionSpace, PartitionSpace][] = [
      [timeWindow(), days, hours], [timeWindow(), hours, days], [timeWindow({ offset: [-2, 0] }), days, days],
      [timeWindow({ offset: [-1, 1] }), hours, days], [identity(), hours, hours],
    ];
    for (const [m, down, up] of cases) {
      for (const stale of [IndexSet.of(0), IndexSet.fromRanges([[3, 5], [30, 31]]), IndexSet.of(up.size - 1), IndexSet.range(0, up.size)]) {
        const all = IndexSet.range(0, down.size);
        expect(readersOf(m, down, up, stale, all)).toEqual(brute(m, down, up, stale));
      }
    }
  });
});

describe("stalenessQueries()", () => {
  test("window runs: every materialized downstream partition reads exactly what its mapping reads", () => {
    const now = Date.UTC(2024, 3, 2); // across the DST change of March 31 (a 23-hour day)
    const hours = createPartitionSpace(hourly({ start: "2024-01-01-05:00", timezone: "Europe/Berlin" }), { now });
    const days = createPartitionSpace(daily({ start: "2024-01-03", timezone: "Europe/Berlin" }), { now });
    const parts = (space: PartitionSpace, materialized: IndexSet): AssetPartitions => ({ space, materialized, failed: IndexSet.EMPTY, codeChanged: IndexSet.EMPTY, last: null, fingerprint: "" });
    const cases: [PartitionMapping, PartitionSpace, PartitionSpace][] = [[timeWindow(), hours, days], [timeWindow(), days, hours], [timeWindow({ offset: [-1, 2] }), hours, days], [lastPartition(), hours, days]];
    for (const [m, down, up] of cases) {
      const mat = IndexSet.fromRanges([[0, 7], [30, 100], [down.size - 9, down.size]]);
      const graph = { order: ["u", "d"], upstream: new Map([["d", ["u"]]]), codeVersion: () => "c", mapping: () => m };
      const p = new Map([["d", parts(down, mat)], ["u", parts(up, IndexSet.range(0, up.size))]]);
      const [q] = stalenessQueries({ graph, parts: p, latest: new Map(), perPartition: true, hash: (t) => t });
      expect(q!.read.kind).toBe("windows");
      const rows = q!.read.kind === "windows" ? q!.read.rows : [];
      const [db, ub] = [q!.downOrdinals![0], q!.upOrdinals![0]];
      for (const i of mat) {
        const want = mapToUpstream(m, down, up, i);
        const row = rows.find(([a, b]) => db + i >= a && db + i <= b);
        expect(row ? [row[2] - ub, row[3] - ub + 1] : null).toEqual(want.isEmpty ? null : [want.first!, want.last! + 1]);
      }
    }
  });
});
