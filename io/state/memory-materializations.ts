/**
 * `MaterializationStore` in memory: the materializations part of the in-memory twin
 * (memory-store.ts, whose `write` fills `history`, `latest` and `failures`).
 */
import type { CheckResult, FailureRecord, MaterializationRecord, OutputMtimeRecord } from "../../core/types.ts";
import type { MaterializationStore } from "../../core/state-store.ts";
import { answerFromRecords } from "../../core/status/index.ts";
import { hashText } from "../storage/index.ts";
import { byKey, copy, keepNewer, type OpenCheck, wanted } from "./_memory.ts";
import { checkSlot, newestPerCheck, slotKey, summarizePartitions } from "./_records.ts";

export interface MaterializationTables {
  /** Every materialization, in write order. */
  history: MaterializationRecord[];
  /** The newest materialization and failure per (asset, partition) slot. */
  latest: Map<string, MaterializationRecord>;
  failures: Map<string, FailureRecord>;
  /** Check results: history in write order, and the newest per (asset, partition, check). */
  checkHistory: CheckResult[];
  latestChecks: Map<string, CheckResult>;
  /** Confirmed output mtimes per (asset, partition). */
  mtimes: Map<string, OutputMtimeRecord>;
  /** Dynamic partitions: definition name → keys in insertion order (a Set keeps it). */
  dynamic: Map<string, Set<string>>;
}

export const createMaterializationTables = (): MaterializationTables => ({
  history: [], latest: new Map(), failures: new Map(), checkHistory: [], latestChecks: new Map(), mtimes: new Map(), dynamic: new Map(),
});

/** The materializations part of an in-memory store, over its tables; `open` throws once the store is closed. */
export function memoryMaterializationStore(t: MaterializationTables, open: OpenCheck): MaterializationStore {
  const { latest, failures, latestChecks, mtimes, dynamic } = t;
  const unpartitionedOnly = (options?: { unpartitioned?: boolean }) => (r: { partitionKey: string }) => !options?.unpartitioned || r.partitionKey === "";
  return {
    async latestMaterializations(keys, options) {
      open("read materializations");
      return copy([...latest.values()].filter(wanted(keys)).filter(unpartitionedOnly(options)).sort(byKey));
    },
    async latestFailures(keys, options) {
      open("read failures");
      return copy([...failures.values()].filter(wanted(keys)).filter(unpartitionedOnly(options)).sort(byKey));
    },
    async latestPartitionMaterializations(assetKey, partitionKeys) {
      open("read partition materializations");
      const found = [...new Set(partitionKeys)].flatMap((partitionKey) => latest.get(slotKey({ assetKey, partitionKey })) ?? []);
      return copy(found.sort(byKey));
    },
    async latestSchemas(assetKey) {
      open("read output schemas");
      const distinct = new Map<string, MaterializationRecord["schema"]>();
      for (const m of latest.values()) if (m.assetKey === assetKey) distinct.set(JSON.stringify(m.schema), m.schema);
      return copy([...distinct.values()]);
    },
    async partitionSummary(assetKey, codeVersion, options) {
      open("summarize partitions");
      return copy(summarizePartitions([...latest.values()], [...failures.values()], assetKey, codeVersion, options?.configHash ?? null));
    },
    async changedPartitions(query) {
      open("compare partitions with their upstream");
      const of = (asset: string) => [...latest.values()].filter((m) => m.assetKey === asset);
      return answerFromRecords(query, of, hashText);
    },
    async listDynamicPartitions(name) {
      open("list dynamic partitions");
      return [...(dynamic.get(name) ?? [])];
    },
    async addDynamicPartitions(name, keys, _now) {
      open("add dynamic partitions");
      const set = dynamic.get(name) ?? new Set<string>();
      const before = set.size;
      for (const key of keys) set.add(key);
      if (set.size > 0) dynamic.set(name, set);
      return set.size - before;
    },
    async removeDynamicPartitions(name, keys) {
      open("remove dynamic partitions");
      const set = dynamic.get(name);
      let removed = 0;
      for (const key of new Set(keys)) if (set?.delete(key)) removed++;
      return removed;
    },
    async recordCheckResults(results) {
      open("record check results");
      const copies = copy(results);
      t.checkHistory.push(...copies);
      for (const r of newestPerCheck(copies)) keepNewer(latestChecks, checkSlot(r), r);
    },
    async latestCheckResults(keys, options) {
      open("read check results");
      const byCheck = (a: CheckResult, b: CheckResult) => byKey(a, b) || (a.checkName < b.checkName ? -1 : a.checkName > b.checkName ? 1 : 0);
      const failing = (r: CheckResult) => !options?.blockingFailures || (!r.passed && r.blocking && r.severity === "error");
      return copy([...latestChecks.values()].filter(wanted(keys)).filter(failing).sort(byCheck));
    },
    async confirmedMtimes(keys) {
      open("read confirmed mtimes");
      return copy([...mtimes.values()].filter(wanted(keys)).sort(byKey));
    },
    async confirmMtimes(records) {
      open("record confirmed mtimes");
      for (const r of copy(records)) keepNewer(mtimes, slotKey(r), r);
    },
    async materializationHistory(assetKey, limit) {
      open("read the materialization history");
      return copy(newestFirst(t.history.filter((m) => m.assetKey === assetKey)).slice(0, limit));
    },
    async checkHistory(assetKey, limit) {
      open("read the check history");
      return copy(newestFirst(t.checkHistory.filter((c) => c.assetKey === assetKey)).slice(0, limit));
    },
    async supersededOutputs(pathPrefix) {
      open("read superseded outputs");
      const used = new Set([...latest.values()].map((m) => m.path));
      return copy(t.history.filter((m) => m.path.startsWith(pathPrefix) && !used.has(m.path)).sort((a, b) => a.at - b.at));
    },
    async wipe(keys, partitionKeys) {
      open("wipe materializations");
      const assets = new Set(keys);
      const parts = partitionKeys ? new Set(partitionKeys) : null;
      const hit = (r: { assetKey: string; partitionKey: string }) => assets.has(r.assetKey) && (!parts || parts.has(r.partitionKey));
      const { history } = t;
      const before = history.length;
      let kept = 0;
      for (const m of history) if (!hit(m)) history[kept++] = m;
      history.length = kept;
      for (const map of [latest, failures, latestChecks, mtimes] as Map<string, { assetKey: string; partitionKey: string }>[]) {
        for (const [slot, record] of map) if (hit(record)) map.delete(slot);
      }
      return before - history.length;
    },
  };
}

/** Newest first by time; among equal times the later write first. */
function newestFirst<T extends { at: number }>(rows: readonly T[]): T[] {
  return rows.map((r, i) => [r, i] as const).sort((a, b) => b[0].at - a[0].at || b[1] - a[1]).map(([r]) => r);
}
