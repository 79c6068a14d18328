/**
 * Per-partition staleness as a store question. For every edge of a partitioned asset with
 * materialized partitions, `stalenessQueries` says how its partitions read the upstream (a shift
 * of ordinals, runs of time windows, key pairs, or one version for all) so that the store compares
 * every recorded input version with the current one set-wise (io/state: one SQL query per edge)
 * and answers with ranges, never one object per partition. `answerFromRecords` is the same
 * comparison over records, in TS: the reference the in-memory store uses and the contract suite
 * checks the DuckDB store against. `readersOf` maps stale upstream partitions back to their readers.
 */
import { IndexSet, isFixedZone, mapToUpstream, ordinalBase, type PartitionMapping, type PartitionSpace, type TimeSpace } from "../partitions/index.ts";
import type { MaterializationRecord, OrdinalRange, StalenessAnswer, StalenessQuery, UpstreamRead } from "../types.ts";
import type { AssetPartitions, StatusSnapshot } from "./types.ts";
import { partitionsReadVersion, wholeAssetVersion } from "./versions.ts";

type Parts = ReadonlyMap<string, AssetPartitions>;

/** The edges status compares partition by partition (with `perPartition`): each upstream of a partitioned asset with materialized partitions. */
export function stalenessQueries(s: Pick<StatusSnapshot, "graph" | "parts" | "latest" | "perPartition" | "hash">): StalenessQuery[] {
  const out: StalenessQuery[] = [];
  if (!s.perPartition) return out;
  const emptyVersion = partitionsReadVersion([], s.hash);
  for (const key of s.graph.order) {
    const p = s.parts.get(key);
    if (!p || p.materialized.isEmpty) continue;
    for (const u of s.graph.upstream.get(key) ?? []) {
      const up = s.parts.get(u);
      const read = up ? partitionedRead(s.graph.mapping(key, u), p, up, s.hash) : constant(s.latest.get(u)?.dataVersion);
      if (read) out.push({ down: key, up: u, downOrdinals: span(p.space), upOrdinals: up ? span(up.space) : null, read, emptyVersion });
    }
  }
  return out;
}

const constant = (version: string | undefined): UpstreamRead | null => (version === undefined ? null : { kind: "constant", version });

/** The ordinals of a time space (an empty one: an empty range), null for the others. */
function span(space: PartitionSpace): OrdinalRange | null {
  const base = ordinalBase(space);
  return base === null ? null : [base, base + space.size - 1];
}

/** Offsets [a, b] of a mapping between two time spaces that reads windows i+a … i+b (overlap), or null. */
export function windowOffsets(mapping: PartitionMapping, down: PartitionSpace, up: PartitionSpace): readonly [number, number] | null {
  if (down.kind !== "time" || up.kind !== "time") return null;
  if (mapping.kind === "timeWindow") return mapping.offset;
  return mapping.kind === "identity" && (down.id === up.id || sameCadence(down, up)) ? [0, 0] : null;
}

function sameCadence(a: TimeSpace, b: TimeSpace): boolean {
  return a.unit === b.unit && a.zone.name === b.zone.name && a.def.weekStartsOn === b.def.weekStartsOn;
}

function partitionedRead(mapping: PartitionMapping, p: AssetPartitions, u: AssetPartitions, hash: (t: string) => string): UpstreamRead {
  if (mapping.kind === "all") return { kind: "constant", version: wholeAssetVersion(u.fingerprint, hash) };
  const offsets = windowOffsets(mapping, p.space, u.space);
  if (offsets && sameCadence(p.space as TimeSpace, u.space as TimeSpace)) return { kind: "shift", lo: offsets[0], hi: offsets[1] };
  const regular = offsets && regularRead(offsets, p.space as TimeSpace, u.space as TimeSpace);
  if (regular) return regular;
  if (offsets || (mapping.kind === "last" && p.space.kind === "time" && u.space.kind === "time")) return windowRuns(mapping, p, u);
  const pairs: [string, string, number][] = [];
  for (const i of p.materialized) {
    for (const j of mapToUpstream(mapping, p.space, u.space, i).intersect(u.materialized)) pairs.push([p.space.keyAt(i), u.space.keyAt(j), j]);
  }
  return { kind: "keys", pairs };
}

const HOUR = 3_600_000;
const PERIOD = { hour: HOUR, day: 24 * HOUR, week: 7 * 24 * HOUR } as const;

/**
 * Window i of a time space as `[period, phase]` with start(i) = (ordinalBase + i)·period + phase, or
 * null when its windows are not all of one length: months, and days or weeks in a zone with DST
 * (hours are absolute in every zone). Checked on the first, second and last windows as well.
 */
