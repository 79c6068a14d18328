/**
 * What code versions hash: source text as the user wrote it, never the runtime's printing of a
 * function. `normalizeSource` drops comments and formatting; `callText` cuts one call — `asset(…)`
 * from its callee to the matching `)` — out of a file, given where the call starts (a stack frame's
 * line and column, which Bun maps back to the original file).
 *
 * Normal form: comments removed; every run of whitespace (comments count as whitespace) dropped,
 * except one space kept between two identifier characters (`return x`) and between two equal
 * `+`, `-` or `/` (`a + +b`) — a line break instead of that space when the run held one, and
 * before `++`/`--`, since line breaks decide where JavaScript inserts semicolons there. String, template and regular-expression literals are kept verbatim.
 * Everything else — type annotations, trailing commas, quote style, semicolons — is text the user
 * wrote and counts.
 */

/** An identifier character: ASCII letters, digits, `_`, `$`, and anything beyond ASCII. */
function isWord(ch: string | undefined): boolean {
  if (ch === undefined) return false;
  const c = ch.charCodeAt(0);
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95 || c === 36 || c >= 128;
}
/** After these (or at the start), a `/` begins a regular expression, not a division. */
const BEFORE_REGEX = new Set([..."(,=:[!&|?{};+-*%<>~^"]);
const KEYWORDS_BEFORE_REGEX = /(?:^|[^A-Za-z0-9_$])(?:return|typeof|case|in|of|do|else|void|yield|await|throw|delete|instanceof)$/;

/** One pass over `text` from `start`: the normal form, and the offset where it stopped. */
function scan(text: string, start: number, stopAtClose: boolean): { out: string; end: number; slash: boolean } | null {
  let out = "";
  let slash = false; // a `/` in code: regular expression or division, told apart by what precedes it
  let pendingSpace = false;
  let depth = 0; // ( [ { nesting, for stopAtClose
  const templates: number[] = []; // brace depth at each open `${`
  let braces = 0;
  let pendingNewline = false;
  const emit = (s: string, twice = false): void => {
    if (pendingSpace && out.length > 0) {
      const a = out[out.length - 1]!;
      const b = s[0]!;
      // a line break decides automatic semicolons between two words (`return` then a value) and before `++`/`--`
      if ((isWord(a) && isWord(b)) || (a === b && "+-/".includes(a)) || (pendingNewline && twice)) out += pendingNewline ? "\n" : " ";
    }
    pendingSpace = false;
    pendingNewline = false;
    out += s;
  };
  let i = start;
  const n = text.length;
  // reads a template literal body from i (after ` or }) up to ` or ${; returns false if unterminated
  const templateBody = (): boolean => {
    const from = i;
    while (i < n) {
      const c = text[i]!;
      if (c === "\\") i += 2;
      else if (c === "`") {
        emit(text.slice(from, ++i));
        return true;
      } else if (c === "$" && text[i + 1] === "{") {
        i += 2;
        emit(text.slice(from, i));
        templates.push(braces);
        return true;
      } else i++;
    }
    return false;
  };
  while (i < n) {
    const c = text[i]!;
    const next = text[i + 1];
    if (c === " " || c === "\t" || c === "\n" || c === "\r" || c === "\f" || c === "\v" || c === "\u00a0" || c === "\ufeff") {
      pendingSpace = true;
      if (c === "\n" || c === "\r") pendingNewline = true;
      i++;
    } else if (c === "/" && next === "/") {
      while (i < n && text[i] !== "\n") i++;
      pendingSpace = true;
    } else if (c === "/" && next === "*") {
      const close = text.indexOf("*/", i + 2);
      if (close === -1) return null;
      if (text.slice(i, close).includes("\n")) pendingNewline = true;
      i = close + 2;
      pendingSpace = true;
    } else if (c === '"' || c === "'") {
      const from = i++;
      while (i < n && text[i] !== c && text[i] !== "\n") i += text[i] === "\\" ? 2 : 1;
      if (text[i] !== c) return null;
      emit(text.slice(from, ++i));
    } else if (c === "`") {
      i++;
      emit("`");
      if (!templateBody()) return null;
    } else if (c === "}" && templates.length > 0 && templates[templates.length - 1] === braces) {
      templates.pop();
      i++;
      emit("}");
      if (!templateBody()) return null;
    } else if (c === "/" && (out.length === 0 || BEFORE_REGEX.has(out[out.length - 1]!) || KEYWORDS_BEFORE_REGEX.test(out.slice(-12)))) {
      slash = true;
      const from = i++;
      let inClass = false;
      while (i < n && text[i] !== "\n" && (inClass || text[i] !== "/")) {
        if (text[i] === "\\") i++;
        else if (text[i] === "[") inClass = true;
        else if (text[i] === "]") inClass = false;
        i++;
      }
      if (text[i] !== "/") return null;
      i++;
      while (i < n && isWord(text[i])) i++;
      emit(text.slice(from, i));
    } else if (isWord(c)) {
      const from = i++;
      while (i < n && isWord(text[i])) i++;
      emit(text.slice(from, i));
    } else {
      if (c === "{") braces++;
      if (c === "}") braces--;
      if (c === "(" || c === "[" || c === "{") depth++;
      if (c === ")" || c === "]" || c === "}") {
        depth--;
        if (depth < 0) return null;
      }
      emit(c, (c === "+" || c === "-") && next === c);
      i++;
      if (c === "/") slash = true;
      if (stopAtClose && depth === 0 && c === ")") return { out, end: i, slash };
    }
  }
  return stopAtClose ? null : { out, end: i, slash };
}

