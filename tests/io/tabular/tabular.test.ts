import { type DuckDBConnection, DuckDBInstance } from "@duckdb/node-api";
import * as arrow from "apache-arrow";
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { literalPattern } from "../../../io/tabular/_sql.ts";
import {
  TabularValueError,
  parquetSql,
  readParquetArrow,
  readParquetRows,
  writeArrowParquet,
  writeRowsParquet,
  writeSqlParquet,
} from "../../../io/tabular/tabular.ts";

const root = fs.mkdtempSync(path.join(os.tmpdir(), "dagx-tabular-"));
let instance: DuckDBInstance;
let conn: DuckDBConnection;
let n = 0;
/** A fresh target path in its own folder (folders are created by the writers). */
const target = () => path.join(root, `t${n++}`, "data.parquet");
const leftovers = (file: string) => fs.readdirSync(path.dirname(file)).filter((f) => f.startsWith(".tmp-"));

beforeAll(async () => {
  instance = await DuckDBInstance.create(":memory:");
  conn = await instance.connect();
});
afterAll(() => {
  conn.closeSync();
  instance.closeSync();
  fs.rmSync(root, { recursive: true, force: true });
});

async function roundTrip(rows: Record<string, unknown>[]) {
  const file = target();
  const result = await writeRowsParquet(conn, rows, file, { fsync: false });
  return { file, result, back: await readParquetRows(conn, [file]) };
}

