/** The one boundary that turns what user code throws into a message with the user's file:line. */
import { relative } from "node:path";

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

/** "message (at file:line:col)" for an error thrown by user code; DagxErrors keep their message. */
export function describeUserError(e: unknown, root: string): { message: string; location: string | null; stack: string | undefined } {
  const err = e instanceof Error ? e : new Error(typeof e === "string" ? e : `non-Error value thrown: ${String(e)}`);
  const location = userFrame(err.stack, root);
  const name = err.name && err.name !== "Error" && err.name !== "DagxError" && !err.name.endsWith("OutputError") ? `${err.name}: ` : "";
  return { message: `${name}${err.message}${location ? ` (at ${location})` : ""}`, location, stack: err.stack };
}
