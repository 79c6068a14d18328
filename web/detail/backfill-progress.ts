/**
 * Backfill progress: the document of `dagx backfill show --json`, its counts as bar parts, and per
 * asset a strip of its partitions. A strip has one element per partition up to `STRIP_CELLS`, else
 * one per bucket of consecutive partitions shaded by the share of each status (never one element per
 * partition of a big backfill).
 */
import { html } from "../html.ts";
import { shareGradient } from "../components/health-bar.ts";
import { ProportionBar } from "./ui.ts";
import type { BackfillCounts } from "../../core/types.ts";

export type { BackfillCounts };

export interface BackfillStep {
  key: string;
  partition: string | null;
  status: string;
  runId?: string | null;
  error?: string | null;
}

export interface BackfillDoc {
  backfillId: string;
  status: string;
  selection: string;
  partitions: string;
  createdAt: string;
  updatedAt: string;
  counts: BackfillCounts;
  steps?: BackfillStep[];
}

const ORDER = ["success", "failed", "canceled", "skipped", "running", "pending"] as const;
const COLOR: Record<string, string> = { success: "var(--fresh)", failed: "var(--failed)", canceled: "var(--stale)", skipped: "var(--missing)", running: "var(--running)", pending: "var(--line)" };

/** Bar parts from counts, in drawing order. */
export function countParts(c: BackfillCounts): [string, number][] {
  return ORDER.filter((k) => k in c).map((k) => [k, (c as unknown as Record<string, number>)[k] ?? 0]);
}

/** Cells a strip draws at most. */
export const STRIP_CELLS = 200;

function tally(steps: BackfillStep[]): Record<string, number> {
  const t: Record<string, number> = {};
  for (const s of steps) t[s.status] = (t[s.status] ?? 0) + 1;
  return t;
}

/** One asset's partitions as a strip (cells or buckets), in the order the backfill lists them. */
function Strip({ steps }: { steps: BackfillStep[] }) {
  const per = Math.max(1, Math.ceil(steps.length / STRIP_CELLS));
  const cells: BackfillStep[][] = [];
  for (let i = 0; i < steps.length; i += per) cells.push(steps.slice(i, i + per));
  return html`<div class="health-bar backfill-strip" data-cells=${cells.length}>
    ${cells.map((c) => {
      const t = tally(c);
      const first = c[0]!;
      const last = c[c.length - 1]!;
      const title = c.length === 1 ? `${first.partition ?? "—"}: ${first.status}${first.error ? ` — ${first.error}` : ""}` : `${first.partition} .. ${last.partition} (${c.length}): ${Object.entries(t).map(([k, n]) => `${n} ${k}`).join(", ")}`;
      return html`<span class="hb-bucket" data-status=${c.length === 1 ? first.status : ""} title=${title} style=${{ flexGrow: String(c.length), background: shareGradient(ORDER.map((k) => [COLOR[k]!, t[k] ?? 0])) }}></span>`;
    })}
  </div>`;
}

/** Progress per asset: counts, a bar, the partition strip, and its failed partitions with their errors. */
export function PerAsset({ steps }: { steps: BackfillStep[] }) {
  const by = new Map<string, BackfillStep[]>();
  for (const s of steps) {
    const l = by.get(s.key);
    if (l) l.push(s);
    else by.set(s.key, [s]);
  }
  return html`<div class="per-asset">
    ${[...by].map(([key, list]) => {
      const t = tally(list);
      const failed = list.filter((s) => s.status === "failed");
      return html`<div class="backfill-asset" data-asset=${key}>
        <h3>${key} <span class="muted">${Object.entries(t).map(([k, n]) => `${n} ${k}`).join(" · ")}</span></h3>
        <${ProportionBar} parts=${ORDER.map((k) => [k, t[k] ?? 0])} total=${list.length} />
        <${Strip} steps=${list} />
        ${failed.length
          ? html`<ul class="failures">${failed.slice(0, 20).map((s) => html`<li>${s.partition ?? "—"}: ${s.error ?? "failed"}${s.runId ? html` (<a href=${`/runs/${encodeURIComponent(s.runId)}`}>run</a>)` : null}</li>`)}
              ${failed.length > 20 ? html`<li class="muted">… ${failed.length - 20} more</li>` : null}</ul>`
          : null}
      </div>`;
    })}
  </div>`;
}