describe("writeRowsParquet() / readParquetRows()", () => {
  test("round-trips numbers, strings, booleans, Dates and nulls with their JS types", async () => {
    const rows = [
      { id: 1, price: 9.99, name: "apple", ok: true, at: new Date("2024-01-02T03:04:05.678Z"), note: null },
      { id: 2, price: 10, name: "pear", ok: false, at: new Date(0), note: "ripe" },
    ];
    const { result, back } = await roundTrip(rows);
    expect(back).toEqual(rows);
    expect(typeof back[0]!.id).toBe("number");
    expect(back[0]!.at).toBeInstanceOf(Date);
    expect(result.rows).toBe(2);
    expect(result.schema).toEqual([
      { name: "id", type: "BIGINT" },
      { name: "price", type: "DOUBLE" },
      { name: "name", type: "VARCHAR" },
      { name: "ok", type: "BOOLEAN" },
      { name: "at", type: "TIMESTAMP" },
      { name: "note", type: "VARCHAR" },
    ]);
  });

  test("stores integer columns as BIGINT and mixed columns as DOUBLE, both reading back as numbers", async () => {
    const rows = [
      { big: Number.MAX_SAFE_INTEGER, neg: -Number.MAX_SAFE_INTEGER, mixed: 1, special: Number.NaN, zero: -0 },
      { big: 2 ** 40, neg: -1, mixed: 1.5, special: Number.POSITIVE_INFINITY, zero: 0 },
      { big: 0, neg: 0, mixed: 3, special: Number.NEGATIVE_INFINITY, zero: 1 },
    ];
    const { result, back } = await roundTrip(rows);
    expect(result.schema.map((c) => c.type)).toEqual(["BIGINT", "BIGINT", "DOUBLE", "DOUBLE", "DOUBLE"]);
    expect(back).toEqual(rows);
    expect(Object.is(back[0]!.zero, -0)).toBe(true);
  });

  test("keeps bigints as bigint, including past 2^53", async () => {
    const rows = [{ n: 2n ** 62n, s: 1n }, { n: -(2n ** 63n), s: null }, { n: 2n ** 63n - 1n, s: 3n }];
    const { result, back } = await roundTrip(rows);
    expect(result.schema.map((c) => c.type)).toEqual(["BIGINT", "BIGINT"]);
    expect(back).toEqual(rows);
  });

  test("round-trips nested objects as STRUCT and arrays as LIST", async () => {
    const rows = [
      { id: 1, address: { city: "Zürich", zip: 8001, geo: { lat: 47.37, lon: 8.54 } }, tags: ["a", "b"], scores: [1, 2.5], when: [new Date(1000)] },
      { id: 2, address: { city: "O'Brien \"Town\"", zip: null, geo: null }, tags: [], scores: null, when: [] },
      { id: 3, address: null, tags: ["c"], scores: [3], when: [new Date(2000), new Date(3000)] },
    ];
    const { result, back } = await roundTrip(rows);
    expect(result.schema.find((c) => c.name === "address")!.type).toBe("STRUCT(city VARCHAR, zip BIGINT, geo STRUCT(lat DOUBLE, lon DOUBLE))");
    expect(result.schema.find((c) => c.name === "tags")!.type).toBe("VARCHAR[]");
    expect(back).toEqual(rows);
  });

  test("nested bigints, lists of structs and non-finite doubles survive", async () => {
    const rows = [
      { items: [{ sku: "x", qty: 2 }, { sku: "y", qty: 3 }], ids: [2n ** 60n, 1n], m: { v: Number.NaN, w: [Number.POSITIVE_INFINITY] } },
      { items: [{ sku: "z", qty: null }], ids: [], m: { v: 1.5, w: [] } },
    ];
    const { back } = await roundTrip(rows);
    expect(back).toEqual(rows);
  });

  test("keeps columns apart whose names match the staging columns (c0, c1, …)", async () => {
    const rows = [{ c1: "x", c0: 5, c2: 1.5 }, { c1: "y", c0: 6, c2: 2 }];
    expect((await roundTrip(rows)).back).toEqual(rows);
  });

  test("reads a column named __proto__ back as a property, not a prototype", async () => {
    const { back } = await roundTrip([JSON.parse('{"__proto__": {"x": 1}, "a": 1}')]);
    expect(Object.getPrototypeOf(back[0])).toBe(Object.prototype);
    expect(Object.keys(back[0]!)).toEqual(["__proto__", "a"]);
  });

  test("treats missing keys as null and keeps first-seen column order", async () => {
    const { result, back } = await roundTrip([{ a: 1 }, { b: "x" }, { a: 3, c: true }]);
    expect(result.schema.map((c) => c.name)).toEqual(["a", "b", "c"]);
    expect(back).toEqual([
      { a: 1, b: null, c: null },
      { a: null, b: "x", c: null },
      { a: 3, b: null, c: true },
    ]);
  });

  test("stores an all-null column as INTEGER and Uint8Array as BLOB", async () => {
    const { result, back } = await roundTrip([
      { nothing: null, bytes: new Uint8Array([0, 1, 255]) },
      { nothing: undefined, bytes: null },
    ]);
    expect(result.schema).toEqual([
      { name: "nothing", type: "INTEGER" },
      { name: "bytes", type: "BLOB" },
    ]);
    expect(back[0]!.nothing).toBeNull();
    expect([...(back[0]!.bytes as Uint8Array)]).toEqual([0, 1, 255]);
    expect(back[1]!.bytes).toBeNull();
  });

  test("keeps strings with quotes, SQL, separators and non-ASCII text intact", async () => {
    const strings = ["it's", 'say "hi"', "'; drop table x; --", "a\u001fb\nc\u0000d", "😀 ünïcödé", "", "\\x00", "x".repeat(300), "é".repeat(100), "\ud800 lone"];
    const { back } = await roundTrip(strings.map((s, i) => ({ i, s, [`col "${i}"'`]: s })));
    // A lone surrogate is not valid UTF-8: it is stored as U+FFFD, as TextEncoder does.
    expect(back.map((r) => r.s)).toEqual(strings.map((x) => x.replace("\ud800", "\ufffd")));
    expect(back[3]!['col "3"\'']).toBe(strings[3]);
  });

  test("round-trips 300,000 rows across several staging row groups in order", async () => {
    const rows = Array.from({ length: 300_000 }, (_, i) => ({ i, s: i % 7 === 0 ? null : `v${i}`, f: i % 3 === 0 }));
    const { result, back } = await roundTrip(rows);
    expect(result.rows).toBe(300_000);
    expect(back.length).toBe(300_000);
    expect(back[123_457]).toEqual(rows[123_457]!);
    expect(back.every((r, i) => r.i === i)).toBe(true);
  });

  test("rows that leave the first row's shape part way (keys missing, extra, reordered; kinds changing) store what they hold", async () => {
    // The first rows take the compiled fast lane; each odd row below is handed back to the generic path.
    const rows: Record<string, unknown>[] = [];
    for (let i = 0; i < 50; i++) rows.push({ id: i, name: `n${i}`, ok: i % 2 === 0, at: new Date(i * 1000), v: null });
    rows.push({ name: "reordered", id: 50, ok: true, at: new Date(50_000), v: 1 });
    rows.push({ id: 51, name: "missing ok", at: new Date(51_000), v: 2 });
    rows.push({ id: 52, name: "extra", ok: false, at: new Date(52_000), v: 3, extra: "x" });
    rows.push({ id: 53.5, name: null, ok: undefined, at: null, v: 4 }); // a fraction makes id DOUBLE
    for (let i = 54; i < 60; i++) rows.push({ id: i, name: `n${i}`, ok: true, at: new Date(i * 1000), v: i });
    rows.push({ id: -0, name: "minus zero", ok: true, at: new Date(60_000), v: 60 });
    const { result, back } = await roundTrip(rows);
    expect(result.schema).toEqual([
      { name: "id", type: "DOUBLE" },
      { name: "name", type: "VARCHAR" },
      { name: "ok", type: "BOOLEAN" },
      { name: "at", type: "TIMESTAMP" },
      { name: "v", type: "BIGINT" },
      { name: "extra", type: "VARCHAR" },
    ]);
    const expected = rows.map((r) => ({ id: r.id, name: r.name ?? null, ok: r.ok ?? null, at: r.at ?? null, v: r.v ?? null, extra: r.extra ?? null }));
    expect(back).toEqual(expected);
    expect(Object.is(back.at(-1)!.id, -0)).toBe(true);
  });

  test("a bad value deep in the fast lane names its row", async () => {
    const rows: Record<string, unknown>[] = Array.from({ length: 1000 }, (_, i) => ({ id: i, at: new Date(i) }));
    rows[700] = { id: "700", at: new Date(700) };
    const mixed = await writeRowsParquet(conn, rows, target()).catch((e) => e);
    expect(mixed.message).toBe('Cannot store column "id" as Parquet: rows[700] holds a string where earlier rows hold numbers: give each column one type');
    rows[700] = { id: 700, at: new Date("nope") };
    const invalid = await writeRowsParquet(conn, rows, target()).catch((e) => e);
    expect(invalid.message).toMatch(/column "at".*rows\[700\].*invalid Date/);
    rows[700] = null as never;
    const notObject = await writeRowsParquet(conn, rows, target()).catch((e) => e);
    expect(notObject.message).toMatch(/rows\[700\] is null: every row must be a plain object/);
  });

  test("rejects functions, symbols, class instances and other typed arrays, naming the column and type", async () => {
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ fn: () => 1 }, /column "fn".*rows\[1\] holds a function/],
      [{ sym: Symbol("s") }, /column "sym".*a symbol/],
      [{ map: new Map() }, /column "map".*a Map/],
      [{ obj: { inner: new Set([1]) } }, /column "obj\.inner".*a Set/],
      [{ f32: new Float32Array(2) }, /column "f32".*a Float32Array.*Array\.from/],
      [{ big: 2n ** 64n }, /column "big".*outside the 64-bit range/],
      [{ d: new Date("nope") }, /column "d".*invalid Date/],
    ];
    for (const [bad, message] of cases) {
      const error = await writeRowsParquet(conn, [{ fn: null, sym: null, map: null, obj: null, f32: null, big: null, d: null }, bad], target()).catch((e) => e);
      expect(error).toBeInstanceOf(TabularValueError);
      expect(error.message).toMatch(message);
    }
  });

  test("rejects a column mixing types, and an empty array, with a clear message", async () => {
    const mixed = await writeRowsParquet(conn, [{ a: 1 }, { a: "1" }], target()).catch((e) => e);
    expect(mixed).toBeInstanceOf(TabularValueError);
    expect(mixed.message).toBe('Cannot store column "a" as Parquet: rows[1] holds a string where earlier rows hold numbers: give each column one type');
    expect(mixed.column).toBe("a");
    const empty = await writeRowsParquet(conn, [], target()).catch((e) => e);
    expect(empty.message).toMatch(/array is empty/);
    const caseClash = await writeRowsParquet(conn, [{ id: 1, ID: 2 }], target()).catch((e) => e);
    expect(caseClash.message).toMatch(/"id" and "ID" differ only in case/);
    const nestedClash = await writeRowsParquet(conn, [{ o: { k: 1 } }, { o: { K: 2 } }], target()).catch((e) => e);
    expect(nestedClash.message).toMatch(/column "o".*"k" and "K" differ only in case/);
    const onlyEmpty = await writeRowsParquet(conn, [{ o: {} }], target()).catch((e) => e);
    expect(onlyEmpty.message).toMatch(/column "o".*only empty objects/);
  });
});

