/**
 * Finds `ctx.sql` parameters that stand where SQL needs a name. A bound value is a constant, so
 * DuckDB silently returns it (`select ${col} from t` yields the string), orders or partitions by
 * it, or aggregates it (`count(distinct ${col})` is 1) — a wrong result, never an error.
 *
 * Reliable positions only (no legitimate query puts a value there), each a *whole* item:
 * - an item of ORDER BY, GROUP BY or PARTITION BY (`order by ${col}`, `group by a, ${col}`);
 * - a select item without a name (`select ${col} from t`; `select ${v} as v` is a constant, fine);
 * - the only argument of count/sum/avg/min/max/median/any_value (`count(distinct ${col})`).
 * Also found: a parameter inside a quoted string or a comment (`'%${term}%'`), which DuckDB never
 * binds. Not detected: a value where an expression may legitimately hold one (`where ${col} = 1`).
 */

export interface MisplacedParam {
  /** 0-based index into the compiled parameters. */
  index: number;
  /** Where it stands: "ORDER BY", "GROUP BY", "PARTITION BY", "SELECT", an aggregate name, or "quoted" (in a string or comment). */
  where: string;
}

type Kind = "word" | "name" | "literal" | "param" | "open" | "close" | "comma" | "other";
interface Tok {
  kind: Kind;
  /** Upper-cased text of a word. */
  text: string;
  /** Parameter index of a param token. */
  index: number;
  /** Clause of the bracket level the token is in. */
  clause: string | null;
}

const LISTS = new Set(["ORDER", "GROUP", "PARTITION"]);
const CLAUSES = new Set(["SELECT", "FROM", "WHERE", "HAVING", "QUALIFY", "LIMIT", "OFFSET", "WINDOW", "VALUES", "ON", "USING", "JOIN", "UNION", "INTERSECT", "EXCEPT", "RETURNING", "SET", "WITH"]);
/** Words that end a list item. */
const ENDS = new Set(["FROM", "WHERE", "GROUP", "ORDER", "HAVING", "QUALIFY", "LIMIT", "OFFSET", "WINDOW", "UNION", "INTERSECT", "EXCEPT", "ASC", "DESC", "NULLS", "ROWS", "RANGE", "GROUPS", "PARTITION"]);
const AGGREGATES = new Set(["COUNT", "SUM", "AVG", "MIN", "MAX", "MEDIAN", "ANY_VALUE"]);

/** Tokens of `text`; `params` maps the offset of each `$n` that compileSql emitted to its index. */
function scan(text: string, params: ReadonlyMap<number, number>): Tok[] {
  const out: Tok[] = [];
  const clauses: (string | null)[] = [null];
  let i = 0;
  const push = (kind: Kind, word = "", index = -1) => out.push({ kind, text: word, index, clause: clauses[clauses.length - 1] ?? null });
  while (i < text.length) {
    const ch = text[i]!;
    const index = params.get(i);
    if (index !== undefined) {
      push("param", "", index);
      i += 1 + /^\d+/.exec(text.slice(i + 1))![0].length;
    } else if (/\s/.test(ch)) i++;
    else if (text.startsWith("--", i)) i = text.includes("\n", i) ? text.indexOf("\n", i) : text.length;
    else if (text.startsWith("/*", i)) i = text.includes("*/", i + 2) ? text.indexOf("*/", i + 2) + 2 : text.length;
    else if (ch === "'" || ch === '"') {
      let j = i + 1;
      for (;;) {
        const end = text.indexOf(ch, j);
        if (end < 0 || text[end + 1] !== ch) {
          j = end < 0 ? text.length : end + 1;
          break;
        }
        j = end + 2; // a doubled quote inside
      }
      push(ch === "'" ? "literal" : "name");
      i = j;
    } else if (/[A-Za-z_]/.test(ch)) {
      const word = /^[A-Za-z_][A-Za-z0-9_$]*/.exec(text.slice(i, i + 200))![0];
      const upper = word.toUpperCase();
      const prev = out[out.length - 1];
      if (upper === "BY" && prev?.kind === "word" && LISTS.has(prev.text)) clauses[clauses.length - 1] = `${prev.text} BY`;
      else if (CLAUSES.has(upper)) clauses[clauses.length - 1] = upper;
      push("word", upper);
      i += word.length;
    } else if (/[0-9]/.test(ch)) {
      i += /^[0-9][0-9_.]*(?:[eE][-+]?[0-9]+)?/.exec(text.slice(i, i + 100))![0].length;
      push("literal");
    } else if ("([{".includes(ch)) {
      push("open");
      clauses.push(null);
      i++;
    } else if (")]}".includes(ch)) {
      if (clauses.length > 1) clauses.pop();
      push("close");
      i++;
    } else {
      push(ch === "," ? "comma" : ch === ";" ? "close" : "other");
      i++;
    }
  }
  return out;
}

const endsItem = (t: Tok | undefined) => !t || t.kind === "comma" || t.kind === "close" || (t.kind === "word" && ENDS.has(t.text));

/** The first parameter that stands where a name belongs, or null. */
export function findMisplacedParam(text: string, params: ReadonlyMap<number, number>): MisplacedParam | null {
  if (params.size === 0) return null;
  const toks = scan(text, params);
  const seen = new Set(toks.flatMap((t) => (t.kind === "param" ? [t.index] : [])));
  for (const index of params.values()) if (!seen.has(index)) return { index, where: "quoted" };
  for (let t = 0; t < toks.length; t++) {
    const p = toks[t]!;
    if (p.kind !== "param") continue;
    const prev = toks[t - 1];
    const next = toks[t + 1];
    const list = p.clause?.endsWith(" BY") ?? false;
    if (list && (prev?.kind === "comma" || (prev?.kind === "word" && prev.text === "BY")) && endsItem(next)) return { index: p.index, where: p.clause! };
    const selectStart = prev?.kind === "comma" || (prev?.kind === "word" && (prev.text === "SELECT" || prev.text === "DISTINCT" || prev.text === "ALL"));
    if (p.clause === "SELECT" && selectStart && endsItem(next)) return { index: p.index, where: "SELECT" };
    // the only argument of an aggregate: name ( [DISTINCT] $n )
    const open = prev?.kind === "word" && prev.text === "DISTINCT" ? t - 2 : t - 1;
    const fn = toks[open - 1];
    if (toks[open]?.kind === "open" && next?.kind === "close" && fn?.kind === "word" && AGGREGATES.has(fn.text)) return { index: p.index, where: fn.text.toLowerCase() };
  }
  return null;
}
