/**
 * Where a DuckDB error of a SQL asset's query is in its `.asset.sql` file. The query dagx runs is
 * the file's whole text (header comments included) with upstream tables and parameters spliced on
 * their own line, so DuckDB's `LINE n:` is the file's line; the caret's column is mapped back
 * through the splices of that line. Pure: the loader registers each file's text and splices.
 */

/** A splice on one line: original [start, end) columns (0-based) and the text written instead. */
export interface LineSplice {
  start: number;
  end: number;
  text: string;
}

interface SqlSource {
  text: string;
  /** Splices by 1-based line. */
  splices: Map<number, LineSplice[]>;
}

const SOURCES = new Map<string, SqlSource>();

/** Remember a SQL asset file's text (the loader calls this at each load). */
export function registerSqlSource(file: string, text: string, splices: Map<number, LineSplice[]> = new Map()): void {
  SOURCES.set(file, { text, splices });
}

/** Update the written lengths of a file's splices (known when a step compiles its query). */
export function setSqlSplices(file: string, splices: Map<number, LineSplice[]>): void {
  const s = SOURCES.get(file);
  if (s) s.splices = splices;
}

/** Two lines either side of `line` of `text`, numbered, with a caret under `column` (1-based). */
export function sqlCodeFrame(text: string, line: number, column: number): string {
  const lines = text.split("\n");
  const from = Math.max(1, line - 2);
  const to = Math.min(lines.length, line + 2);
  const width = String(to).length;
  const out: string[] = [];
  for (let i = from; i <= to; i++) {
    out.push(`${i === line ? ">" : " "} ${String(i).padStart(width)} | ${lines[i - 1] ?? ""}`);
    if (i === line) out.push(`  ${" ".repeat(width)} | ${" ".repeat(Math.max(0, column - 1))}^`);
  }
  return out.join("\n");
}

/**
 * For a DuckDB error `reason` of the query of the SQL asset in `file`: "file:line:col" parts and a
 * code frame of the file, or null when the error has no position (or the file is unknown).
 */
export function sqlAssetErrorPosition(file: string, reason: string): { line: number; column: number; frame: string } | null {
  const src = SOURCES.get(file);
  if (!src) return null;
  const m = /^LINE (\d+): (.*)\n( *)\^/m.exec(reason);
  if (!m) return null;
  const line = Number(m[1]);
  const shown = m[2]!;
  const fileLine = src.text.split("\n")[line - 1];
  if (fileLine === undefined) return null;
  // the caret's offset in the line as run: DuckDB cuts a long line to a window ("..." at its ends)
  const splices = src.splices.get(line) ?? [];
  let compiled = "";
  let at = 0;
  for (const sp of splices) {
    compiled += fileLine.slice(at, sp.start) + sp.text;
    at = sp.end;
  }
  compiled += fileLine.slice(at);
  let col = m[3]!.length - `LINE ${m[1]}: `.length;
  if (shown.startsWith("...")) {
    const visible = shown.slice(3).replace(/\.\.\.$/, "");
    const found = compiled.indexOf(visible);
    if (found < 0) return { line, column: 1, frame: sqlCodeFrame(src.text, line, 1) };
    col = found + col - 3;
  }
  // map back through the splices before the caret
  let delta = 0;
  let original: number | null = null;
  for (const s of splices) {
    const writtenStart = s.start + delta;
    if (col < writtenStart) break;
    if (col < writtenStart + s.text.length) {
      original = s.start;
      break;
    }
    delta += s.text.length - (s.end - s.start);
  }
  const column = (original ?? col - delta) + 1;
  return { line, column, frame: sqlCodeFrame(src.text, line, column) };
}
