// ctx.sql compilation (pure): values bound, names quoted by ctx.sql.id, and a value where SQL needs
// a name refused — with no false alarm on the places a value legitimately goes.
import { describe, expect, test } from "bun:test";
import { compileSql, createSqlTag, type SqlQuery } from "../../core/context.ts";
import { DagxError, SqlError } from "../../core/errors.ts";
import { quoteIdent, showParam } from "../../core/sql.ts";

const sql = createSqlTag({ rows: async () => [], arrow: async () => ({}) as never });
const table = (name: string) => ({ [Symbol.for("dagx.table")]: true, key: name, paths: [], sql: `read_parquet(['/x/${name}.parquet'])`, rows: async () => [], arrow: async () => ({}) as never });
const reason = (q: SqlQuery): string => {
  try {
    compileSql(q);
  } catch (e) {
    expect(e).toBeInstanceOf(SqlError);
    return (e as SqlError).reason;
  }
  throw new Error("compiled without error");
};

describe("ctx.sql.id()", () => {
  test("quotes one name or a dotted name, escaping quotes; never a parameter", () => {
    const col = 'we"ird name';
    const c = compileSql(sql`select ${sql.id(col)} from ${sql.id("main", "t")} order by ${sql.id(col)} limit ${5}`);
    expect(c).toEqual({ text: `select "we""ird name" from "main"."t" order by "we""ird name" limit $1`, params: [5] });
    expect(quoteIdent('a"b')).toBe('"a""b"');
  });

  test("a non-string, an empty name or no name is a clear error", () => {
    expect(() => sql.id(42 as never)).toThrow('Cannot make an identifier with ctx.sql.id(): argument 1 is not a name: it is the number 42: pass a column or table name as a string, e.g. ctx.sql.id("amount")');
    expect(() => sql.id("s", undefined as never)).toThrow("argument 2 is not a name: it is undefined");
    expect(() => sql.id("")).toThrow("argument 1 is not a name: it is empty");
    expect(() => sql.id()).toThrow("no name was given");
    expect(() => sql.id({} as never)).toThrow(DagxError);
  });
});

describe("compileSql() refuses a value where SQL needs a name", () => {
  const col = "amount";
  test.each([
    ["order by", sql`select * from t order by ${col}`, "stands as an item of ORDER BY"],
    ["order by, second item, desc", sql`select * from t order by day, ${col} desc nulls last`, "stands as an item of ORDER BY"],
    ["group by", sql`select ${sql.id(col)}, count(*) as n from t group by ${col}`, "stands as an item of GROUP BY"],
    ["window partition by", sql`select sum(x) over (partition by ${col} order by day) as s from t`, "stands as an item of PARTITION BY"],
    ["select item", sql`select ${col} from t`, "is a whole select item without a name"],
    ["select item after a comma", sql`select id, ${col}, day from t`, "is a whole select item without a name"],
    ["select distinct", sql`SELECT DISTINCT ${col} FROM t`, "is a whole select item without a name"],
    ["alone", sql`select ${col}`, "is a whole select item without a name"],
    ["in a nested query", sql`select * from (${sql`select ${col} from t`}) s`, "is a whole select item without a name"],
    ["count(distinct)", sql`select count(distinct ${col}) as n from t`, "is the only argument of count()"],
    ["max", sql`select max(${col}) as m from t`, "is the only argument of max()"],
    ["inside a string", sql`select * from t where name like '%${col}%'`, "inside a quoted string or a comment"],
    ["inside a comment", sql`select 1 as one -- ${col}`, "inside a quoted string or a comment"],
  ])("%s", (_name, q, expected) => {
    const r = reason(q);
    expect(r).toContain(expected);
    expect(r).toContain("'amount' ($1)");
    if (!expected.includes("quoted")) expect(r).toContain("${ctx.sql.id(name)}");
  });

  test("values where SQL takes a value still compile", () => {
    const d = new Date("2024-01-01T00:00:00Z");
    const ok = [
      sql`select ${col} as label, ${1} + id as n, ${"x"} "quoted alias", ${2} two from t`,
      sql`select * from t where ${col} = name and day between ${d} and ${d} limit ${10} offset ${0}`,
      sql`select * from range(${d}, ${d}, interval 1 day) r(d) where d in (select unnest(${[d]}))`,
      sql`select coalesce(a, ${0}) as a, case when b then ${1} else ${2} end as c, ${"a"} || name as s, ${3}::INT as i from t`,
      sql`select * from t order by abs(x - ${5}), ${sql.id(col)} group by all`,
      sql`select string_agg(name, ${","}) as s, count(*) filter (where x > ${1}) as n from t`,
      sql`select * from ${table("orders")} o where o.day = ${"2024-01-01"} -- a comment; and 'a string'`,
      sql`select * from t where note = 'it''s' and name = ${"x"} and "col""x" = ${1}`,
      sql`select [${1}, ${2}] as l, {'k': ${3}} as s, (${4}) as p from t`,
      sql`values (${1}, ${2})`,
    ];
    for (const q of ok) expect(() => compileSql(q)).not.toThrow();
  });
});

test("showParam() is the one display of parameter values", () => {
  expect([showParam("it's"), showParam(1.5), showParam(null), showParam(new Date(0)), showParam([1, "a"]), showParam(new Uint8Array(3)), showParam({ a: 1n })]).toEqual([
    "'it''s'", "1.5", "NULL", "1970-01-01T00:00:00.000Z (Date)", "[1, 'a']", "<3 bytes>", '{"a":"1"}',
  ]);
  expect(showParam("x".repeat(500)).length).toBeLessThan(130);
});
