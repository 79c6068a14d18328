/** Small pieces the detail pages share: a status badge, an error box, a key/value list, a bar of proportions. */
import type { ComponentChildren } from "preact";
import { html } from "../html.ts";

/** A coloured status word (`data-status` carries it for tests): the app's status badge. */
export { StatusBadge as Badge } from "../components/status.ts";
/** An API error as text, with a selection error's caret block. */
export { ErrorBox } from "../components/error-box.ts";

/** A definition list of label → value (values are text or elements). */
export function Facts({ rows }: { rows: [string, ComponentChildren][] }) {
  return html`<dl class="facts">${rows.map(([k, v]) => html`<dt>${k}</dt><dd>${v ?? "—"}</dd>`)}</dl>`;
}

/** One horizontal bar cut into coloured parts by count (CSS classes `seg-<name>`), with a title per part. */
export function ProportionBar({ parts, total, label }: { parts: [string, number][]; total: number; label?: string }) {
  const sum = total || parts.reduce((a, [, n]) => a + n, 0) || 1;
  return html`<div class="prop-bar" title=${label ?? parts.map(([k, n]) => `${k}: ${n}`).join(", ")}>
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
