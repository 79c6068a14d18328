/**
 * The modules a Python file imports, read from its text (pure): `import a.b, c as d`,
 * `from a.b import x, y`, `from . import z`, `from ..pkg.mod import (x,\n y)`. The statement-level
 * forms only; an import inside a string or a dynamic `importlib.import_module(name)` is not seen.
 * io/pipes/script-version.ts resolves them to files of the project for the code version.
 */

/** One imported module: `level` leading dots (0 = absolute), the dotted `module` (may be "" after dots), and the names a `from` import takes (each may be a submodule). */
export interface PyImport {
  level: number;
  module: string;
  names: string[];
}

const DOTTED = /^[A-Za-z_][A-Za-z0-9_]*(?:\s*\.\s*[A-Za-z_][A-Za-z0-9_]*)*$/;

/** Every import statement of `text`, in order. */
export function pythonImports(text: string): PyImport[] {
  const out: PyImport[] = [];
  for (const stmt of statements(text)) {
    const from = /^from\s+(\.*)\s*([A-Za-z0-9_.\s]*?)\s+import\s+(.+)$/s.exec(stmt);
    if (from) {
      const module = from[2]!.replace(/\s+/g, "");
      if (module !== "" && !DOTTED.test(module)) continue;
      const names = from[3]!
        .replace(/[()\\]/g, " ")
        .split(",")
        .map((n) => n.trim().split(/\s+as\s+/)[0]!.trim())
        .filter((n) => /^[A-Za-z_][A-Za-z0-9_]*$/.test(n));
      out.push({ level: from[1]!.length, module, names });
      continue;
    }
    const imp = /^import\s+(.+)$/s.exec(stmt);
    if (!imp) continue;
    for (const part of imp[1]!.replace(/\\/g, " ").split(",")) {
      const module = part.trim().split(/\s+as\s+/)[0]!.replace(/\s+/g, "");
      if (DOTTED.test(module)) out.push({ level: 0, module, names: [] });
    }
  }
  return out;
}

/** Logical lines that start with `import` or `from`, comments removed, parenthesized and backslash continuations joined. */
function statements(text: string): string[] {
  const out: string[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    let line = stripComment(lines[i]!).trim();
    // `if x: import y` and `try: import y` put the import after a colon on one line
    const inline = /^(?:try|else|finally|if\b[^:]*|elif\b[^:]*|except\b[^:]*)\s*:\s*((?:import|from)\s.*)$/.exec(line);
    if (inline) line = inline[1]!;
    for (const piece of line.split(";")) {
      let stmt = piece.trim();
      if (!/^(?:import|from)\s/.test(stmt)) continue;
      // continuation: an open parenthesis or a trailing backslash
      while ((open(stmt) || stmt.endsWith("\\")) && i + 1 < lines.length) stmt = `${stmt.replace(/\\$/, "")} ${stripComment(lines[++i]!).trim()}`;
      out.push(stmt);
    }
  }
  return out;
}

function open(s: string): boolean {
  return (s.match(/\(/g)?.length ?? 0) > (s.match(/\)/g)?.length ?? 0);
}

function stripComment(line: string): string {
  const hash = line.indexOf("#");
  return hash >= 0 ? line.slice(0, hash) : line;
}
