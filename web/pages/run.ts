import { html } from "../html.ts";
import type { PageProps } from "../routes.ts";

/** Placeholder: replaced by the page's implementation. */
export function RunPage(_props: PageProps) {
  return html`<p class="todo">RunPage</p>`;
}
