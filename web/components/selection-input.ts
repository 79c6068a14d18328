/**
 * A box for the selection grammar (the CLI's: `tag:domain=sales+`, `group:raw`, `+orders`…):
 * Enter or "Select" applies it, "Clear" removes it. The page asks GET /api/selection and shows
 * the server's error (with its caret) through ErrorBox.
 */
import { useEffect, useState } from "preact/hooks";
import { html } from "../html.ts";

export function SelectionInput({ value, onApply, placeholder }: { value: string; onApply: (selection: string) => void; placeholder?: string }) {
  const [text, setText] = useState(value);
  useEffect(() => setText(value), [value]);
  const submit = (e: Event) => {
    e.preventDefault();
    onApply(text.trim());
  };
  return html`<form class="selection-input" onSubmit=${submit}>
    <input type="search" name="selection" spellcheck=${false} autocomplete="off" value=${text} placeholder=${placeholder ?? "selection, e.g. group:marts+ or tag:domain=sales"} onInput=${(e: Event) => setText((e.target as HTMLInputElement).value)} aria-label="Selection" />
    <button type="submit">Select</button>
    ${value ? html`<button type="button" class="secondary" onClick=${() => onApply("")}>Clear</button>` : null}
  </form>`;
}
