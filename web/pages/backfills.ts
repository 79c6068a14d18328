/** /backfills: every backfill (`dagx backfill list --json`), newest first, with its progress; live. */
import "../detail/styles.ts";
import { html } from "../html.ts";
import { useApi } from "../api.ts";
import type { PageProps } from "../routes.ts";
import type { ApiBackfills } from "../../core/ui-api.ts";
import { Badge, ErrorBox, ProportionBar } from "../detail/ui.ts";
import { fmtTime, shortId } from "../detail/format.ts";
import { countParts, type BackfillDoc } from "../detail/backfill-progress.ts";

export function BackfillsPage(_props: PageProps) {
  const { data, error } = useApi<ApiBackfills>("/api/backfills", ["backfills"]);
  const list = (data?.backfills ?? []) as BackfillDoc[];
  return html`<div class="backfills-page">
    <h1>Backfills</h1>
    <${ErrorBox} error=${error} />
    ${!data
      ? error ? null : html`<p class="muted">Loading…</p>`
      : list.length
        ? html`<table class="data backfills-table">
            <thead><tr><th>backfill</th><th>status</th><th>selection</th><th>partitions</th><th>progress</th><th>created</th><th>updated</th></tr></thead>
            <tbody>
              ${list.map(
                (b) => html`<tr class="backfill-row" data-backfill-id=${b.backfillId} data-status=${b.status}>
                  <td><a href=${`/backfills/${encodeURIComponent(b.backfillId)}`}><code>${shortId(b.backfillId)}</code></a></td>
                  <td><${Badge} status=${b.status} /></td>
                  <td><code>${b.selection}</code></td>
                  <td><code>${b.partitions}</code></td>
                  <td class="progress-cell"><${ProportionBar} parts=${countParts(b.counts)} total=${b.counts.total} />
                    <span class="muted">${b.counts.success + b.counts.failed + b.counts.skipped + b.counts.canceled} / ${b.counts.total}</span></td>
                  <td class="nowrap">${fmtTime(b.createdAt)}</td>
                  <td class="nowrap">${fmtTime(b.updatedAt)}</td>
                </tr>`,
              )}
            </tbody>
          </table>`
        : html`<p class="muted">No backfills yet. Start one from a partitioned asset's page (Backfill…) or with <code>dagx backfill</code>.</p>`}
  </div>`;
}
