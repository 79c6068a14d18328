/**
 * What a run, a freshness evaluation or a tick says about incidents — pure. Each observation either
 * opens an incident (its subject is failing now) or resolves one (its subject is healthy now); whether
 * an opening is a transition is decided by the state store, atomically across processes: a key with
 * an open incident already is not opened again, so two failing runs of one asset make one alert.
 */
import type { StepResult } from "../execute.ts";
import type { FreshnessResult } from "../freshness.ts";
import type { CheckResult } from "../types.ts";
import type { IncidentRecord } from "./records.ts";
import type { AlertKind } from "./types.ts";

/** An incident to open, unless one of its key is open already. */
export type IncidentCandidate = Omit<IncidentRecord, "incidentId" | "resolvedAt" | "resolvedBy">;

/** What one observer saw: subjects failing now, and keys of subjects healthy now. */
export interface IncidentObservations {
  open: IncidentCandidate[];
  resolve: string[];
}

/** Longest message kept in an incident (an error with a long stack is cut, with "…"). */
export const MAX_INCIDENT_MESSAGE = 1000;

/** The identity of an incident: its kind and subject (asset, check of an asset, or sensor/schedule name). */
export function incidentKey(kind: AlertKind, subject: { assetKey?: string | null; checkName?: string | null; instigator?: string | null }): string {
  return JSON.stringify([kind, subject.assetKey ?? subject.instigator ?? "", subject.checkName ?? ""]);
}

const clip = (s: string) => (s.length > MAX_INCIDENT_MESSAGE ? `${s.slice(0, MAX_INCIDENT_MESSAGE - 1)}…` : s);

/** "a", "a, b, c", "a, b, c (+4 more)"; null when every entry is "" (unpartitioned). */
function partitionsText(keys: readonly string[]): string | null {
  const distinct = [...new Set(keys)].filter((k) => k !== "");
  if (distinct.length === 0) return null;
  return distinct.length <= 3 ? distinct.join(", ") : `${distinct.slice(0, 3).join(", ")} (+${distinct.length - 3} more)`;
}

function byFirst<T>(items: readonly T[], key: (t: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const list = out.get(k);
    if (list) list.push(item);
    else out.set(k, [item]);
  }
  return out;
}

/**
 * A finished run: an asset with a failed step is failing (run_failure), one whose steps all succeeded
 * recovered; a check with a failed result is failing (check_failure, any severity), one whose results
 * all passed recovered. Skipped and canceled steps say nothing. Only `kinds` are observed.
 */
export function runObservations(input: { runId: string; at: number; steps: readonly StepResult[]; checks: readonly CheckResult[]; kinds: ReadonlySet<AlertKind> }): IncidentObservations {
  const out: IncidentObservations = { open: [], resolve: [] };
  const base = { partitionKey: null, checkName: null, instigator: null, runId: input.runId, openedAt: input.at };
  if (input.kinds.has("run_failure")) {
    for (const [assetKey, steps] of byFirst(input.steps, (s) => s.key)) {
      const failed = steps.filter((s) => s.status === "failed");
      const key = incidentKey("run_failure", { assetKey });
      if (failed.length) {
        const error = failed[0]!.status === "failed" ? failed[0]!.error : "failed";
        out.open.push({ ...base, key, kind: "run_failure", assetKey, partitionKey: partitionsText(failed.map((s) => s.partition)), message: clip(error) });
      } else if (steps.some((s) => s.status === "success")) out.resolve.push(key);
    }
  }
  if (input.kinds.has("check_failure")) {
    for (const [, results] of byFirst(input.checks, (r) => JSON.stringify([r.assetKey, r.checkName]))) {
      const { assetKey, checkName } = results[0]!;
      const failed = results.filter((r) => !r.passed);
      const key = incidentKey("check_failure", { assetKey, checkName });
      if (failed.length) {
        const first = failed[0]!;
        out.open.push({ ...base, key, kind: "check_failure", assetKey, checkName, partitionKey: partitionsText(failed.map((r) => r.partitionKey)), message: clip(checkMessage(first)) });
      } else out.resolve.push(key);
    }
  }
  return out;
}

/** Why a check failed, in one line: its error, or its description and counts. */
function checkMessage(r: CheckResult): string {
  if (r.error) return r.error;
  const counts = Object.entries(r.metadata).filter(([, v]) => typeof v === "number" || typeof v === "string").slice(0, 5).map(([k, v]) => `${k}: ${v}`).join(", ");
  const what = r.description ?? "the check did not pass";
  return `${r.severity === "warn" ? "(warn) " : ""}${what}${counts ? ` (${counts})` : ""}`;
}

/**
 * A freshness evaluation: an asset that is overdue now and was not at the previous evaluation opens
 * an incident (at the first evaluation too: the store ignores one that is open already), one that
 * was overdue and is not any more resolves it. "late" is a warning, not an incident.
 */
export function freshnessObservations(input: { at: number; previous: Readonly<Record<string, string>>; results: ReadonlyMap<string, FreshnessResult> }): IncidentObservations {
  const out: IncidentObservations = { open: [], resolve: [] };
  for (const [assetKey, r] of input.results) {
    const was = input.previous[assetKey];
    const key = incidentKey("freshness_overdue", { assetKey });
    if (r.state === "overdue" && was !== "overdue") {
      out.open.push({ key, kind: "freshness_overdue", assetKey, partitionKey: null, checkName: null, instigator: null, runId: null, message: clip(r.reason), openedAt: input.at });
    } else if (r.state !== "overdue" && was === "overdue") out.resolve.push(key);
  }
  return out;
}

/** A recorded tick of a sensor or schedule, as far as incidents care. */
export interface ObservedTick {
  name: string;
  kind: string;
  status: string;
  reason: string | null;
}

/**
 * Ticks of sensors and schedules: a failed tick opens an incident; a sensor tick that evaluated
 * (requested runs or skipped) and a schedule tick that requested a run resolve it. A schedule tick
 * skipped (missed, previous run still running) says nothing about its health.
 */
export function tickObservations(input: { at: number; ticks: readonly ObservedTick[]; kinds: ReadonlySet<AlertKind> }): IncidentObservations {
  const out: IncidentObservations = { open: [], resolve: [] };
  const seen = new Set<string>();
  // the latest tick of each instigator decides
  for (const t of [...input.ticks].reverse()) {
    const kind: AlertKind | null = t.kind === "sensor" ? "sensor_failure" : t.kind === "schedule" ? "schedule_failure" : null;
    if (kind === null || !input.kinds.has(kind) || seen.has(t.name)) continue;
    seen.add(t.name);
    const key = incidentKey(kind, { instigator: t.name });
    if (t.status === "failed") {
      out.open.push({ key, kind, assetKey: null, partitionKey: null, checkName: null, instigator: t.name, runId: null, message: clip(t.reason ?? "tick failed"), openedAt: input.at });
    } else if (kind === "sensor_failure" || t.status === "requested") out.resolve.push(key);
  }
  return out;
}
