/**
 * Selection parser (DESIGN §4): text → AST, pure and graph-free, so syntax errors need no
 * graph. A scanner-driven recursive descent, because `owner:` values and `*` mean different
 * things depending on where they stand.
 */
import { SelectionError } from "../errors.ts";
import { didYouMean } from "../suggest.ts";

export type SelectionAttr = "key" | "tag" | "group" | "owner" | "kind";

/** A node of a parsed selection; `pos`/`len` locate it in the source text. */
export type SelectionNode =
  | { kind: "all"; pos: number; len: number }
  /** `value` may hold `*` wildcards unless `exact` (quoted). `tagValue` only for `tag:k=v`. */
  | { kind: "attr"; attr: SelectionAttr; value: string; exact: boolean; tagValue: string | null; pos: number; len: number }
  | { kind: "roots" | "sinks"; arg: SelectionNode; pos: number; len: number }
  /** `up`/`down` are depths: 0 none, `Infinity` unbounded. */
  | { kind: "traverse"; up: number; down: number; node: SelectionNode; pos: number; len: number }
  | { kind: "not"; node: SelectionNode; pos: number; len: number }
  | { kind: "and" | "or"; nodes: SelectionNode[]; pos: number; len: number };

/** A parsed selection: the AST and the text it came from (for error carets). */
export interface ParsedSelection {
  text: string;
  root: SelectionNode;
}

/** A node without its location, distributed over the union. */
type NodeBody = SelectionNode extends infer N ? (N extends SelectionNode ? Omit<N, "pos" | "len"> : never) : never;