export function regularWindows(space: TimeSpace): readonly [period: number, phase: number] | null {
  if (space.unit === "month" || (space.unit !== "hour" && !isFixedZone(space.zone))) return null;
  const period = PERIOD[space.unit];
  const base = ordinalBase(space)!;
  const phase = space.startOf(0) - base * period;
  for (const i of [1, space.size - 1, space.size]) if (space.startOf(i) !== (base + i) * period + phase) return null;
  return [period, phase];
}

/** A window read between two spaces of fixed-length windows, as arithmetic on ordinals (see UpstreamRead "regular"), or null. */
export function regularRead([lo, hi]: readonly [number, number], down: TimeSpace, up: TimeSpace): UpstreamRead | null {
  const d = regularWindows(down);
  const u = regularWindows(up);
  return d && u ? { kind: "regular", lo, hi, dPeriod: d[0], dPhase: d[1], uPeriod: u[0], uPhase: u[1] } : null;
}

const floorDiv = (x: number, y: number) => Math.floor(x / y);
const ceilDiv = (x: number, y: number) => -Math.floor(-x / y);

/** The upstream ordinals [first, last] downstream ordinal `o` reads through a regular read (first > last: none), before clipping to the upstream space. */
export function regularReadOf(r: Extract<UpstreamRead, { kind: "regular" }>, o: number): [number, number] {
  const s = (o + r.lo) * r.dPeriod + r.dPhase;
  const e = (o + r.hi + 1) * r.dPeriod + r.dPhase;
  return [floorDiv(s - r.uPhase, r.uPeriod), ceilDiv(e - r.uPhase, r.uPeriod) - 1];
}

/**
 * Runs of consecutive materialized downstream windows that read the same upstream windows (a
 * monotone mapping: equal reads are contiguous). The next run is guessed as long as the last one
 * and checked, else found by galloping and bisection: a few mapping calls per run.
 */
export function windowRuns(mapping: PartitionMapping, p: AssetPartitions, u: AssetPartitions): UpstreamRead {
  const [db, ub] = [ordinalBase(p.space)!, ordinalBase(u.space)!];
  const readOf = (i: number) => {
    const r = mapToUpstream(mapping, p.space, u.space, i);
    return r.isEmpty ? "" : `${r.first}:${r.last}`;
  };
  const rows: [number, number, number, number][] = [];
  let guess = 1;
  for (const [lo, hi] of p.materialized.ranges()) {
    for (let i = lo; i < hi; ) {
      const read = readOf(i);
      const same = (j: number) => j < hi && readOf(j) === read;
      let end: number; // last index of the run
      if (same(i + guess - 1) && !same(i + guess)) end = i + guess - 1;
      else {
        let step = 1;
        while (same(i + step)) step *= 2;
        let [a, b] = [i + step / 2, Math.min(i + step, hi)]; // same(a) or a = i; not same(b)
        if (step === 1) a = i;
        while (b - a > 1) {
          const m = Math.floor((a + b) / 2);
          if (same(m)) a = m;
          else b = m;
        }
        end = a;
      }
      if (read !== "") {
        const [f, l] = read.split(":").map(Number) as [number, number];
        rows.push([db + i, db + end, ub + f, ub + l]);
      }
      guess = end - i + 1;
      i = end + 1;
    }
  }
  return { kind: "windows", rows };
}

/** The answers of a store as IndexSets per downstream asset and upstream (downstream indices). */
export function changedSets(queries: readonly StalenessQuery[], answers: readonly StalenessAnswer[], parts: Parts): Map<string, Map<string, IndexSet>> {
  const out = new Map<string, Map<string, IndexSet>>();
  queries.forEach((q, n) => {
    const space = parts.get(q.down)!.space;
    const a = answers[n]!;
    const base = ordinalBase(space);
    let set = base === null ? IndexSet.EMPTY : IndexSet.fromRanges(a.changed.map(([x, y]) => [x - base, y - base + 1] as [number, number])).clip(0, space.size);
    const keyed = a.changedKeys.map((k) => space.indexOf(k)).filter((i) => i >= 0);
    if (keyed.length) set = set.union(IndexSet.fromIndices(keyed));
    if (!out.has(q.down)) out.set(q.down, new Map());
    out.get(q.down)!.set(q.up, set);
  });
  return out;
}

