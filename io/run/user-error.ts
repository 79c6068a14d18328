/** The one boundary that turns what user code throws into a message with the user's file:line. */
import { relative } from "node:path";
import { SqlError } from "../../core/errors.ts";

/** First stack frame inside the project (not node_modules, not dagx itself), as "file:line:col". */
export function userFrame(stack: string | undefined, root: string): string | null {
  if (!stack) return null;
  for (const line of stack.split("\n").slice(1)) {
    const m = /\(?((?:file:\/\/)?\/[^():\s]+):(\d+):(\d+)\)?\s*$/.exec(line);
    if (!m) continue;
    const file = m[1]!.replace(/^file:\/\//, "");
    if (file.includes("/node_modules/") || file.includes("$bunfs") || !file.startsWith(root)) continue;
    return `${relative(root, file)}:${m[2]}:${m[3]}`;
  }
  return null;
}

/**
 * "message (at file:line:col)" for an error thrown by user code; DagxErrors keep their message. A
 * failed ctx.sql names the line of its query ("ctx.sql failed at file:line:col: …") and carries the
 * compiled SQL as `detail` (for --verbose). A query in tail position (`(ctx) => ctx.sql\`…\``) has
 * no frame of its own (JavaScriptCore drops tail callers from stacks): then `definedAt`, the
 * absolute "file:line" of the asset (or check) definition, names where it was written.
 */
export function describeUserError(
  e: unknown,
  root: string,
  definedAt: string | null = null,
): { message: string; location: string | null; stack: string | undefined; detail: string | null } {
  const err = e instanceof Error ? e : new Error(typeof e === "string" ? e : `non-Error value thrown: ${String(e)}`);
  if (err instanceof SqlError) {
    const defined = definedAt?.startsWith(root) ? relative(root, definedAt) : definedAt;
    const at = userFrame(err.site?.stack, root) ?? defined ?? userFrame(err.stack, root);
    return { message: `ctx.sql failed${at ? ` at ${at}` : ""}: ${err.reason}`, location: at, stack: err.stack, detail: err.detail };
  }
  const location = userFrame(err.stack, root);
  const name = err.name && err.name !== "Error" && err.name !== "DagxError" && !err.name.endsWith("OutputError") ? `${err.name}: ` : "";
  return { message: `${name}${err.message}${location ? ` (at ${location})` : ""}`, location, stack: err.stack, detail: null };
}
