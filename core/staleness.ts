/**
 * Status of each asset from its latest materialization and failure: missing, fresh, stale
 * (with causes) or failed. Data versions give early cutoff: an upstream re-materialized with
 * identical content leaves its downstream fresh.
 */
import type { FailureRecord, MaterializationRecord } from "./types.ts";

export type AssetStatus = "missing" | "fresh" | "stale" | "failed";

export interface StatusInfo {
  key: string;
  status: AssetStatus;
  causes: string[];
  materialization: MaterializationRecord | null;
  failure: FailureRecord | null;
}

export interface StalenessInput {
  order: readonly string[];
  upstream: ReadonlyMap<string, readonly string[]>;
  codeVersion: (key: string) => string;
  latest: ReadonlyMap<string, MaterializationRecord>;
  failures: ReadonlyMap<string, FailureRecord>;
  /** Keys whose stored file changed after the recorded materialization (an interrupted run). */
  drifted?: ReadonlySet<string>;
  /**
   * Partitioned assets, computed elsewhere: their status, and the version an unpartitioned reader
   * of all their partitions records. They are not given a status here.
   */
  partitioned?: ReadonlyMap<string, { status: AssetStatus; version: string | null }>;
  /** The version `down` reads of partitioned `up` when it is not `version` (a `lastPartition()` mapping), else undefined. */
  partitionedInputVersion?: (down: string, up: string) => string | null | undefined;
}

const short = (v: string) => v.slice(0, 8);

/** Compute the status of every key in `order` (upstream first, so causes can propagate). */
export function computeStatuses(input: StalenessInput): Map<string, StatusInfo> {
  const out = new Map<string, StatusInfo>();
  for (const key of input.order) {
    if (input.partitioned?.has(key)) continue;
    const m = input.latest.get(key) ?? null;
    const f = input.failures.get(key) ?? null;
    const failedLast = f !== null && (m === null || f.at > m.at);
    if (failedLast) {
      out.set(key, { key, status: "failed", causes: [`last run failed: ${firstLine(f.error)}`], materialization: m, failure: f });
      continue;
    }
    if (m === null) {
      out.set(key, { key, status: "missing", causes: ["never materialized"], materialization: null, failure: f });
      continue;
    }
    out.set(key, { key, ...staleCauses(key, m, input, out), materialization: m, failure: null });
  }
  return out;
}

function staleCauses(
  key: string,
  m: MaterializationRecord,
  input: StalenessInput,
  known: ReadonlyMap<string, StatusInfo>,
): { status: AssetStatus; causes: string[] } {
  const causes: string[] = [];
  const code = input.codeVersion(key);
  if (m.codeVersion !== code) causes.push(`code changed (${short(m.codeVersion)} → ${short(code)})`);
  if (input.drifted?.has(key)) causes.push("output file changed after its last recorded materialization (an interrupted run?)");
  for (const up of input.upstream.get(key) ?? []) {
    const part = input.partitioned?.get(up);
    const edge = part ? input.partitionedInputVersion?.(key, up) : undefined;
    const current = part ? (edge !== undefined ? edge : part.version) : (input.latest.get(up)?.dataVersion ?? null);
    const us = part ? part.status : known.get(up)?.status;
    if (current === null) causes.push(`upstream "${up}" is missing`);
    else if (m.inputVersions[up] !== current) causes.push(`upstream "${up}" has newer data`);
    else if (us === "stale") causes.push(`upstream "${up}" is stale`);
    else if (us === "failed") causes.push(`upstream "${up}" failed its last run`);
  }
  return { status: causes.length ? "stale" : "fresh", causes };
}

function firstLine(s: string): string {
  const l = s.split("\n")[0] ?? "";
  return l.length > 200 ? `${l.slice(0, 197)}...` : l;
}