/** The reference answer over records (the in-memory store's; the DuckDB store answers the same in SQL). */
export function answerFromRecords(q: StalenessQuery, recordsOf: (asset: string) => Iterable<MaterializationRecord>, hash: (t: string) => string): StalenessAnswer {
  const inRange = (o: number | null | undefined, r: OrdinalRange | null) => r !== null && o != null && o >= r[0] && o <= r[1];
  const upByOrdinal = new Map<number, MaterializationRecord>();
  const upByKey = new Map<string, MaterializationRecord>();
  for (const r of recordsOf(q.up)) {
    if (r.partitionKey === "") continue;
    upByKey.set(r.partitionKey, r);
    if (inRange(r.ordinal, q.upOrdinals)) upByOrdinal.set(r.ordinal!, r);
  }
  const byDown = new Map<string, [string, number][]>();
  if (q.read.kind === "keys") for (const [d, u, j] of q.read.pairs) (byDown.get(d) ?? byDown.set(d, []).get(d)!).push([u, j]);
  const ordinals = (lo: number, hi: number) => Array.from({ length: Math.max(0, hi - lo + 1) }, (_, k) => upByOrdinal.get(lo + k)).filter((r) => r !== undefined);
  const current = (m: MaterializationRecord): string => {
    const read = q.read;
    if (read.kind === "constant") return read.version;
    let recs: MaterializationRecord[];
    if (read.kind === "shift") recs = ordinals(m.ordinal! + read.lo, m.ordinal! + read.hi);
    else if (read.kind === "regular") {
      const [f, l] = regularReadOf(read, m.ordinal!);
      recs = ordinals(f, l);
    } else if (read.kind === "windows") {
      const row = read.rows.find(([a, b]) => m.ordinal! >= a && m.ordinal! <= b);
      recs = row ? ordinals(row[2], row[3]) : [];
    } else {
      const pairs = [...(byDown.get(m.partitionKey) ?? [])].sort((x, y) => x[1] - y[1]);
      recs = pairs.flatMap(([k]) => upByKey.get(k) ?? []);
    }
    return recs.length === 0 ? q.emptyVersion : partitionsReadVersion(recs, hash);
  };
  const changed: number[] = [];
  const changedKeys: string[] = [];
  for (const m of recordsOf(q.down)) {
    if (m.partitionKey === "") continue;
    const timed = q.downOrdinals !== null;
    if (timed ? !inRange(m.ordinal, q.downOrdinals) : m.ordinal != null) continue;
    if (m.inputVersions[q.up] === current(m)) continue;
    if (timed) changed.push(m.ordinal!);
    else changedKeys.push(m.partitionKey);
  }
  return { changed: islands(changed), changedKeys: changedKeys.sort() };
}

function islands(ordinals: number[]): OrdinalRange[] {
  const out: OrdinalRange[] = [];
  for (const o of ordinals.sort((a, b) => a - b)) {
    const last = out[out.length - 1];
    if (last && o <= last[1] + 1) last[1] = Math.max(last[1], o);
    else out.push([o, o]);
  }
  return out;
}

/**
 * The partitions among `candidates` of downstream `down` that read a partition of `stale` (of
 * `up`) through `mapping`. Window mappings between time spaces are monotone: two bisections per
 * stale range; the others are checked partition by partition.
 */
export function readersOf(mapping: PartitionMapping, down: PartitionSpace, up: PartitionSpace, stale: IndexSet, candidates: IndexSet): IndexSet {
  if (stale.isEmpty || candidates.isEmpty) return IndexSet.EMPTY;
  if (mapping.kind === "all") return candidates;
  if (mapping.kind === "identity" && down.id === up.id) return stale.intersect(candidates);
  const offsets = windowOffsets(mapping, down, up);
  if (!offsets) {
    const found: number[] = [];
    for (const i of candidates) if (!mapToUpstream(mapping, down, up, i).intersect(stale).isEmpty) found.push(i);
    return IndexSet.fromIndices(found);
  }
  const [d, u] = [down as TimeSpace, up as TimeSpace];
  // downstream i reads upstream [first(i), end(i)) before clipping; both non-decreasing in i
  const first = (i: number) => u.indexContaining(d.startOf(i + offsets[0]));
  const end = (i: number) => u.indexAtOrAfter(d.startOf(i + 1 + offsets[1]));
  const lowest = (ok: (i: number) => boolean) => {
    let [a, b] = [0, down.size];
    while (a < b) {
      const m = Math.floor((a + b) / 2);
      if (ok(m)) b = m;
      else a = m + 1;
    }
    return a;
  };
  const pairs: [number, number][] = [];
  for (const [s, e] of stale.ranges()) pairs.push([lowest((i) => end(i) > s), lowest((i) => first(i) >= e)]);
  return IndexSet.fromRanges(pairs).intersect(candidates);
}
