/** The asset page's materialization history (newest first) with each one's metadata, and its schema and schema changes. */
import { html } from "../html.ts";
import type { ApiMaterialization } from "../../core/ui-api.ts";
import { fmtBytes, fmtCount, fmtDuration, fmtTime, fmtValue, shortId } from "./format.ts";

/** User metadata (not `dagx/…`) as `key: value` text lines. */
function userMetadata(m: ApiMaterialization): string[] {
  return Object.entries(m.metadata ?? {})
    .filter(([k]) => !k.startsWith("dagx/"))
    .map(([k, v]) => `${k}: ${fmtValue(v)}`);
}

export function History({ history, partitioned }: { history: ApiMaterialization[]; partitioned: boolean }) {
  if (!history.length) return html`<p class="muted">Never materialized.</p>`;
  return html`<div class="scroll-y"><table class="data history">
    <thead><tr><th>time</th><th>run</th>${partitioned ? html`<th>partition</th>` : null}<th>rows</th><th>bytes</th><th>duration</th><th>data version</th><th>code</th><th>metadata</th></tr></thead>
    <tbody>
      ${history.map(
        (m) => html`<tr class="materialization" data-run-id=${m.runId}>
          <td class="nowrap">${fmtTime(m.at)}</td>
          <td><a href=${`/runs/${encodeURIComponent(m.runId)}`}><code>${shortId(m.runId)}</code></a></td>
          ${partitioned ? html`<td>${m.partition ?? "—"}</td>` : null}
          <td class="num">${fmtCount(m.rows)}</td>
          <td class="num">${fmtBytes(m.bytes)}</td>
          <td class="num">${fmtDuration(m.durationMs)}</td>
          <td><code>${m.dataVersion.slice(0, 12)}</code></td>
          <td><code>${m.codeVersion.slice(0, 12)}</code></td>
          <td class="meta">${userMetadata(m).map((l) => html`<div>${l}</div>`)}</td>
        </tr>`,
      )}
    </tbody>
  </table></div>`;
}

function changeText(items: unknown[]): string {
  return items.map((c) => (c && typeof c === "object" && "name" in c ? `${(c as { name: string }).name}${"type" in c ? ` ${fmtValue((c as { type: unknown }).type)}` : ""}${"from" in c ? ` ${fmtValue((c as { from: unknown }).from)} → ${fmtValue((c as { to?: unknown }).to)}` : ""}` : fmtValue(c))).join(", ");
}

/** The current schema (the latest materialization's) and every recorded change, newest first. */
export function Schema({ history }: { history: ApiMaterialization[] }) {
  const latest = history.find((m) => m.schema);
  const changes = history.filter((m) => m.schemaChange && (m.schemaChange.added.length || m.schemaChange.removed.length || m.schemaChange.changed.length));
  return html`<div class="schema">
    ${latest?.schema
      ? html`<table class="data"><thead><tr><th>column</th><th>type</th></tr></thead>
          <tbody>${latest.schema.map((c) => html`<tr><td>${c.name}</td><td><code>${c.type}</code></td></tr>`)}</tbody></table>`
      : html`<p class="muted">No schema recorded (a JSON value or a side-effect asset).</p>`}
    ${changes.length
      ? html`<h3>Schema changes</h3><ul class="schema-changes">
          ${changes.map(
            (m) => html`<li>
              ${fmtTime(m.at)} (run <a href=${`/runs/${encodeURIComponent(m.runId)}`}>${shortId(m.runId)}</a>):
              ${m.schemaChange!.added.length ? html` <span class="added">added ${changeText(m.schemaChange!.added)}</span>` : null}
              ${m.schemaChange!.removed.length ? html` <span class="removed">removed ${changeText(m.schemaChange!.removed)}</span>` : null}
              ${m.schemaChange!.changed.length ? html` <span class="changed">changed ${changeText(m.schemaChange!.changed)}</span>` : null}
            </li>`,
          )}
        </ul>`
      : null}
  </div>`;
}
