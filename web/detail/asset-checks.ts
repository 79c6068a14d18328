/** The asset page's checks: the latest result of each, then the history of results. */
import { html } from "../html.ts";
import type { ApiCheckResult } from "../../core/ui-api.ts";
import { Badge } from "./ui.ts";
import { fmtTime, fmtValue, shortId } from "./format.ts";

function outcome(c: ApiCheckResult): string {
  return c.passed ? "passed" : c.severity === "warn" ? "warned" : "failed";
}

const UNDECLARED = "dagx/undeclared";

/** Reported by a step (a Pipes script, a dbt build) without being declared on the asset. */
function undeclared(c: ApiCheckResult): boolean {
  return c.metadata?.[UNDECLARED] === true;
}

/** Failing rows as dbt tests (`failing_rows`) and built-in checks (`failing`) count them, when the result says. */
function failingRows(c: ApiCheckResult): number | null {
  const n = c.metadata?.failing_rows ?? c.metadata?.failing;
  return typeof n === "number" ? n : null;
}

/** The metadata left to show as text once the flags above are shown on their own. */
function shownMetadata(c: ApiCheckResult): Record<string, unknown> | null {
  if (!c.metadata) return null;
  const rest = Object.fromEntries(Object.entries(c.metadata).filter(([k]) => k !== UNDECLARED && k !== "failing_rows" && k !== "failing"));
  return Object.keys(rest).length ? rest : null;
}

function Rows({ items }: { items: ApiCheckResult[] }) {
  return html`<table class="data check-results">
    <thead><tr><th>check</th><th>partition</th><th>result</th><th>severity</th><th>time</th><th>run</th><th>detail</th></tr></thead>
    <tbody>
      ${items.map(
        (c) => html`<tr class="check-row" data-check=${c.check} data-status=${outcome(c)}>
          <td>${c.check}${c.blocking ? html` <span class="muted">blocking</span>` : null}${undeclared(c) ? html` <span class="check-flag" data-flag="undeclared" title="reported by the step, not declared on the asset (declare it with checkSpec)">undeclared</span>` : null}${c.description ? html`<div class="muted small">${c.description}</div>` : null}</td>
          <td>${c.partition ?? "—"}</td>
          <td><${Badge} status=${outcome(c)} /></td>
          <td>${c.severity}</td>
          <td class="nowrap">${fmtTime(c.at)}</td>
          <td>${c.runId ? html`<a href=${`/runs/${encodeURIComponent(c.runId)}`}><code>${shortId(c.runId)}</code></a>` : "—"}</td>
          <td class="meta">${c.error ?? ""}${failingRows(c) !== null ? html`<div class="failing-rows">failing rows: ${failingRows(c)}</div>` : null}${shownMetadata(c) ? html`<div class="muted">${fmtValue(shownMetadata(c))}</div>` : null}${c.sample?.length ? html`<details><summary class="small">sample of failing rows (${c.sample.length})</summary><code class="wrap small">${c.sample.map((r) => fmtValue(r)).join("\n")}</code></details>` : null}</td>
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
