/**
 * The `--partition` / `--partitions` grammar (DESIGN §5), parsed without any definition:
 *
 *   selection := item ("," item)*                      a union
 *              | dim ("," (dim | value))*             a product over dimensions
 *   dim       := NAME "=" value                        a value without "=" continues the previous
 *                                                      dimension's list: date=2024-01,2024-03,region=eu
 *   item      := value | "missing" | "failed"
 *   value     := "*" | "all" | "latest" | end? (".." | "...") end? | KEY
 *   end       := KEY | "latest"                        KEY may be a prefix of the key format (2024-03)
 *
 * Keys with reserved characters (`,` `=` `..` or a keyword) are written in double quotes, `""`
 * inside quotes being one quote.
 */
import { PartitionRangeError } from "./errors.ts";

/** One end of a range. */
export type PartitionEndpoint =
  | { kind: "key"; text: string; quoted: boolean; pos: number; len: number }
  | { kind: "latest"; pos: number; len: number };

/** One comma-separated part; `pos`/`len` locate it in the text. */
export type PartitionItem =
  | { kind: "all" | "missing" | "failed"; pos: number; len: number }
  | { kind: "latest"; pos: number; len: number }
  | { kind: "key"; text: string; quoted: boolean; pos: number; len: number }
  /** Inclusive; a null end is open (the first or the last partition). */
  | { kind: "range"; from: PartitionEndpoint | null; to: PartitionEndpoint | null; pos: number; len: number };

/** `name=value,value…` of a multi-dimensional selection. */
export interface PartitionDimensionSelection {
  name: string;
  pos: number;
  len: number;
  items: PartitionItem[];
}

/** A parsed selection: a union of items, or a product of per-dimension unions. */
export type ParsedPartitionSelection =
  | { kind: "list"; text: string; items: PartitionItem[] }
  | { kind: "dimensions"; text: string; dimensions: PartitionDimensionSelection[] };

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const KEYWORDS = new Set(["*", "all", "latest", "missing", "failed"]);

/**
 * Parse a partition selection without looking at any definition.
 * @example parsePartitionSelection("2024-01..2024-03, 2024-05-02")
 * @example parsePartitionSelection("date=2024-01...2024-02,region=eu,us")
 * @throws PartitionRangeError (code `USAGE`) pointing at the offending part
 */
export function parsePartitionSelection(text: string): ParsedPartitionSelection {
  const fail = (message: string, pos: number, len = 1): never => {
    throw new PartitionRangeError(message, text, pos, len);
  };
  if (text.trim() === "") fail('Empty partition selection: pass a key like "2024-01-01", a range "A..B", "latest", "missing", "failed" or "*"', 0, text.length);
  const items: PartitionItem[] = [];
  const dims: PartitionDimensionSelection[] = [];
  for (const seg of splitOutsideQuotes(text, ",", 0, fail)) {
    const { raw, pos } = trimmed(seg.raw, seg.pos);
    if (raw === "") fail(`Empty item in partition selection "${text}": remove the extra ","`, seg.pos, 1);
    const eq = findOutsideQuotes(raw, "=");
    if (eq < 0) {
      const dim = dims[dims.length - 1];
      if (dim) dim.items.push(parseValue(raw, pos, dim.name, fail));
      else items.push(parseValue(raw, pos, null, fail));
      continue;
    }
    const name = trimmed(raw.slice(0, eq), pos);
    if (items.length > 0) {
      fail(`Partition selection "${text}" mixes keys and dimensions: write every part as name=value, like "date=2024-01,region=eu"`, pos, raw.length);
    }
    if (!NAME.test(name.raw)) fail(`Invalid dimension name "${name.raw}": use letters, digits and "_", like "date=2024-01"`, name.pos, Math.max(1, name.raw.length));
    if (dims.some((d) => d.name === name.raw)) fail(`Dimension "${name.raw}" is given twice: list its values together, like "${name.raw}=a,b"`, name.pos, name.raw.length);
    const value = trimmed(raw.slice(eq + 1), pos + eq + 1);
    if (value.raw === "") fail(`Missing value for dimension "${name.raw}": write "${name.raw}=VALUE"`, pos + eq, 1);
    dims.push({ name: name.raw, pos, len: raw.length, items: [parseValue(value.raw, value.pos, name.raw, fail)] });
  }
  return dims.length > 0 ? { kind: "dimensions", text, dimensions: dims } : { kind: "list", text, items };
}

