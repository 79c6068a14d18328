/**
 * The Gantt of a run's steps, built from its events: one bar per asset/partition from
 * `step_started` to its `step_success|step_failed|step_canceled` (still growing while it runs),
 * coloured by result; skipped steps are a mark at their time. Bars are positioned in percent of the
 * run's span through `style` properties (CSSOM, allowed by the CSP). A run with more than
 * `MAX_ROWS` steps is drawn one row per asset (its partitions aggregated: first start to last end,
 * counts by result); more than `MAX_ROWS` assets are capped with a note.
 */
import { html } from "../html.ts";
import type { ApiEvent } from "../../core/ui-api.ts";
import { fmtDuration } from "../detail/format.ts";

/** Rows drawn at most; beyond, steps aggregate per asset, then assets are capped. */
export const MAX_ROWS = 150;

export interface GanttRow {
  key: string;
  partition: string | null;
  /** running | success | failed | canceled | skipped | retrying */
  status: string;
  start: number;
  end: number | null;
  /** Steps in this row (1 unless aggregated) and their results. */
  steps: number;
  counts: Record<string, number>;
}

const END: Record<string, string> = { step_success: "success", step_failed: "failed", step_canceled: "canceled", step_skipped: "skipped" };

/** Rows of steps in order of first start, from the run's events (in seq order). */
export function ganttRows(events: ApiEvent[]): GanttRow[] {
  const rows = new Map<string, GanttRow>();
  for (const e of events) {
    if (!e.assetKey || !e.type.startsWith("step_")) continue;
    const id = `${e.assetKey}\u0000${e.partitionKey ?? ""}`;
    const at = Date.parse(e.at);
    let row = rows.get(id);
    if (!row) rows.set(id, (row = { key: e.assetKey, partition: e.partitionKey || null, status: "running", start: at, end: null, steps: 1, counts: {} }));
    if (e.type === "step_started") {
      if (row.status !== "running" || row.end !== null) row.start = Math.min(row.start, at);
      row.status = "running";
      row.end = null;
    } else if (e.type === "step_retry") row.status = "retrying";
    else if (END[e.type]) {
      row.status = END[e.type]!;
      row.end = at;
    }
  }
  for (const r of rows.values()) r.counts = { [r.status]: 1 };
  return [...rows.values()].sort((a, b) => a.start - b.start);
}

/** Rows per asset: each asset's steps merged (first start, last end, counts by result). */
export function aggregateByAsset(rows: GanttRow[]): GanttRow[] {
  const by = new Map<string, GanttRow>();
  for (const r of rows) {
    const a = by.get(r.key);
    if (!a) {
      by.set(r.key, { ...r, partition: null, counts: { [r.status]: 1 } });
      continue;
    }
    a.steps++;
    a.start = Math.min(a.start, r.start);
    a.end = a.end === null || r.end === null ? null : Math.max(a.end, r.end);
    a.counts[r.status] = (a.counts[r.status] ?? 0) + 1;
  }
  for (const a of by.values()) {
    const c = a.counts;
    a.status = c.running || c.retrying ? "running" : c.failed ? "failed" : c.canceled ? "canceled" : c.success ? "success" : "skipped";
  }
  return [...by.values()];
}

/** The Gantt chart; `now` closes the bars of running steps. */
export function Gantt({ events, now, runStart, runEnd }: { events: ApiEvent[]; now: number; runStart: string; runEnd: string | null }) {
  let rows = ganttRows(events);
  const steps = rows.length;
  let note = "";
  if (rows.length > MAX_ROWS) {
    rows = aggregateByAsset(rows);
    note = `${steps.toLocaleString("en-US")} steps, shown one row per asset`;
    if (rows.length > MAX_ROWS) {
      note += `; first ${MAX_ROWS} of ${rows.length} assets`;
      rows = rows.slice(0, MAX_ROWS);
    }
  }
  if (!rows.length) return html`<p class="muted gantt-empty">No steps yet.</p>`;
  const t0 = Math.min(Date.parse(runStart), ...rows.map((r) => r.start));
  const t1 = Math.max(runEnd ? Date.parse(runEnd) : now, ...rows.map((r) => r.end ?? now), t0 + 1);
  const pct = (t: number) => (100 * (t - t0)) / (t1 - t0);
  const ticks = [0, 0.25, 0.5, 0.75, 1];
  return html`<div class="gantt" data-rows=${rows.length} data-steps=${steps}>
    ${note ? html`<p class="muted">${note}</p>` : null}
    <div class="gantt-axis"><span class="gantt-label"></span><span class="gantt-track">${ticks.map((f) => html`<span class=${`gantt-tick${f === 0 ? " first" : f === 1 ? " last" : ""}`} style=${{ left: `${f * 100}%` }}>${fmtDuration(f * (t1 - t0))}</span>`)}</span></div>
    ${rows.map((r) => {
      const end = r.end ?? now;
      const label = r.partition !== null ? `${r.key} [${r.partition}]` : r.key;
      const counts = Object.entries(r.counts).map(([k, n]) => `${n} ${k}`).join(", ");
      const title = `${label}: ${r.status}${r.steps > 1 ? ` (${r.steps} steps: ${counts})` : ""}, ${fmtDuration(end - r.start)}`;
      return html`<div class="gantt-row" data-step-key=${r.key} data-partition=${r.partition ?? ""} data-status=${r.status}>
        <span class="gantt-label" title=${label}>${label}${r.steps > 1 ? html` <span class="muted">×${r.steps}</span>` : null}</span>
        <span class="gantt-track">
          <span class=${`gantt-bar st-${r.status}`} title=${title} style=${{ left: `${pct(r.start)}%`, width: r.status === "skipped" ? "3px" : `max(2px, ${pct(end) - pct(r.start)}%)` }}></span>
        </span>
      </div>`;
    })}
  </div>`;
}