describe("atomic writes", () => {
  test("a failing rows write leaves the previous file byte-identical and no temp file", async () => {
    const file = target();
    await writeRowsParquet(conn, [{ a: 1, b: "keep" }], file);
    const before = fs.readFileSync(file);
    const error = await writeRowsParquet(conn, [{ a: 2, b: "new" }, { a: 3, b: () => 0 }], file).catch((e) => e);
    expect(error).toBeInstanceOf(TabularValueError);
    expect(error.message).toMatch(/column "b".*a function/);
    expect(fs.readFileSync(file).equals(before)).toBe(true);
    expect(leftovers(file)).toEqual([]);
  });

  test("a SQL write failing halfway through DuckDB's COPY removes its temp file", async () => {
    const file = target();
    await writeSqlParquet(conn, "select 1 as a", [], file);
    const before = fs.readFileSync(file);
    const error = await writeSqlParquet(conn, "select case when range = 150000 then error('boom') else range end as a from range(300000)", [], file).catch((e) => e);
    expect(String(error)).toMatch(/boom/);
    expect(fs.readFileSync(file).equals(before)).toBe(true);
    expect(leftovers(file)).toEqual([]);
  });

  test("a write replaces the previous file and reports its size", async () => {
    const file = target();
    await writeRowsParquet(conn, [{ a: 1 }], file);
    const r = await writeRowsParquet(conn, [{ a: 2 }, { a: 3 }], file);
    expect(r.bytes).toBe(fs.statSync(file).size);
    expect(await readParquetRows(conn, [file])).toEqual([{ a: 2 }, { a: 3 }]);
  });
});

