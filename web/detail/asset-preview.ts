/** The asset page's data preview: the first 100 rows of the current output (GET …/preview); a 404 shows the server's message. */
import { html } from "../html.ts";
import { useApi } from "../api.ts";
import type { ApiPreview } from "../../core/ui-api.ts";
import { assetApi, fmtValue } from "./format.ts";

const NO_TOPICS = [] as const;

/**
 * `materializedAt`: the latest materialization's time; none → no request (the server would answer
 * 404). The preview is asked again only when that time changes (it is part of the path), not on
 * every change event: a query per event would be wasted while a long backfill runs.
 */
export function Preview({ assetKey, materializedAt }: { assetKey: string; materializedAt: string | null }) {
  const { data, error } = useApi<ApiPreview>(materializedAt ? assetApi(assetKey, `/preview?at=${encodeURIComponent(materializedAt)}`) : null, NO_TOPICS);
  if (!materializedAt) return html`<p class="muted preview-message">Never materialized: nothing to preview.</p>`;
  if (error) return html`<p class="muted preview-message">${error.message}</p>`;
  if (!data) return html`<p class="muted">Loading preview…</p>`;
  if (!data.columns.length) return html`<p class="muted preview-message">No rows.</p>`;
  return html`<div class="preview scroll-both">
    <table class="data">
      <thead><tr>${data.columns.map((c) => html`<th title=${c.type}>${c.name}</th>`)}</tr></thead>
      <tbody>${data.rows.map((r) => html`<tr>${data.columns.map((c) => html`<td>${fmtValue(r[c.name])}</td>`)}</tr>`)}</tbody>
    </table>
    <p class="muted">${data.rows.length} row${data.rows.length === 1 ? "" : "s"}${data.truncated ? " shown (the first 100)" : ""}</p>
  </div>`;
}