export const SELECTION_ATTRS: readonly SelectionAttr[] = ["key", "tag", "group", "owner", "kind"];
/** Levels of "(", "not", roots()/sinks() a selection may nest; deeper input would overflow the stack. */
export const MAX_SELECTION_DEPTH = 100;
const WORD = /[A-Za-z0-9_\-./*]/;
const ALNUM = /[A-Za-z0-9]/;
const ATOM_HINT = 'expected an asset key, "*", "(" or an attribute like "group:raw"';

/**
 * Parse a selection string into an AST without looking at any graph.
 * A `*` at the edge of a bare name after a letter or digit is traversal (`*orders*`); after
 * `_ - . /`, inside a name, or in any `attr:` value it is a wildcard (`raw_*`, `key:ord*`).
 * Quoted values match exactly.
 * @example parseSelection("1+orders+1, tag:domain=sales")
 * @throws SelectionError (code `SELECTION_SYNTAX`) pointing at the offending token
 */
export function parseSelection(text: string): ParsedSelection {
  const p = new Parser(text);
  if (text.trim() === "") {
    p.fail(`Empty selection "${text}" — pass an asset key, "*" for all assets, or an expression like "group:raw"`, 0, text.length);
  }
  const root = p.union();
  p.skipWs();
  if (p.pos < text.length) p.unexpected('join terms with "and", "or" or ","');
  return { text, root };
}

class Parser {
  pos = 0;
  /** Open "(", "not", roots()/sinks() around `pos`: bounded, so deep input is an error rather than a stack overflow. */
  depth = 0;
  constructor(readonly text: string) {}

  fail(message: string, pos: number, len = 1): never {
    throw new SelectionError(message, this.text, pos, Math.max(1, len));
  }
  skipWs(): void {
    while (this.pos < this.text.length && /\s/.test(this.text[this.pos]!)) this.pos++;
  }
  /** The word (or single char) at `at`, for messages. */
  tokenAt(at: number): string {
    let end = at;
    while (end < this.text.length && WORD.test(this.text[end]!)) end++;
    return end > at ? this.text.slice(at, end) : String.fromCodePoint(this.text.codePointAt(at) ?? 0);
  }
  /** Fail on whatever stands at `pos`; `fix` says what belongs there. */
  unexpected(fix: string): never {
    const at = this.pos;
    if (at >= this.text.length) this.fail(`Unexpected end of selection "${this.text}" — ${fix}`, at);
    const tok = this.tokenAt(at);
    if (tok === ")") fix = 'remove it or add a matching "("';
    this.fail(`Unexpected ${tok === '"' ? "'\"'" : `"${tok}"`} at position ${at} in selection "${this.text}" — ${fix}`, at, tok.length);
  }
  /** Consume `word` (case-insensitive) when it stands alone as a keyword here. */
  keyword(word: string): boolean {
    this.skipWs();
    const end = this.pos + word.length;
    if (this.text.slice(this.pos, end).toLowerCase() !== word) return false;
    const next = this.text[end];
    if (next !== undefined && (WORD.test(next) || next === ":")) return false;
    this.pos = end;
    return true;
  }
  /** Parse one nesting level deeper, refusing more than MAX_SELECTION_DEPTH levels. */
  nested<T>(at: number, parse: () => T): T {
    if (this.depth >= MAX_SELECTION_DEPTH) {
      const shown = this.text.length > 60 ? `${this.text.slice(0, 59)}…` : this.text;
      this.fail(`Selection "${shown}" nests too deep at position ${at}: at most ${MAX_SELECTION_DEPTH} levels of "(", "not", roots() and sinks() — write it flatter, e.g. join terms with "or" or ","`, at);
    }
    this.depth++;
    try {
      return parse();
    } finally {
      this.depth--;
    }
  }
  span(start: number, node: NodeBody): SelectionNode {
    return { ...node, pos: start, len: this.pos - start } as SelectionNode;
  }

  union(): SelectionNode {
    return this.list("or", () => this.or(), () => { this.skipWs(); return this.eat(","); });
  }
  or(): SelectionNode {
    return this.list("or", () => this.and(), () => this.keyword("or"));
  }
  and(): SelectionNode {
    return this.list("and", () => this.not(), () => this.keyword("and"));
  }
  list(kind: "and" | "or", item: () => SelectionNode, sep: () => boolean): SelectionNode {
    this.skipWs();
    const start = this.pos;
    const nodes: SelectionNode[] = [];
    do {
      const node = item();
      nodes.push(...(node.kind === kind ? node.nodes : [node]));
    } while (sep());
    return nodes.length === 1 ? nodes[0]! : this.span(start, { kind, nodes });
  }
  not(): SelectionNode {
    this.skipWs();
    const start = this.pos;
    if (this.keyword("not")) return this.span(start, { kind: "not", node: this.nested(start, () => this.not()) });
    return this.trav();
  }
  eat(s: string): boolean {
    return this.text.startsWith(s, this.pos) ? ((this.pos += s.length), true) : false;
  }

  trav(): SelectionNode {
    this.skipWs();
    const start = this.pos;
    let up = 0;
    const digits = /^(\d+)\+/.exec(this.text.slice(this.pos));
    if (digits) {
      up = Number(digits[1]);
      this.pos += digits[0].length;
    } else if (this.eat("+")) up = Infinity;
    else if (this.text[this.pos] === "*" && /[A-Za-z0-9("']/.test(this.text[this.pos + 1] ?? "")) {
      up = Infinity;
      this.pos++;
    }
    if (up !== 0 && /\s/.test(this.text[this.pos] ?? "")) {
      const op = this.text.slice(start, this.pos);
      this.fail(`Expected an asset key right after "${op}" at position ${start} in selection "${this.text}" — write the traversal next to its operand, as in "${op}orders"`, start, op.length);
    }
    const { node, starDown } = this.atom();
    const down = starDown ? Infinity : this.suffix();
    if (up === 0 && down === 0) return node;
    return this.span(start, { kind: "traverse", up, down, node });
  }
  /** `+`, `+N` or `*` right after an atom; 0 when absent. */
  suffix(): number {
    if (this.eat("*")) return Infinity;
    if (!this.eat("+")) return 0;
    const at = this.pos;
    if (!/\d/.test(this.text[at] ?? "")) return Infinity;
    const tok = this.tokenAt(at);
    if (!/^\d+$/.test(tok)) {
      this.fail(`Invalid depth "${tok}" in selection "${this.text}" — use a whole number, as in "orders+2"`, at, tok.length);
    }
    this.pos += tok.length;
    return Number(tok);
  }

  atom(): { node: SelectionNode; starDown: boolean } {
    const start = this.pos;
    const c = this.text[start];
    if (c === "(") {
      this.pos++;
      const inner = this.nested(start, () => this.union());
      this.close(start);
      return { node: inner, starDown: false };
    }
    if (c === '"' || c === "'") {
      const value = this.quoted();
      return { node: this.span(start, { kind: "attr", attr: "key", value, exact: true, tagValue: null }), starDown: false };
    }
    if (c === undefined || !WORD.test(c)) this.unexpected(ATOM_HINT);
    while (this.pos < this.text.length && WORD.test(this.text[this.pos]!)) this.pos++;
    let word = this.text.slice(start, this.pos);
    const lower = word.toLowerCase();
    if (this.text[this.pos] === ":") return { node: this.attr(word, start), starDown: false };
    if (lower === "roots" || lower === "sinks") {
      const save = this.pos;
      this.skipWs();
      if (this.eat("(")) {
        const open = this.pos - 1;
        const arg = this.nested(start, () => this.union());
        this.close(open);
        return { node: this.span(start, { kind: lower, arg }), starDown: false };
      }
      this.pos = save;
    }
    if (lower === "and" || lower === "or" || lower === "not") {
      this.fail(`Unexpected "${word}" at position ${start} in selection "${this.text}" — ${ATOM_HINT}; select an asset named "${word}" with "key:${word}"`, start, word.length);
    }
    if (word === "*") return { node: this.span(start, { kind: "all" }), starDown: false };
    // `orders*` is traversal; a star after `_`, `-`, `.`, `/` or inside a word is a wildcard
    let starDown = false;
    if (word.length > 1 && word.endsWith("*") && ALNUM.test(word[word.length - 2]!)) {
      word = word.slice(0, -1);
      starDown = true;
    }
    const node: SelectionNode = { kind: "attr", attr: "key", value: word, exact: false, tagValue: null, pos: start, len: word.length };
    return { node, starDown };
  }
  close(open: number): void {
    this.skipWs();
    if (this.eat(")")) return;
    if (this.pos >= this.text.length) this.fail(`Unclosed "(" at position ${open} in selection "${this.text}" — add a matching ")"`, open);
    this.unexpected(`expected ")" to close the "(" at position ${open}`);
  }

  attr(name: string, start: number): SelectionNode {
    const attr = SELECTION_ATTRS.find((a) => a === name.toLowerCase());
    if (attr === undefined) {
      const hint = didYouMean(name, SELECTION_ATTRS) || ` — use one of ${SELECTION_ATTRS.map((a) => `"${a}:"`).join(", ")}`;
      this.fail(`Unknown attribute "${name}" in selection "${this.text}"${hint}`, start, name.length);
    }
    this.pos++; // the colon
    const { value, exact } = this.value(attr);
    let tagValue: string | null = null;
    if (this.text[this.pos] === "=") {
      if (attr !== "tag") {
        this.fail(`Unexpected "=" at position ${this.pos} in selection "${this.text}" — only "tag:" takes a value, as in "tag:domain=sales"`, this.pos);
      }
      this.pos++;
      tagValue = this.value(attr).value;
    }
    return this.span(start, { kind: "attr", attr, value, exact, tagValue });
  }
  /** An attribute value: quoted, or a run of value chars (owners may hold `:`, `@`, `+`). */
  value(attr: SelectionAttr): { value: string; exact: boolean } {
    const start = this.pos;
    const q = this.text[start];
    if (q === '"' || q === "'") {
      const value = this.quoted();
      if (value === "") this.missingValue(attr, start, this.pos - start);
      return { value, exact: true };
    }
    const stop = attr === "owner" ? /[\s(),"']/ : /[\s(),"'+=]/;
    while (this.pos < this.text.length && !stop.test(this.text[this.pos]!)) this.pos++;
    if (attr === "owner") {
      // a trailing `+`/`+N` is traversal, not part of the owner
      const m = /\+\d*$/.exec(this.text.slice(start, this.pos));
      if (m && m.index > 0) this.pos = start + m.index;
    }
    const value = this.text.slice(start, this.pos);
    if (value === "") this.missingValue(attr, start, 1);
    return { value, exact: false };
  }
  missingValue(attr: SelectionAttr, at: number, len: number): never {
    const example = attr === "tag" ? "tag:domain=sales" : attr === "owner" ? "owner:team:data" : `${attr}:NAME`;
    this.fail(`Missing value after "${attr}:" in selection "${this.text}" — write it as "${example}"`, at, len);
  }
  /** A quoted string starting at `pos`; backslash escapes the next char. */
  quoted(): string {
    const open = this.pos;
    const q = this.text[open]!;
    let out = "";
    for (let i = open + 1; i < this.text.length; i++) {
      const c = this.text[i]!;
      if (c === q) return ((this.pos = i + 1), out);
      out += c === "\\" && i + 1 < this.text.length ? this.text[++i]! : c;
    }
    this.fail(`Unclosed quote at position ${open} in selection "${this.text}" — add the closing quote`, open);
  }
}