type Fail = (message: string, pos: number, len?: number) => never;

function parseValue(raw: string, pos: number, dim: string | null, fail: Fail): PartitionItem {
  const len = raw.length;
  if (KEYWORDS.has(raw)) {
    if (dim !== null && (raw === "missing" || raw === "failed")) {
      fail(`"${raw}" cannot be used inside dimension "${dim}": it selects whole partitions, so give it on its own`, pos, len);
    }
    return { kind: raw === "*" ? "all" : (raw as "all" | "latest" | "missing" | "failed"), pos, len };
  }
  const sep = findOutsideQuotes(raw, "..");
  if (sep < 0) {
    const key = endpoint(raw, pos, fail);
    return key.kind === "latest" ? { kind: "latest", pos, len } : { ...key };
  }
  const width = raw.startsWith("...", sep) ? 3 : 2;
  const from = raw.slice(0, sep).trim() === "" ? null : endpoint(raw.slice(0, sep), pos, fail);
  const right = raw.slice(sep + width);
  if (findOutsideQuotes(right, "..") >= 0) fail(`A range has one "..": "${raw}"`, pos + sep + width + findOutsideQuotes(right, ".."), 2);
  const to = right.trim() === "" ? null : endpoint(right, pos + sep + width, fail);
  if (!from && !to) fail(`A range needs at least one end, like "2024-01..2024-03" or "2024-03.."`, pos, len);
  return { kind: "range", from, to, pos, len };
}

function endpoint(rawUntrimmed: string, at: number, fail: Fail): PartitionEndpoint {
  const { raw, pos } = trimmed(rawUntrimmed, at);
  if (raw.startsWith('"')) {
    const close = closingQuote(raw, 0);
    if (close !== raw.length - 1) fail(`Unexpected text after the quoted key ${raw.slice(0, close + 1)}`, pos + close + 1, raw.length - close - 1);
    return { kind: "key", text: raw.slice(1, -1).replaceAll('""', '"'), quoted: true, pos, len: raw.length };
  }
  if (raw.includes('"')) fail(`Unexpected quote in "${raw}": quote whole keys, like "\\"a,b\\""`, pos + raw.indexOf('"'), 1);
  if (raw === "latest") return { kind: "latest", pos, len: raw.length };
  if (KEYWORDS.has(raw)) fail(`"${raw}" cannot be the end of a range`, pos, raw.length);
  return { kind: "key", text: raw, quoted: false, pos, len: raw.length };
}

/** Index of the quote closing the one at `open` (`""` is an escaped quote), or -1. */
function closingQuote(text: string, open: number): number {
  for (let i = open + 1; i < text.length; i++) {
    if (text[i] !== '"') continue;
    if (text[i + 1] === '"') i++;
    else return i;
  }
  return -1;
}

function findOutsideQuotes(text: string, needle: string): number {
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '"') {
      const close = closingQuote(text, i);
      if (close < 0) return -1;
      i = close;
    } else if (text.startsWith(needle, i)) return i;
  }
  return -1;
}

function splitOutsideQuotes(text: string, sep: string, base: number, fail: Fail): { raw: string; pos: number }[] {
  const out: { raw: string; pos: number }[] = [];
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '"') {
      const close = closingQuote(text, i);
      if (close < 0) fail(`Unterminated quote in partition selection "${text}"`, base + i, 1);
      i = close;
    } else if (text[i] === sep) {
      out.push({ raw: text.slice(start, i), pos: base + start });
      start = i + 1;
    }
  }
  out.push({ raw: text.slice(start), pos: base + start });
  return out;
}

function trimmed(raw: string, pos: number): { raw: string; pos: number } {
  const lead = raw.length - raw.trimStart().length;
  return { raw: raw.trim(), pos: pos + lead };
}