describe("dataVersion", () => {
  test("is the same for the same data written twice, and differs for different data", async () => {
    const rows = Array.from({ length: 200_000 }, (_, i) => ({ i, s: `s${i % 100}`, d: new Date(i * 1000), x: i / 3 }));
    const a = await writeRowsParquet(conn, rows, target(), { fsync: false });
    const b = await writeRowsParquet(conn, rows, target(), { fsync: false });
    expect(a.dataVersion).toMatch(/^[0-9a-f]{16}$/);
    expect(b.dataVersion).toBe(a.dataVersion);
    const c = await writeRowsParquet(conn, rows.map((r, i) => (i === 7 ? { ...r, s: "changed" } : r)), target(), { fsync: false });
    expect(c.dataVersion).not.toBe(a.dataVersion);
  });

  test("is the chained xxHash64 of the file's bytes, for small files and for ones read in chunks", async () => {
    const expected = (file: string) => {
      const bytes = fs.readFileSync(file);
      let h = 0n;
      for (let off = 0; off < bytes.length; off += 4 << 20) h = Bun.hash.xxHash64(bytes.subarray(off, off + (4 << 20)), h);
      return h.toString(16).padStart(16, "0");
    };
    const small = target();
    expect((await writeSqlParquet(conn, "select 1 as a", [], small)).dataVersion).toBe(expected(small));
    const large = target();
    const r = await writeSqlParquet(conn, "select range as i, md5(range::varchar) || md5((range + 1)::varchar) as h from range(500000)", [], large, { fsync: false });
    expect(r.bytes).toBeGreaterThan(16 << 20);
    expect(r.dataVersion).toBe(expected(large));
  });

  test("is deterministic for a parallel SQL COPY of a million rows", async () => {
    const sql = "select range as i, range * 1.5 as x, 'v' || (range % 1000) as s from range(1000000)";
    const a = await writeSqlParquet(conn, sql, [], target(), { fsync: false });
    const b = await writeSqlParquet(conn, sql, [], target(), { fsync: false });
    expect(b.dataVersion).toBe(a.dataVersion);
    expect(a.rows).toBe(1_000_000);
  });
});

