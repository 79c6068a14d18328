/**
 * Status of an unpartitioned asset from its latest materialization and failure: missing, fresh,
 * stale (with causes) or failed. Data versions give early cutoff: an upstream re-materialized
 * with identical content leaves its downstream fresh.
 */
import type { AssetStatus, StatusInfo, StatusSnapshot } from "./types.ts";

/** What a downstream sees of one upstream: the version it would read now (null: none) and the upstream's status. */
export interface UpstreamView {
  version: string | null;
  status: AssetStatus | undefined;
}

const short = (v: string) => v.slice(0, 8);

/** Status of unpartitioned `key`; `upstream` answers for each of its upstreams (already decided). */
export function assetStatus(key: string, s: Pick<StatusSnapshot, "graph" | "latest" | "failures" | "drifted">, upstream: (up: string) => UpstreamView): StatusInfo {
  const m = s.latest.get(key) ?? null;
  const f = s.failures.get(key) ?? null;
  if (f !== null && (m === null || f.at > m.at)) return { key, status: "failed", causes: [`last run failed: ${firstLine(f.error)}`], materialization: m, failure: f };
  if (m === null) return { key, status: "missing", causes: [s.graph.external?.(key) ? "never observed (`dagx observe " + key + "`)" : "never materialized"], materialization: null, failure: f };
  const causes: string[] = [];
  const code = s.graph.codeVersion(key);
  if (m.codeVersion !== code) causes.push(`code changed (${short(m.codeVersion)} → ${short(code)})`);
  if (configChanged(m.configHash, s.graph.configHash?.(key))) causes.push(`config changed (${short(m.configHash!)} → ${short(s.graph.configHash!(key)!)})`);
  if (s.drifted.has(key)) causes.push("output file changed after its last recorded materialization (an interrupted run?)");
  for (const up of s.graph.upstream.get(key) ?? []) {
    const u = upstream(up);
    if (u.version === null) causes.push(`upstream "${up}" is missing`);
    else if (m.inputVersions[up] !== u.version) causes.push(`upstream "${up}" has newer data`);
    else if (u.status === "stale") causes.push(`upstream "${up}" is stale`);
    else if (u.status === "failed") causes.push(`upstream "${up}" failed its last run`);
  }
  return { key, status: causes.length ? "stale" : "fresh", causes, materialization: m, failure: null };
}

function firstLine(s: string): string {
  const l = s.split("\n")[0] ?? "";
  return l.length > 200 ? `${l.slice(0, 197)}...` : l;
}

/**
 * The provenance rule of run config: stale when the last materialization recorded a config hash and
 * a plain run would now use another (its schema's defaults differ from the config it ran with).
 * Either side unknown (no schema, a row from before state schema 8, a schema with required fields
 * and so no plain run) compares as unchanged: a schema added or removed changes the code version.
 */
export function configChanged(recorded: string | null | undefined, plain: string | null | undefined): boolean {
  return typeof recorded === "string" && typeof plain === "string" && recorded !== plain;
}
