/** The asset page's checks: the latest result of each, then the history of results. */
import { html } from "../html.ts";
import type { ApiCheckResult } from "../../core/ui-api.ts";
import { Badge } from "./ui.ts";
import { fmtTime, fmtValue, shortId } from "./format.ts";

function outcome(c: ApiCheckResult): string {
  return c.passed ? "passed" : c.severity === "warn" ? "warned" : "failed";
}

function Rows({ items }: { items: ApiCheckResult[] }) {
  return html`<table class="data checks">
    <thead><tr><th>check</th><th>partition</th><th>result</th><th>severity</th><th>time</th><th>run</th><th>detail</th></tr></thead>
    <tbody>
      ${items.map(
        (c) => html`<tr class="check-row" data-check=${c.check} data-status=${outcome(c)}>
          <td>${c.check}${c.blocking ? html` <span class="muted">blocking</span>` : null}</td>
          <td>${c.partition ?? "—"}</td>
          <td><${Badge} status=${outcome(c)} /></td>
          <td>${c.severity}</td>
          <td class="nowrap">${fmtTime(c.at)}</td>
          <td>${c.runId ? html`<a href=${`/runs/${encodeURIComponent(c.runId)}`}><code>${shortId(c.runId)}</code></a>` : "—"}</td>
          <td class="meta">${c.error ?? ""}${c.metadata ? html`<div class="muted">${fmtValue(c.metadata)}</div>` : null}</td>
        </tr>`,
      )}
    </tbody>
  </table>`;
}

export function Checks({ checks }: { checks: { latest: ApiCheckResult[]; history: ApiCheckResult[] } }) {
  if (!checks.latest.length && !checks.history.length) return html`<p class="muted">No checks have run on this asset.</p>`;
  return html`<div>
    <${Rows} items=${checks.latest} />
    ${checks.history.length > checks.latest.length
      ? html`<details><summary>History (${checks.history.length} results)</summary><div class="scroll-y"><${Rows} items=${checks.history} /></div></details>`
      : null}
  </div>`;
}
