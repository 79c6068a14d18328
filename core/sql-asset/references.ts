/**
 * What a SQL asset's query reads, from DuckDB's own parse tree (`json_serialize_sql`): the tables
 * it names (BASE_TABLE nodes, minus CTE names; table functions are not tables) and the named
 * parameters it uses, each with its place in the text. Pure: io/ runs DuckDB and hands the JSON in.
 */

/** A table the query names, at [start, end) of the query text (characters). */
export interface TableReference {
  /** Asset key the name stands for: `analytics.daily_revenue` → `analytics/daily_revenue`. */
  key: string;
  /** The name as written (`analytics.daily_revenue`). */
  name: string;
  start: number;
  end: number;
}

/** A `$name` parameter at [start, end) of the query text. */
export interface ParamReference {
  name: string;
  start: number;
  end: number;
}

export interface QueryReferences {
  tables: TableReference[];
  params: ParamReference[];
}

const NO_LOCATION = 2 ** 53;

/** A byte offset of UTF-8 `text` (DuckDB's query_location) as a character offset. */
export function charOffset(text: string, byteOffset: number): number {
  let bytes = 0;
  let i = 0;
  while (i < text.length && bytes < byteOffset) {
    const cp = text.codePointAt(i)!;
    bytes += cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
    i += cp > 0xffff ? 2 : 1;
  }
  return i;
}

/** The end of the (possibly dotted, possibly quoted) name that starts at `start`. */
function nameEnd(text: string, start: number): number {
  let i = start;
  for (;;) {
    if (text[i] === '"') {
      i++;
      while (i < text.length) {
        if (text[i] === '"' && text[i + 1] === '"') i += 2;
        else if (text[i] === '"') break;
        else i++;
      }
      i++;
    } else {
      while (i < text.length && /[\p{L}\p{N}_$]/u.test(text[i]!)) i++;
    }
    let j = i;
    while (text[j] === " " || text[j] === "\t" || text[j] === "\n" || text[j] === "\r") j++;
    if (text[j] !== ".") return i;
    j++;
    while (text[j] === " " || text[j] === "\t" || text[j] === "\n" || text[j] === "\r") j++;
    i = j;
  }
}

/**
 * Tables and parameters in a serialized statement (the `statements[0].node` of
 * `json_serialize_sql`'s result). `text` is the query that was serialized.
 */
export function queryReferences(node: unknown, text: string): QueryReferences {
  const ctes = new Set<string>();
  const found: { schema: string; table: string; catalog: string; loc: number }[] = [];
  const paramNames = new Set<string>();
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) {
      for (const x of v) walk(x);
      return;
    }
    if (v === null || typeof v !== "object") return;
    const o = v as Record<string, unknown>;
    const cteMap = o.cte_map as { map?: { key: string }[] } | undefined;
    for (const e of cteMap?.map ?? []) ctes.add(e.key.toLowerCase());
    if (o.type === "BASE_TABLE" && typeof o.table_name === "string") {
      found.push({ schema: String(o.schema_name ?? ""), table: o.table_name, catalog: String(o.catalog_name ?? ""), loc: Number(o.query_location ?? NO_LOCATION) });
    }
    if (o.class === "PARAMETER" && typeof o.identifier === "string") paramNames.add(o.identifier);
    for (const x of Object.values(o)) walk(x);
  };
  walk(node);
  const tables: TableReference[] = [];
  for (const f of found) {
    if (!f.schema && !f.catalog && ctes.has(f.table.toLowerCase())) continue;
    if (f.loc >= NO_LOCATION) continue;
    const start = charOffset(text, f.loc);
    const end = nameEnd(text, start);
    const key = [f.catalog, f.schema, f.table].filter((p) => p !== "").join("/");
    tables.push({ key, name: text.slice(start, end), start, end });
  }
  tables.sort((a, b) => a.start - b.start);
  // DuckDB's tree has no location for a parameter: find each `$name` in the text, outside
  // strings, quoted names and comments, and keep those the parser saw as parameters
  const params = scanParams(text).filter((p) => paramNames.has(p.name) || /^\d+$/.test(p.name));
  return { tables, params };
}

/** 1-based line and column of character `offset` in `text`. */
export function lineColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let col = 1;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text[i] === "\n") {
      line++;
      col = 1;
    } else col++;
  }
  return { line, column: col };
}

/** The partition parameters a SQL asset's query may use. */
export const PARTITION_PARAMS = ["partition_key", "partition_start", "partition_end"] as const;

/** `$name` / `$1` tokens of `text` outside '…' strings, "…" names, $tag$…$tag$ strings and comments. */
export function scanParams(text: string): ParamReference[] {
  const out: ParamReference[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c === "'" || c === '"') {
      i++;
      while (i < text.length) {
        if (text[i] === c && text[i + 1] === c) i += 2;
        else if (text[i] === c) break;
        else i++;
      }
      i++;
    } else if (c === "-" && text[i + 1] === "-") {
      while (i < text.length && text[i] !== "\n") i++;
    } else if (c === "/" && text[i + 1] === "*") {
      const end = text.indexOf("*/", i + 2);
      i = end < 0 ? text.length : end + 2;
    } else if (c === "$") {
      const m = /^\$([A-Za-z_][A-Za-z0-9_]*|\d+)?(\$)?/.exec(text.slice(i, i + 200))!;
      if (m[2] !== undefined) {
        // dollar-quoted string: skip to the same tag
        const tag = m[0];
        const end = text.indexOf(tag, i + tag.length);
        i = end < 0 ? text.length : end + tag.length;
      } else if (m[1] !== undefined && !/[\p{L}\p{N}_]/u.test(text[i - 1] ?? "")) {
        out.push({ name: m[1], start: i, end: i + m[0].length });
        i += m[0].length;
      } else i++;
    } else i++;
  }
  return out;
}
