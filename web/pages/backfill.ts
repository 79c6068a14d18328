import { html } from "../html.ts";
import type { PageProps } from "../routes.ts";

/** Placeholder: replaced by the page's implementation. */
export function BackfillPage(_props: PageProps) {
  return html`<p class="todo">BackfillPage</p>`;
}
