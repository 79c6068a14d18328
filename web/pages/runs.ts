import { html } from "../html.ts";
import type { PageProps } from "../routes.ts";

/** Placeholder: replaced by the page's implementation. */
export function RunsPage(_props: PageProps) {
  return html`<p class="todo">RunsPage</p>`;
}
