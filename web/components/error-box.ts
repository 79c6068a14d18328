/** An API error as the pages show it: the message, and for a selection error the server's caret under the offending token in a monospace block. */
import { html } from "../html.ts";
import type { ApiRequestError } from "../api.ts";

export function ErrorBox({ error }: { error: ApiRequestError | Error | null }) {
  if (!error) return null;
  const pointer = (error as ApiRequestError).pointer;
  return html`<div class="error-box" role="alert">
    <div class="error-message">${error.message}</div>
    ${pointer ? html`<pre class="pointer">${pointer}</pre>` : null}
  </div>`;
}
