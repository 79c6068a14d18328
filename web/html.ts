/** `html` tagged templates bound to Preact (htm: no JSX build step; values are text, never parsed as HTML). */
import { h } from "preact";
import htm from "htm";

export const html = htm.bind(h);
