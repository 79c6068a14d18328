/**
 * "file:line" of the user code that called a check constructor: the first stack frame outside
 * this folder (asset.ts's `callerLocation()` skips only its own file, which would name builtins.ts).
 */
export function checkLocation(): string | null {
  const frames = (new Error().stack?.split("\n") ?? []).map(parseFrame).filter((f) => f !== null);
  const own = frames[0]?.file ?? "";
  const dir = own.slice(0, own.lastIndexOf("/") + 1);
  const user = frames.find((f) => !(dir !== "" && f.file.startsWith(dir)) && !f.file.includes("$bunfs") && !f.file.startsWith("native"));
  return user ? `${user.file}:${user.line}` : null;
}

function parseFrame(line: string): { file: string; line: number } | null {
  const m = /\(?((?:file:\/\/)?[^()\s]+):(\d+):(\d+)\)?\s*$/.exec(line);
  if (!m) return null;
  return { file: m[1]!.replace(/^file:\/\//, ""), line: Number(m[2]) };
}
