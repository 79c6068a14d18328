/** Small pieces the detail pages share: a status badge, an error box, a key/value list, a bar of proportions. */
import type { ComponentChildren } from "preact";
import { html } from "../html.ts";
import type { ApiRequestError } from "../api.ts";

/** A coloured status word (`data-status` carries it for tests). */
export function Badge({ status }: { status: string }) {
  return html`<span class=${`badge st-${status}`} data-status=${status}>${status}</span>`;
}

/** An API error as text: the server's message, and a selection error's caret pointer in a monospace block. */
export function ErrorBox({ error }: { error: ApiRequestError | Error | null }) {
  if (!error) return null;
  const pointer = (error as ApiRequestError).pointer;
  return html`<div class="error-box" role="alert">
    <div>${error.message}</div>
    ${pointer ? html`<pre>${pointer}</pre>` : null}
  </div>`;
}

/** A definition list of label → value (values are text or elements). */
export function Facts({ rows }: { rows: [string, ComponentChildren][] }) {
  return html`<dl class="facts">${rows.map(([k, v]) => html`<dt>${k}</dt><dd>${v ?? "—"}</dd>`)}</dl>`;
}

/** One horizontal bar cut into coloured parts by count (CSS classes `seg-<name>`), with a title per part. */
export function ProportionBar({ parts, total, label }: { parts: [string, number][]; total: number; label?: string }) {
  const sum = total || parts.reduce((a, [, n]) => a + n, 0) || 1;
  return html`<div class="pbar" title=${label ?? parts.map(([k, n]) => `${k}: ${n}`).join(", ")}>
    ${parts.filter(([, n]) => n > 0).map(([k, n]) => html`<span class=${`seg seg-${k}`} data-part=${k} style=${{ width: `${(100 * n) / sum}%` }} title=${`${k}: ${n}`}></span>`)}
  </div>`;
}

/** A titled section of a detail page. */
export function Section({ title, id, children }: { title: string; id?: string; children: ComponentChildren }) {
  return html`<section class="detail-section" id=${id}>
    <h2>${title}</h2>
    ${children}
  </section>`;
}
