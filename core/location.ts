/**
 * Source locations from stack traces — the one stack parser of dagx (definition sites, the
 * user-code boundary, import failures). Reads stack text only: no I/O.
 */

/** One frame of a stack trace: an absolute file (or `native`, `/$bunfs/…`), line and column. */
export interface StackFrame {
  file: string;
  line: number;
  column: number;
}

/**
 * The frames of `stack` (its first line, the message, is skipped). JavaScriptCore writes
 * `at fn (FILE:L:C)` or `at FILE:L:C`; FILE may hold spaces and parentheses, so the location is
 * everything inside the frame's parentheses, or after `at `, up to the last two `:N`.
 */
export function stackFrames(stack: string | undefined): StackFrame[] {
  if (!stack) return [];
  const frames: StackFrame[] = [];
  for (const raw of stack.split("\n").slice(1)) {
    const line = raw.trim();
    if (!line.startsWith("at ")) continue;
    const open = line.indexOf(" (");
    const where = line.endsWith(")") && open !== -1 ? line.slice(open + 2, -1) : line.slice(3);
    const m = /^(.+):(\d+):(\d+)$/.exec(where);
    if (!m) continue;
    frames.push({ file: m[1]!.replace(/^file:\/\//, ""), line: Number(m[2]), column: Number(m[3]) });
  }
  return frames;
}

/** `path` relative to `root` when inside it, else `path` unchanged (core has no node:path). */
export function relativeTo(root: string, path: string): string {
  const base = root.endsWith("/") ? root : `${root}/`;
  return path.startsWith(base) ? path.slice(base.length) : path;
}

/**
 * "file:line" of the user code that called a definition constructor (asset, check, schedule,
 * sensor…): the first stack frame outside dagx's core/ folder (and outside a compiled binary's
 * bundle).
 */
export function callerLocation(): string | null {
  const user = callerFrame(new Error().stack);
  return user ? `${user.file}:${user.line}` : null;
}

/** The frame of `callerLocation`, with its column: where the call's callee starts (code versions cut the call's text from there). */
export function callerFrame(stack: string | undefined = new Error().stack): StackFrame | null {
  const frames = stackFrames(stack);
  const own = frames[0]?.file ?? "";
  const core = own.slice(0, own.lastIndexOf("/") + 1);
  const user = frames.find((f) => !(core !== "" && f.file.startsWith(core)) && !f.file.includes("$bunfs") && !f.file.startsWith("native"));
  // the file name is a slice of the stack text, which it would keep alive with every definition
  return user ? { file: ownCopy(user.file), line: user.line, column: user.column } : null;
}

const FILES = new Map<string, string>();

/** One copy per file name, of its own (not a slice of a longer string such as a stack trace). */
function ownCopy(file: string): string {
  let own = FILES.get(file);
  if (own === undefined) {
    own = ` ${file}`.slice(1);
    FILES.set(own, own);
  }
  return own;
}

/**
 * The first frame of `stack` in the project at `root` (not in node_modules, not dagx itself), as
 * "file:line:col" relative to the root.
 */
export function userFrame(stack: string | undefined, root: string): string | null {
  const base = root.endsWith("/") ? root : `${root}/`;
  for (const f of stackFrames(stack)) {
    if (f.file.includes("/node_modules/") || f.file.includes("$bunfs") || !f.file.startsWith(base)) continue;
    return `${relativeTo(root, f.file)}:${f.line}:${f.column}`;
  }
  return null;
}
