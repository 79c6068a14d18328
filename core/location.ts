/**
 * "file:line" of the user code that called a definition constructor (asset, check, schedule,
 * sensor…): the first stack frame outside dagx's core/ folder (and outside a compiled binary's
 * bundle). Reads a stack trace only — no I/O.
 */
export function callerLocation(): string | null {
  const frames = (new Error().stack?.split("\n") ?? []).map(parseFrame).filter((f) => f !== null);
  const own = frames[0]?.file ?? "";
  const core = own.slice(0, own.lastIndexOf("/") + 1);
  const user = frames.find((f) => !(core !== "" && f.file.startsWith(core)) && !f.file.includes("$bunfs") && !f.file.startsWith("native"));
  return user ? `${user.file}:${user.line}` : null;
}

function parseFrame(line: string): { file: string; line: number } | null {
  const m = /\(?((?:file:\/\/)?[^()\s]+):(\d+):(\d+)\)?\s*$/.exec(line);
  if (!m) return null;
  return { file: m[1]!.replace(/^file:\/\//, ""), line: Number(m[2]) };
}
