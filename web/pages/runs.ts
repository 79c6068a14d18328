/**
 * /runs: the runs table, newest first, filtered by status, trigger, asset and tag. The filters live
 * in the page's query string (shareable links) and go to GET /api/runs as they are; live.
 */
import "../detail/styles.ts";
import { html } from "../html.ts";
import { useApi } from "../api.ts";
import { navigate } from "../main.ts";
import type { PageProps } from "../routes.ts";
import type { ApiRuns } from "../../core/ui-api.ts";
import { Badge, ErrorBox } from "../detail/ui.ts";
import { fmtDuration, fmtTags, fmtTime, spanMs } from "../detail/format.ts";

const FILTERS = ["status", "trigger", "asset", "tag"] as const;
const STATUSES = ["running", "success", "failed", "canceled", "abandoned"];

export function RunsPage({ query }: PageProps) {
  const params = new URLSearchParams();
  for (const f of FILTERS) {
    const v = query.get(f);
    if (v) params.set(f, v);
  }
  params.set("limit", query.get("limit") ?? "200");
  const { data, error } = useApi<ApiRuns>(`/api/runs?${params}`, ["runs"]);

  function apply(e: Event) {
    e.preventDefault();
    const form = new FormData(e.currentTarget as HTMLFormElement);
    const q = new URLSearchParams();
    for (const f of FILTERS) {
      const v = String(form.get(f) ?? "").trim();
      if (v) q.set(f, v);
    }
    navigate(`/runs${q.size ? `?${q}` : ""}`);
  }

  return html`<div class="runs-page">
    <h1>Runs</h1>
    <form class="filters" key=${query.toString()} onSubmit=${apply}>
      <label>Status <select name="status" value=${query.get("status") ?? ""} onChange=${(e: Event) => (e.currentTarget as HTMLSelectElement).form?.requestSubmit()}>
        <option value="">any</option>
        ${STATUSES.map((s) => html`<option value=${s}>${s}</option>`)}
      </select></label>
      <label>Trigger <input name="trigger" placeholder="cli, ui, schedule…" defaultValue=${query.get("trigger") ?? ""} /></label>
      <label>Asset <input name="asset" placeholder="asset key" defaultValue=${query.get("asset") ?? ""} /></label>
      <label>Tag <input name="tag" placeholder="key=value" defaultValue=${query.get("tag") ?? ""} /></label>
      <button type="submit">Filter</button>
      ${FILTERS.some((f) => query.get(f)) ? html`<a href="/runs">clear</a>` : null}
    </form>
    <${ErrorBox} error=${error} />
    ${data
      ? data.runs.length
        ? html`<table class="data runs-table">
            <thead><tr><th>run</th><th>status</th><th>trigger</th><th>selection</th><th>started</th><th>duration</th><th>tags</th></tr></thead>
            <tbody>
              ${data.runs.map(
                (r) => html`<tr class="run-row" data-run-id=${r.runId} data-status=${r.status}>
                  <td><a href=${`/runs/${encodeURIComponent(r.runId)}`}><code>${r.runId}</code></a></td>
                  <td><${Badge} status=${r.status} /></td>
                  <td>${r.trigger}</td>
                  <td><code>${r.selection}</code></td>
                  <td class="nowrap">${fmtTime(r.startedAt)}</td>
                  <td>${r.status === "running" ? "running" : fmtDuration(spanMs(r.startedAt, r.endedAt))}</td>
                  <td class="muted">${fmtTags(r.tags)}</td>
                </tr>`,
              )}
            </tbody>
          </table>`
        : html`<p class="muted">No runs${FILTERS.some((f) => query.get(f)) ? " match these filters" : " yet"}.</p>`
      : error ? null : html`<p class="muted">Loading…</p>`}
  </div>`;
}