/** `text` in normal form (see the file comment); the text itself when it cannot be tokenized (an unterminated string or comment). */
export function normalizeSource(text: string): string {
  return scan(text, 0, false)?.out ?? text;
}

/**
 * The call that starts at 1-based `line`:`column` of `text` — callee, optional type arguments,
 * and arguments up to the matching `)` — as written and in normal form, or null when no call starts there.
 * `slash`: the call holds a `/` in code, where a misread (regular expression or division) could
 * misplace the end; the caller then checks that the cut parses.
 */
export function callText(text: string, line: number, column: number, starts: readonly number[] = lineStarts(text)): { raw: string; normal: string; slash: boolean } | null {
  const start = starts[line - 1];
  if (start === undefined) return null;
  const offset = start + column - 1;
  // the callee: an identifier or a member chain (`dagx.asset`), then type arguments, then `(`
  let i = offset;
  while (i < text.length && /[\w$.\s]/.test(text[i]!)) i++;
  if (i === offset) return null;
  if (text[i] === "<") {
    let angle = 0;
    for (; i < text.length; i++) {
      if (text[i] === "<") angle++;
      else if (text[i] === ">" && text[i - 1] !== "=" && --angle === 0) break;
    }
    i++;
    while (i < text.length && /\s/.test(text[i]!)) i++;
  }
  if (text[i] !== "(") return null;
  const call = plainCall(text, i) ?? scan(text, i, true);
  if (!call) return null;
  const callee = text.slice(offset, i);
  return { raw: text.slice(offset, call.end), normal: (PLAIN.test(callee) ? squeeze(callee) : normalizeSource(callee)) + call.out, slash: call.slash };
}

/**
 * Where each line of `text` starts (0-based offsets; `[0]` is line 1), computed once per file and
 * passed to `callText` (walking to the line for each of a file's calls is quadratic).
 */
export function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = text.indexOf("\n"); i !== -1; i = text.indexOf("\n", i + 1)) starts.push(i + 1);
  return starts;
}

/*
 * The fast path of `callText`, for the common call without strings, templates, comments, `/` or
 * characters beyond ASCII.
 * `scan` walks such a call one character at a time in JavaScript; over the 1,000 calls of a
 * large asset file that walk is hot enough for the JIT's optimizing tiers, whose compilations
 * cost the process ~5 MB of peak RSS (`dagx list` of a chain of 1,000: docs/benchmarks.md "Memory:
 * what loading definitions keeps"). Here regular expressions do the character work: one match per
 * bracket to find the end, one replacement per run of whitespace for the normal form, which is then
 * the same as `scan`'s (tests/io/project/code-version.test.ts compares the two).
 */
const BRACKET_OR_SPECIAL = /[()[\]{}"'`/\u0080-\uffff]/g;
const WHITESPACE = /[ \t\n\r\f\v]+/g;
/**
 * Text with none of the characters that need `scan`: quotes, template, comment or regex slashes,
 * and anything beyond ASCII (a no-break space is whitespace to `scan` before a word, part of the word after one).
 */
const PLAIN = /^[^"'`/\u0080-\uffff]*$/;

/** The call's normal form and end when its arguments are `PLAIN`; null when they are not (or do not close). */
function plainCall(text: string, open: number): { out: string; end: number; slash: false } | null {
  let depth = 0;
  BRACKET_OR_SPECIAL.lastIndex = open;
  for (let m = BRACKET_OR_SPECIAL.exec(text); m !== null; m = BRACKET_OR_SPECIAL.exec(text)) {
    const c = m[0];
    if (c === "(" || c === "[" || c === "{") depth++;
    else if (c === ")" || c === "]" || c === "}") {
      if (--depth < 0) return null;
      if (depth === 0 && c === ")") return { out: squeeze(text.slice(open, m.index + 1)), end: m.index + 1, slash: false };
    } else return null;
  }
  return null;
}

/** `scan`'s normal form of a `PLAIN` text: each run of whitespace dropped, or kept as one space or line break where `scan` keeps one. */
function squeeze(plain: string): string {
  return plain.replace(WHITESPACE, (run: string, at: number) => {
    const a = plain[at - 1];
    const b = plain[at + run.length];
    if (a === undefined || b === undefined) return "";
    const newline = run.includes("\n") || run.includes("\r");
    const twice = (b === "+" || b === "-") && plain[at + run.length + 1] === b;
    if ((isWord(a) && isWord(b)) || (a === b && (a === "+" || a === "-")) || (newline && twice)) return newline ? "\n" : " ";
    return "";
  });
}