describe("writeSqlParquet()", () => {
  test("binds parameters instead of splicing them into the SQL", async () => {
    await conn.run("create or replace table x as select 1 as id");
    const evil = "'; drop table x; --";
    const file = target();
    const r = await writeSqlParquet(conn, "select $1 as s, $2 as n, $3 as d, ? is null as z", [evil, 42, new Date("2024-05-06T00:00:00Z"), null], file);
    expect(r.rows).toBe(1);
    expect(await readParquetRows(conn, [file])).toEqual([{ s: evil, n: 42, d: new Date("2024-05-06T00:00:00Z"), z: true }]);
    expect((await conn.runAndReadAll("select count(*) as n from x")).getRowObjectsJS()[0]!.n).toBe(1n);
  });

  test("accepts a trailing semicolon or a trailing line comment", async () => {
    const file = target();
    await writeSqlParquet(conn, "select 7 as a;\n", [], file);
    expect(await readParquetRows(conn, [file])).toEqual([{ a: 7 }]);
    await writeSqlParquet(conn, "select 8 as a -- the answer", [], file);
    expect(await readParquetRows(conn, [file])).toEqual([{ a: 8 }]);
  });

  test("runs a query without parameters unprepared, and prepares one with them", async () => {
    // A prepared statement binds its table functions when prepared and again when run: a prepared
    // read_csv('file') of a 1M-row CSV held its first read buffer twice (+30–35 MB peak RSS).
    const prepared: string[] = [];
    const spy = conn as unknown as { extractStatements(sql: string): Promise<unknown> };
    const original = spy.extractStatements.bind(conn);
    spy.extractStatements = (sql: string) => {
      prepared.push(sql);
      return original(sql);
    };
    try {
      const file = target();
      fs.mkdirSync(path.dirname(file), { recursive: true });
      const csv = path.join(path.dirname(file), "in.csv");
      fs.writeFileSync(csv, "a\n1\n2\n");
      await writeSqlParquet(conn, `select * from read_csv('${csv}')`, [], file);
      expect(prepared).toEqual([]);
      expect(await readParquetRows(conn, [file])).toEqual([{ a: 1 }, { a: 2 }]);
      await writeSqlParquet(conn, "select * from read_csv($1)", [csv], file);
      expect(prepared).toHaveLength(1);
      expect(await readParquetRows(conn, [file])).toEqual([{ a: 1 }, { a: 2 }]);
    } finally {
      delete (spy as { extractStatements?: unknown }).extractStatements;
    }
  });
});

describe("Arrow", () => {
  test("writeArrowParquet() stores typed columns, nulls and multiple batches", async () => {
    const t1 = arrow.tableFromArrays({
      i: Int32Array.from([1, 2, 3]),
      f: Float64Array.from([0.5, 1.5, 2.5]),
      s: ["a", "bé", "c"],
    });
    const table = new arrow.Table({
      i: arrow.vectorFromArray([1, null, 3, 4], new arrow.Int32()),
      big: arrow.vectorFromArray([1n, 2n, null, 2n ** 62n], new arrow.Int64()),
      f: arrow.vectorFromArray([0.5, 1.5, null, 3], new arrow.Float64()),
      s: arrow.vectorFromArray(["x", null, "z'", "w"], new arrow.Utf8()),
      b: arrow.vectorFromArray([true, false, null, true], new arrow.Bool()),
      ts: arrow.vectorFromArray([new Date(1000), null, new Date(3000), new Date(4000)], new arrow.TimestampMillisecond()),
      day: arrow.vectorFromArray([new Date(86_400_000), null, null, null], new arrow.DateDay()),
      u8: arrow.vectorFromArray([255, 0, 1, 2], new arrow.Uint8()),
      tags: arrow.vectorFromArray([["a"], [], null, ["b", "c"]], new arrow.List(new arrow.Field("item", new arrow.Utf8(), true))),
      dict: arrow.vectorFromArray(["p", "q", "p", null], new arrow.Dictionary(new arrow.Utf8(), new arrow.Int32())),
    });
    const file = target();
    const r = await writeArrowParquet(conn, table, file, { fsync: false });
    expect(r.schema.map((c) => c.type)).toEqual(["INTEGER", "BIGINT", "DOUBLE", "VARCHAR", "BOOLEAN", "TIMESTAMP", "DATE", "UTINYINT", "VARCHAR[]", "VARCHAR"]);
    const back = await readParquetRows(conn, [file]);
    expect(back[0]).toEqual({ i: 1, big: 1n, f: 0.5, s: "x", b: true, ts: new Date(1000), day: new Date(86_400_000), u8: 255, tags: ["a"], dict: "p" });
    expect(back[2]).toEqual({ i: 3, big: null, f: null, s: "z'", b: null, ts: new Date(3000), day: null, u8: 1, tags: null, dict: "p" });
    expect(back[3]!.big).toBe(2n ** 62n);

    const batches = t1.concat(t1).slice(1, 5);
    const file2 = target();
    await writeArrowParquet(conn, batches, file2, { fsync: false });
    expect(await readParquetRows(conn, [file2])).toEqual([
      { i: 2, f: 1.5, s: "bé" },
      { i: 3, f: 2.5, s: "c" },
      { i: 1, f: 0.5, s: "a" },
      { i: 2, f: 1.5, s: "bé" },
    ]);
  });

  test("writeArrowParquet() writes a zero-row table with its schema", async () => {
    const file = target();
    const empty = new arrow.Table({ a: arrow.vectorFromArray([], new arrow.Int32()), s: arrow.vectorFromArray([], new arrow.Utf8()) });
    const r = await writeArrowParquet(conn, empty, file);
    expect(r.rows).toBe(0);
    expect(r.schema).toEqual([
      { name: "a", type: "INTEGER" },
      { name: "s", type: "VARCHAR" },
    ]);
  });

  test("readParquetArrow() returns an Arrow Table with matching types", async () => {
    const file = target();
    await writeRowsParquet(conn, [
      { id: 1, x: 0.5, s: "a", ok: true, at: new Date(1000), tags: ["t"], o: { k: 1 } },
      { id: 2, x: null, s: null, ok: null, at: null, tags: null, o: null },
      { id: 3, x: 2, s: "ü😀", ok: false, at: new Date(3000), tags: [], o: { k: null } },
    ], file);
    const t = await readParquetArrow(conn, [file]);
    expect(t.numRows).toBe(3);
    expect(t.schema.fields.map((f) => String(f.type))).toEqual(["Int64", "Float64", "Utf8", "Bool", "Timestamp<MILLISECOND>", "List<Utf8>", "Struct<{k:Int64}>"]);
    expect(t.getChild("id")!.get(1)).toBe(2n);
    expect(t.getChild("x")!.get(1)).toBeNull();
    expect([...t.getChild("s")!]).toEqual(["a", null, "ü😀"]);
    expect([...t.getChild("ok")!]).toEqual([true, null, false]);
    expect([...t.getChild("at")!]).toEqual([1000, null, 3000]);
    const again = target();
    await writeArrowParquet(conn, t, again);
    // Arrow's Int64 is bigint in JS, so it stays bigint through the next write, nested too.
    expect((await readParquetRows(conn, [again]))[0]).toEqual({ id: 1n, x: 0.5, s: "a", ok: true, at: new Date(1000), tags: ["t"], o: { k: 1n } });
  });

  test("readParquetRows() and readParquetArrow() read no files as empty", async () => {
    expect(await readParquetRows(conn, [])).toEqual([]);
    expect((await readParquetArrow(conn, [])).numRows).toBe(0);
    expect(() => parquetSql([])).toThrow(/no files/);
  });

  test("readParquetArrow() reads a query with parameters", async () => {
    const t = await readParquetArrow(conn, [], { text: "select range as i from range($1)", params: [3] });
    expect([...t.getChild("i")!].map(Number)).toEqual([0, 1, 2]);
  });
});

