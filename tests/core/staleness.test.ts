import { describe, expect, test } from "bun:test";
import { MissingUpstreamError, planRun } from "../../core/plan.ts";
import { createPartitionSpace, daily, identity, IndexSet } from "../../core/partitions/index.ts";
import { computeStatus } from "../../core/status/index.ts";
import type { FailureRecord, MaterializationRecord } from "../../core/types.ts";

const mat = (key: string, at: number, dataVersion: string, inputVersions: Record<string, string> = {}, codeVersion = "c1"): MaterializationRecord => ({
  assetKey: key, partitionKey: "", runId: "r", at, dataVersion, codeVersion, inputVersions, path: `${key}/data.parquet`, format: "parquet", rows: 1, bytes: 1, schema: null, metadata: null,
});
const order = ["a", "b", "c"];
const upstream = new Map<string, string[]>([["a", []], ["b", ["a"]], ["c", ["b"]]]);
const downstream = new Map<string, string[]>([["a", ["b"]], ["b", ["c"]], ["c", []]]);
const statuses = (latest: MaterializationRecord[], failures: FailureRecord[] = [], code: Record<string, string> = {}) =>
  computeStatus({
    graph: { order, upstream, codeVersion: (k) => code[k] ?? "c1", mapping: () => identity() },
    latest: new Map(latest.map((m) => [m.assetKey, m])),
    failures: new Map(failures.map((f) => [f.assetKey, f])),
    drifted: new Set(),
    parts: new Map(),
    perPartition: true,
    records: new Map(),
    changed: new Map(),
    hash: (t) => `h(${t})`,
  }).statuses;

describe("computeStatus() of unpartitioned assets", () => {
  test("everything missing at first", () => {
    const s = statuses([]);
    expect([...s.values()].map((x) => x.status)).toEqual(["missing", "missing", "missing"]);
  });

  test("fresh when every input version matches", () => {
    const s = statuses([mat("a", 1, "A1"), mat("b", 2, "B1", { a: "A1" }), mat("c", 3, "C1", { b: "B1" })]);
    expect([...s.values()].map((x) => x.status)).toEqual(["fresh", "fresh", "fresh"]);
  });

  test("upstream with newer data makes downstream stale, and that propagates", () => {
    const s = statuses([mat("a", 5, "A2"), mat("b", 2, "B1", { a: "A1" }), mat("c", 3, "C1", { b: "B1" })]);
    expect(s.get("b")!.status).toBe("stale");
    expect(s.get("b")!.causes).toEqual(['upstream "a" has newer data']);
    expect(s.get("c")!.causes).toEqual(['upstream "b" is stale']);
  });

  test("early cutoff: an upstream re-materialized with identical content leaves downstream fresh", () => {
    const s = statuses([mat("a", 9, "A1"), mat("b", 2, "B1", { a: "A1" }), mat("c", 3, "C1", { b: "B1" })]);
    expect(s.get("b")!.status).toBe("fresh");
  });

  test("a code change names both versions", () => {
    const s = statuses([mat("a", 1, "A1", {}, "oldversion")], [], { a: "newversion" });
    expect(s.get("a")!.causes[0]).toBe("code changed (oldversi → newversi)");
  });

  test("a failure newer than the materialization is failed; older is ignored", () => {
    const f = (at: number): FailureRecord => ({ assetKey: "a", partitionKey: "", runId: "r2", at, error: "boom\nstack" });
    expect(statuses([mat("a", 5, "A1")], [f(9)]).get("a")!.status).toBe("failed");
    expect(statuses([mat("a", 5, "A1")], [f(9)]).get("a")!.causes).toEqual(["last run failed: boom"]);
    expect(statuses([mat("a", 5, "A1")], [f(1)]).get("a")!.status).toBe("fresh");
  });
});

describe("planRun()", () => {
  const graph = { assets: new Map(), upstream, downstream, order };
  test("orders steps upstream first and links only planned upstreams", () => {
    const p = planRun({ graph, selected: new Set(["c", "b"]), latest: new Map([["a", mat("a", 1, "A1")]]) });
    expect(p.steps.map((s) => [s.key, s.after])).toEqual([["b", []], ["c", ["b"]]]);
  });

  test("refuses an unselected upstream that was never materialized, naming the fix", () => {
    expect(() => planRun({ graph, selected: new Set(["b"]), latest: new Map() })).toThrow(MissingUpstreamError);
    expect(() => planRun({ graph, selected: new Set(["b"]), latest: new Map() })).toThrow(/upstream "a" has never been materialized.*dagx materialize \+b/);
  });

  test("with statuses, lists (not refuses) what waits on an upstream without partitions; without, refuses with the same reason", () => {
    const space = createPartitionSpace(daily({ start: "2024-06-01" }), { now: Date.parse("2024-06-01T12:00:00Z") });
    const partitions = { spaces: new Map([["a", space]]), targets: new Map([["a", IndexSet.EMPTY]]), materialized: new Map(), mapping: () => { throw new Error("unused"); }, singleRun: new Set<string>() };
    const p = planRun({ graph, selected: new Set(order), latest: new Map(), statuses: statuses([]), partitions });
    expect(p.steps).toEqual([]);
    expect(p.fresh).toEqual(["a"]);
    expect(p.waiting).toEqual([
      { key: "b", reason: 'upstream "a" has no partitions yet: daily(start=2024-06-01) has no complete window yet (a time window exists once it has ended; `endOffset: 1` adds the current one)' },
      { key: "c", reason: 'upstream "b" waits: upstream "a" has no partitions yet' },
    ]);
    expect(() => planRun({ graph, selected: new Set(["b"]), latest: new Map(), partitions })).toThrow('Cannot materialize "b": upstream "a" has no partitions yet: daily(start=2024-06-01) has no complete window yet');
  });

  test("marks a step blocked when an upstream it reads and does not rebuild holds a failed blocking check", () => {
    const blocks = new Map([["a", [{ partitionKey: "", reason: 'check "u" of "a" failed in run R' }]]]);
    const latest = new Map([["a", mat("a", 1, "A1")], ["b", mat("b", 2, "B1", { a: "A1" })]]);
    const p = planRun({ graph, selected: new Set(["b", "c"]), latest, blocks });
    expect(p.steps.map((s) => [s.key, s.blocked ?? null])).toEqual([["b", 'check "u" of "a" failed in run R'], ["c", null]]);
    // a is rebuilt in this run: its new check result decides, not the stored one
    expect(planRun({ graph, selected: new Set(order), latest, blocks }).steps.every((s) => s.blocked === undefined)).toBe(true);
  });

  test("with statuses, leaves fresh assets out", () => {
    const latest = [mat("a", 1, "A1"), mat("b", 2, "B0", { a: "A0" })];
    const s = statuses(latest);
    const p = planRun({ graph, selected: new Set(order), latest: new Map(latest.map((m) => [m.assetKey, m])), statuses: s });
    expect(p.fresh).toEqual(["a"]);
    expect(p.steps.map((x) => x.key)).toEqual(["b", "c"]);
  });
});
