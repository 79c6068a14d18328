/**
 * The JSON of recorded things as the CLI prints them (`list`, `runs`, `logs`, `backfill list|show`,
 * `schedules list`, `sensors list`), one builder each, shared by those commands and the UI's API.
 */
import type { LoadedAsset } from "../../core/definitions.ts";
import { partitionsLabel } from "../../core/partitions/index.ts";
import type { BackfillCounts, BackfillPartitionRecord, BackfillRecord, EventRecord, InstigatorState, RunRecord, TickRecord } from "../../core/types.ts";
import type { ScheduleInfo, SensorInfo } from "../../core/automation/index.ts";
import { multiOutOf } from "../../core/multi-asset.ts";
import { backfillLiveStatus } from "../run/index.ts";

/** `daily(start=2024-01-01)`, `staticPartitions(eu, us)`…, or null when unpartitioned. */
export function partitionsOf(a: LoadedAsset): string | null {
  return a.partitionsDef ? partitionsLabel(a.partitionsDef) : null;
}

/**
 * The step an out of a multi-asset (or a dbt project) runs in: the keys materialized by the same
 * call, and whether a selection may take only some of them. Null for a plain asset.
 */
export function stepOf(a: LoadedAsset): { outs: string[]; canSubset: boolean; location: string | null } | null {
  const info = multiOutOf(a.def);
  if (!info) return null;
  return { outs: Object.values(info.step.outs).map((d) => String(d.options.key)), canSubset: info.step.canSubset, location: info.step.location };
}

/** One item of `dagx list --json`. */
export function listItemJson(a: LoadedAsset) {
  return {
    key: a.key,
    group: a.group,
    deps: a.deps,
    partitioned: a.partitioned,
    partitions: partitionsOf(a),
    description: a.description,
    owners: a.owners,
    tags: a.tags,
    kinds: a.kinds,
    codeVersion: a.codeVersion,
    location: a.location,
    step: stepOf(a),
    ...(a.external ? { external: true } : {}),
  };
}

const iso = (t: number) => new Date(t).toISOString();

/** One item of `dagx runs --json`. */
export function runItemJson(r: RunRecord, queued = false) {
  return {
    runId: r.runId,
    /** "queued": handed to workers (`--queue`), no step claimed yet; the record itself says running. */
    status: queued && r.status === "running" ? ("queued" as const) : r.status,
    trigger: r.trigger,
    selection: r.selection,
    startedAt: iso(r.startedAt),
    endedAt: r.endedAt === null ? null : iso(r.endedAt),
    pid: r.pid,
    host: r.host,
    tags: r.tags ?? {},
    config: r.config ?? null,
  };
}

/** `dagx logs RUN --json`: the run record and its events. */
export function logsJson(run: RunRecord, events: readonly EventRecord[]) {
  return {
    run: { ...run, tags: run.tags ?? {}, config: run.config ?? null, startedAt: iso(run.startedAt), endedAt: run.endedAt ? iso(run.endedAt) : null, ...(run.cancelRequestedAt !== undefined ? { cancelRequestedAt: iso(run.cancelRequestedAt) } : {}) },
    events: events.map((e) => ({ ...e, at: iso(e.at) })),
  };
}

/** One item of `dagx backfill list --json`. */
export function backfillItemJson(b: BackfillRecord, counts: BackfillCounts | undefined, now: number) {
  return { backfillId: b.backfillId, status: backfillLiveStatus(b, now), selection: b.selection, partitions: b.partitions, createdAt: iso(b.createdAt), updatedAt: iso(b.updatedAt), counts };
}

/** `dagx backfill show ID --json`. */
export function backfillShowJson(b: BackfillRecord, partitions: readonly BackfillPartitionRecord[], counts: BackfillCounts, now: number) {
  return { ...backfillItemJson(b, counts, now), counts, steps: partitions.map((p) => ({ key: p.assetKey, partition: p.partitionKey || null, status: p.status, runId: p.runId, error: p.error })) };
}

/** A tick as `schedules list --json` / `sensors list --json` print it. */
export function tickJson(t: TickRecord) {
  return { tickAt: iso(t.tickAt), evaluatedAt: iso(t.evaluatedAt), status: t.status, reason: t.reason, requestIds: t.requestIds };
}

/** One item of `dagx schedules list --json`. */
export function scheduleItemJson(s: ScheduleInfo, st: InstigatorState, last: TickRecord | null, next: number | null) {
  return { name: s.name, cron: s.cron, timezone: s.timezone, status: st.status, assets: s.keys, partitions: s.partitions, overlap: s.overlap, catchUp: s.catchUp, nextTick: next ? iso(next) : null, lastTick: last ? tickJson(last) : null, location: s.location };
}

/** One item of `dagx sensors list --json`. */
export function sensorItemJson(s: SensorInfo, st: InstigatorState, last: TickRecord | null) {
  return { name: s.name, status: st.status, intervalMs: s.intervalMs, timeoutMs: s.timeoutMs, cursor: st.cursor, assets: s.keys, lastTick: last ? tickJson(last) : null, location: s.location };
}
