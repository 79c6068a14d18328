/** `dagx status KEY`: everything known about one asset, for humans. */
import { formatDuration } from "../core/duration.ts";
import type { LoadedAsset } from "../core/definitions.ts";
import type { FreshnessResult } from "../core/freshness.ts";
import { formatRanges } from "../core/partitions/index.ts";
import type { StatusInfo } from "../core/status/index.ts";
import type { PartitionStatusInfo } from "../io/status/index.ts";
import type { CheckSummary } from "../io/run/index.ts";
import { ago, type Colors, groupDigits, type Output } from "./output.ts";
import { userMetadata } from "../io/reports/index.ts";

/** "2 checks failed" for the status table, or "" when all passed. */
export function checkLine(s: CheckSummary | undefined, c: Colors): string {
  if (!s || s.failed + s.warned === 0) return "";
  const parts = [s.failed ? c.red(`${s.failed} check(s) failed`) : "", s.warned ? c.yellow(`${s.warned} warning(s)`) : ""].filter(Boolean);
  return parts.join(", ");
}

type Paint = Record<StatusInfo["status"], (s: string) => string>;

export function printDetail(out: Output, a: LoadedAsset, s: Pick<StatusInfo, "status" | "causes" | "materialization" | "failure">, ps: PartitionStatusInfo | null, f: FreshnessResult | null, paint: Paint, checks: CheckSummary | null = null): void {
  const { c } = out;
  const line = (label: string, value: string) => out.print(`${c.dim(label.padEnd(Math.max(14, label.length + 2)))}${value}`);
  out.print(`${c.bold(a.key)}  ${paint[s.status](s.status)}${a.description ? `  ${c.dim(a.description)}` : ""}`);
  line("group", a.group);
  if (a.owners.length) line("owners", a.owners.join(", "));
  if (a.kinds.length) line("kinds", a.kinds.join(", "));
  if (Object.keys(a.tags).length) line("tags", Object.entries(a.tags).map(([k, v]) => `${k}=${v}`).join(", "));
  line("deps", a.deps.join(", ") || "—");
  line("defined at", a.location ?? a.file);
  line("code version", a.codeVersion);
  for (const cause of s.status === "fresh" ? [] : s.causes) line("cause", cause);
  if (f) line("freshness", `${f.state === "fresh" ? c.green(f.state) : f.state === "late" ? c.yellow(f.state) : c.red(f.state)} (${f.reason})`);
  if (ps) {
    line("partitions", `${ps.space.label}: ${ps.materialized.size}/${ps.total} materialized, ${ps.failed.size} failed, ${ps.stale.size} stale, ${ps.missing.size} missing`);
    if (!ps.materialized.isEmpty) line("  materialized", formatRanges(ps.materialized, ps.space, { maxRanges: 5 }));
    if (!ps.failed.isEmpty) line("  failed", formatRanges(ps.failed, ps.space, { maxRanges: 5 }));
    if (!ps.stale.isEmpty) line("  stale", formatRanges(ps.stale, ps.space, { maxRanges: 5 }));
  }
  const m = s.materialization;
  if (!m) line("last run", c.dim("never materialized"));
  else {
    const dur = m.metadata?.["dagx/durationMs"];
    line("last run", `${ago(m.at)} (${new Date(m.at).toISOString()}) run ${m.runId}${m.partitionKey ? ` partition ${m.partitionKey}` : ""}`);
    line("output", `${m.path || "(side effect)"}${m.rows !== null ? ` · ${groupDigits(m.rows)} rows` : ""}${m.bytes !== null ? ` · ${groupDigits(m.bytes)} bytes` : ""}${typeof dur === "number" ? ` · ${formatDuration(dur)}` : ""}`);
    if (m.schema?.length) line("schema", m.schema.map((col) => `${col.name} ${c.dim(col.type)}`).join(", "));
    const change = m.metadata?.["dagx/schemaChange"] as { added: string[]; removed: string[]; changed: { name: string; from: string; to: string }[] } | undefined;
    if (change) line("schema change", [...change.added.map((n) => c.green(`+${n}`)), ...change.removed.map((n) => c.red(`-${n}`)), ...change.changed.map((x) => c.yellow(`${x.name} ${x.from}→${x.to}`))].join(", "));
    const meta = userMetadata(m.metadata);
    if (meta) for (const [k, v] of Object.entries(meta)) line(`  ${k}`, typeof v === "string" ? v : JSON.stringify(v));
  }
  if (checks) {
    line("checks", `${checks.passed} passed, ${checks.failed} failed, ${checks.warned} warning(s)`);
    for (const r of checks.latest.filter((x) => !x.passed).slice(0, 10)) line(`  ${r.checkName}`, `${r.severity === "error" ? c.red("failed") : c.yellow("warn")}${r.partitionKey ? ` [${r.partitionKey}]` : ""}${r.error ? `: ${r.error}` : ""}`);
  }
  if (s.failure && s.status === "failed") line("last failure", `${ago(s.failure.at)} run ${s.failure.runId}: ${s.failure.error.split("\n")[0]}`);
}