describe("parquetSql()", () => {
  test("escapes quotes, reads exactly the listed files with their schemas unioned, and takes no column from a folder name", async () => {
    expect(parquetSql(["/a/it's/data.parquet", "/b.parquet"])).toBe(
      "read_parquet(['/a/it''s/data.parquet', '/b.parquet'], hive_partitioning = false, union_by_name = true)",
    );
    const base = path.join(root, "hive's");
    const p1 = path.join(base, "region=eu", "data.parquet");
    const p2 = path.join(base, "region=us", "data.parquet");
    await writeRowsParquet(conn, [{ amount: 1 }], p1);
    await writeRowsParquet(conn, [{ amount: 2.5, extra: "x" }], p2);
    const rows = (await conn.runAndReadAll(`select * from ${parquetSql([p1, p2])} order by amount`)).getRowObjectsJS();
    expect(rows).toEqual([
      { amount: 1, extra: null },
      { amount: 2.5, extra: "x" },
    ]);
    expect(await readParquetRows(conn, [p1, p2])).toEqual(rows);
  });

  test("a path holding [, ], * or ? is read literally, never as a glob over look-alike folders", async () => {
    const mine = path.join(root, "proj[1] *?", "data.parquet");
    const other = path.join(root, "proj1 x!", "data.parquet");
    await writeRowsParquet(conn, [{ who: "mine" }], mine);
    await writeRowsParquet(conn, [{ who: "other" }], other);
    expect(literalPattern(mine)).toBe(path.join(root, "proj[[]1] [*][?]", "data.parquet"));
    expect(await readParquetRows(conn, [mine])).toEqual([{ who: "mine" }]);
    expect(() => literalPattern("/a\\b[1]/data.parquet")).toThrow('a path holding both "\\" and one of "[", "*", "?" cannot be read literally: rename the folder');
  });
});
