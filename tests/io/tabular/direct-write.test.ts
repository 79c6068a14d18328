/**
 * The direct row writer (JS writes the final Parquet file, no DuckDB COPY) against DuckDB's COPY:
 * for the same rows DuckDB must read back the same columns, types and values, the write result must
 * report the schema DuckDB sees, and the bigint hints must survive.
 */
import { type DuckDBConnection, DuckDBInstance } from "@duckdb/node-api";
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { readKeyValueMetadata } from "../../../io/tabular/_footer.ts";
import { readHints } from "../../../io/tabular/_read.ts";
import { readParquetRows, writeRowsParquet } from "../../../io/tabular/tabular.ts";

const root = fs.mkdtempSync(path.join(os.tmpdir(), "dagx-direct-"));
let instance: DuckDBInstance;
let conn: DuckDBConnection;
let n = 0;
const target = () => path.join(root, `t${n++}`, "data.parquet");

beforeAll(async () => {
  instance = await DuckDBInstance.create(":memory:");
  conn = await instance.connect();
});
afterAll(() => {
  conn.closeSync();
  instance.closeSync();
  fs.rmSync(root, { recursive: true, force: true });
});

async function describeFile(file: string) {
  return (await conn.runAndReadAll(`DESCRIBE SELECT * FROM read_parquet('${file}')`)).getRowObjectsJS().map((r) => `${r.column_name} ${r.column_type}`);
}
async function createdBy(file: string) {
  return (await conn.runAndReadAll(`SELECT created_by FROM parquet_file_metadata('${file}')`)).getRowObjectsJS()[0]!.created_by;
}
async function content(file: string) {
  return (await conn.runAndReadAll(`SELECT * FROM read_parquet('${file}')`)).getRowObjectsJS();
}

/** Write `rows` with both writers; everything DuckDB and dagx read back must be equal. */
async function both(rows: Record<string, unknown>[]) {
  const viaCopy = target();
  const direct = target();
  const a = await writeRowsParquet(conn, rows, viaCopy, { fsync: false, writer: "duckdb" });
  const b = await writeRowsParquet(conn, rows, direct, { fsync: false, writer: "direct" });
  // two different writers really wrote them: DuckDB signs its files, the direct writer does not
  expect(await createdBy(viaCopy)).toContain("DuckDB");
  expect(await createdBy(direct)).toBeNull();
  expect(await describeFile(direct)).toEqual(await describeFile(viaCopy));
  expect(await content(direct)).toEqual(await content(viaCopy));
  // exact to the stored unit (JS Dates stop at ms; the files hold µs)
  expect(await checksums(direct)).toEqual(await checksums(viaCopy));
  expect(await readParquetRows(conn, [direct])).toEqual(await readParquetRows(conn, [viaCopy]));
  expect(await readHints(conn, [direct])).toEqual(await readHints(conn, [viaCopy]));
  expect(b.schema).toEqual(a.schema);
  expect(b.rows).toBe(a.rows);
  expect(b.schema.map((c) => `${c.name} ${c.type}`)).toEqual(await describeFile(direct));
  return { a, b, direct, viaCopy };
}

const BASE = Date.UTC(2024, 0, 1);

describe("direct row writer vs DuckDB COPY", () => {
  test("ints, doubles, strings, booleans, timestamps, bigints, bytes and nulls read back identically", async () => {
    const rows = [
      { i: 1, d: 1.5, s: "a", b: true, t: new Date(BASE), big: 1n, bytes: new Uint8Array([1, 2]), nul: null, sparse: 3 },
      { i: -9007199254740991, d: -0, s: "ünïcødé ✓ 𝄞", b: false, t: new Date(-86_400_000 * 365 * 80 + 123), big: -(2n ** 63n), bytes: new Uint8Array(), nul: null },
      { i: 9007199254740991, d: Number.NaN, s: "", b: null, t: null, big: 2n ** 63n - 1n, bytes: null, nul: null, sparse: null },
      { i: null, d: Number.POSITIVE_INFINITY, s: null, b: true, t: new Date(8.64e15), big: null, bytes: new Uint8Array([255]), nul: null, sparse: -4 },
    ];
    await both(rows);
  });

  test("one row of a day and a count (the backfill shape)", async () => {
    const { b } = await both([{ day: "2023-01-01", v: 1 }]);
    expect(b.schema).toEqual([
      { name: "day", type: "VARCHAR" },
      { name: "v", type: "BIGINT" },
    ]);
  });

  test("many rows across several row groups, with nulls in each", async () => {
    const rows = Array.from({ length: 300_000 }, (_, i) => ({
      id: i,
      x: i % 7 === 0 ? null : i * 0.5,
      name: i % 11 === 0 ? null : `n${i % 97}`,
      flag: i % 13 === 0 ? null : i % 2 === 0,
      at: i % 17 === 0 ? null : new Date(BASE + i * 1000),
    }));
    await both(rows);
  }, 60_000); // reads 300k rows into JS objects three times: slow when the machine is shared

  test("the same rows give the same bytes (the data version is stable)", async () => {
    const rows = [{ a: 1, b: "x", c: new Date(BASE) }];
    const one = await writeRowsParquet(conn, rows, target(), { fsync: false, writer: "direct" });
    const two = await writeRowsParquet(conn, rows, target(), { fsync: false, writer: "direct" });
    expect(two.dataVersion).toBe(one.dataVersion);
  });

  test("nested values (structs, lists) go through DuckDB even when the direct writer is asked for", async () => {
    const rows = [{ k: 1, tags: ["a", "b"], at: { city: "x", zip: 1 } }];
      const viaCopy = target();
    const direct = target();
    const a = await writeRowsParquet(conn, rows, viaCopy, { fsync: false, writer: "duckdb" });
    const b = await writeRowsParquet(conn, rows, direct, { fsync: false, writer: "direct" });
    expect(b.schema.map((c) => c.type)).toEqual(["BIGINT", "VARCHAR[]", "STRUCT(city VARCHAR, zip BIGINT)"]);
    expect(await createdBy(direct)).toContain("DuckDB");
    expect(await readParquetRows(conn, [direct])).toEqual(await readParquetRows(conn, [viaCopy]));
    expect(b.dataVersion).toBe(a.dataVersion);
  });
});

describe("bigint hints read from the footers by JS", () => {
  test("merge as DuckDB's parquet_kv_metadata does, for files of both writers and files without hints", async () => {
    const files: string[] = [];
    for (const [rows, writer] of [
      [[{ a: 1n, b: 2 }], "direct"],
      [[{ a: 1, b: 2n, s: { x: 3n } }], "duckdb"],
      [[{ c: "no hints" }], "direct"],
      [[{ c: "no hints" }], "duckdb"],
    ] as const) {
      const f = target();
      await writeRowsParquet(conn, rows as never, f, { fsync: false, writer });
      files.push(f);
    }
    const viaDuckDB = async (paths: string[]) => {
      const r = await conn.runAndReadAll(`SELECT decode(value) AS v FROM parquet_kv_metadata([${paths.map((p) => `'${p}'`).join(", ")}]) WHERE decode(key) = 'dagx_js_types'`);
      let merged: Record<string, unknown> | null = null;
      for (const row of r.getRowObjectsJS()) merged = { ...JSON.parse(String(row.v)), ...(merged ?? {}) };
      return merged;
    };
    for (const paths of [files, [...files].reverse(), files.slice(2), [files[1]!]]) {
      expect((await readHints(conn, paths)) as unknown).toEqual(await viaDuckDB(paths));
    }
    expect(await readHints(conn, files)).toEqual({ a: "bigint", b: "bigint", s: { f: { x: "bigint" } } });
    // JS itself reads both writers' footers (no silent fall-back to DuckDB)
    expect(readKeyValueMetadata(files[0]!)).toEqual([["dagx_js_types", '{"a":"bigint"}']]);
    expect(readKeyValueMetadata(files[1]!).filter(([k]) => k === "dagx_js_types")).toEqual([["dagx_js_types", '{"b":"bigint","s":{"f":{"x":"bigint"}}}']]);
    expect(readKeyValueMetadata(files[3]!)).toEqual([]);
  });

  test("a file JS cannot read goes to DuckDB, which names the problem", async () => {
    const bad = path.join(root, "not-parquet.parquet");
    fs.writeFileSync(bad, "not a parquet file at all");
    await expect(readHints(conn, [bad])).rejects.toThrow();
  });
});

test("the data version the direct writer computes in memory is the hash of the file it wrote", async () => {
  const { hashFile } = await import("../../../io/storage/index.ts");
  for (const n of [1, 1000, 131_072]) {
    const f = target();
    const r = await writeRowsParquet(conn, Array.from({ length: n }, (_, i) => ({ i, s: `v${i}` })), f, { fsync: false, writer: "direct" });
    expect({ bytes: r.bytes, hash: r.dataVersion }).toEqual(hashFile(f));
  }
});

/** count, null count and an order-independent checksum of every column, as DuckDB reads the file. */
async function checksums(file: string) {
  const cols = (await describeFile(file)).map((c) => c.split(" ")[0]!);
  const exprs = cols.map((c) => `count("${c}")::BIGINT AS "${c}_n", sum(hash("${c}"))::HUGEINT::VARCHAR AS "${c}_h", min("${c}")::VARCHAR AS "${c}_min", max("${c}")::VARCHAR AS "${c}_max"`);
  return (await conn.runAndReadAll(`SELECT count(*)::BIGINT AS rows, ${exprs.join(", ")} FROM read_parquet('${file}')`)).getRowObjectsJS()[0];
}

describe("direct writer at scale (row groups encoded while the previous one compresses, buffers reused)", () => {
  test("every column's checksum equals the DuckDB writer's, with edge values in several row groups", async () => {
    const n = 400_000; // 4 row groups: two reuse the frames of the first two
    const rows = Array.from({ length: n }, (_, i) => ({
      id: i % 5 === 0 ? -(2 ** 53 - 1) + i : i * 1_000_000_000, // up to ~4e14, and near -2^53
      amount: i % 9 === 0 ? null : i / 100 + 0.005,
      // unicode only in the third row group: that page falls back to TextEncoder, the others do not
      name: i % 6 === 0 ? null : i >= 262_144 && i < 393_216 && i % 3 === 1 ? `naïve ✓ 𝄞 ${i % 50}` : `customer_${i % 5000}`,
      flag: i % 4 === 0 ? null : i % 3 === 0,
      // before 1970, and past 2^53 µs (year 2255+: the exact split path), and the last valid Date
      at: i % 10 === 0 ? null : new Date(i % 7 === 0 ? -86_400_000 * 3650 - i : i % 7 === 1 ? 8.64e15 - i : BASE + i * 1000),
    }));
    const viaCopy = target();
    const direct = target();
    await writeRowsParquet(conn, rows, viaCopy, { fsync: false, writer: "duckdb" });
    const b = await writeRowsParquet(conn, rows, direct, { fsync: false, writer: "direct" });
    expect(await createdBy(direct)).toBeNull();
    expect(await describeFile(direct)).toEqual(await describeFile(viaCopy));
    expect(b.schema.map((c) => c.type)).toEqual(["BIGINT", "DOUBLE", "VARCHAR", "BOOLEAN", "TIMESTAMP"]);
    const sums = await checksums(direct);
    expect(sums).toEqual(await checksums(viaCopy));
    expect(sums!.rows).toBe(BigInt(n));
    expect(sums!.name_n).toBe(BigInt(n - Math.ceil(n / 6)));
    // and a few rows read back through dagx, exactly
    const ids = [0, 1, 7, 262_145, 262_147, 300_001, 399_999].map((i) => rows[i]!.id);
    const pick = async (file: string) => await readParquetRows(conn, [], { text: `SELECT * FROM read_parquet('${file}') WHERE id IN (${ids.join(", ")}) ORDER BY id`, params: [] });
    const picked = await pick(direct);
    expect(picked.length).toBe(ids.length);
    expect(picked).toEqual(await pick(viaCopy));
    expect(picked.find((r) => r.id === 262_147_000_000_000)?.name).toBe("naïve ✓ 𝄞 47");
    expect(picked.find((r) => r.id === 1_000_000_000)?.at).toEqual(new Date(8.64e15 - 1));
  }, 60_000);

  test("buffers reused from an earlier write start empty: nulls of the next write stay nulls", async () => {
    const { pooled } = await import("../../../io/tabular/_pool.ts");
    const n = 70_000; // large enough for the pool
    const full = Array.from({ length: n }, (_, i) => ({ a: i, b: i * 0.5, f: true, s: `s${i}` }));
    await writeRowsParquet(conn, full, target(), { fsync: false, writer: "direct" });
    expect(pooled().bytes).toBeGreaterThan(0); // the next write really takes reused buffers
    // same size, same columns, now with holes: stale "present" bytes would turn them into values
    const holes = Array.from({ length: n }, (_, i) => (i % 2 === 0 ? { a: null, b: null, f: null, s: null } : { a: i, b: i * 0.5, f: false, s: `t${i}` }));
    const f = target();
    await writeRowsParquet(conn, holes, f, { fsync: false, writer: "direct" });
    const r = (await conn.runAndReadAll(`SELECT count(a)::INT AS a, count(b)::INT AS b, count(f)::INT AS f, count(s)::INT AS s, bool_or(f)::VARCHAR AS anytrue, sum(a)::BIGINT AS suma FROM read_parquet('${f}')`)).getRowObjectsJS()[0];
    expect(r).toEqual({ a: n / 2, b: n / 2, f: n / 2, s: n / 2, anytrue: "false", suma: BigInt((n / 2) * (n / 2)) });
  }, 30_000);
});

describe("direct writer statistics", () => {
  const n = 300_000; // 3 row groups of ≤ 131,072 rows
  const rows = Array.from({ length: n }, (_, i) => ({
    id: i % 5 === 0 ? -i - 1 : i,
    x: i % 7 === 0 ? null : i === 200_005 ? Number.NaN : i % 11 === 0 ? -0 : i * 0.5 - 1000,
    s: i % 3 ? `a${i}` : null,
    b: i % 4 === 0 ? null : i < 131_072 ? true : i % 2 === 1,
    t: i % 9 ? new Date(Date.UTC(2024, 0, 1) + i * 1000) : null,
    none: null,
  }));
  let file = "";
  beforeAll(async () => {
    file = target();
    await writeRowsParquet(conn, rows, file, { fsync: false, writer: "direct" });
  });

  test("each row group's null count and min/max are those of its rows, as DuckDB reads them", async () => {
    const meta = (await conn.runAndReadAll(`SELECT row_group_id::INT AS rg, path_in_schema AS col, stats_null_count::INT AS nulls, stats_min_value AS min, stats_max_value AS max FROM parquet_metadata('${file}') ORDER BY 1, 2`)).getRowObjectsJS();
    const cols = ["b", "id", "none", "s", "t", "x"];
    const exprs = cols.map((c) => `(count(*) - count("${c}"))::INT AS "${c}_nulls", min("${c}")::VARCHAR AS "${c}_min", max("${c}")::VARCHAR AS "${c}_max"`);
    const actual = (await conn.runAndReadAll(`SELECT (file_row_number // 131072)::INT AS rg, ${exprs.join(", ")} FROM read_parquet('${file}', file_row_number = true) GROUP BY 1 ORDER BY 1`)).getRowObjectsJS();
    expect(meta.length).toBe(3 * cols.length);
    for (const m of meta) {
      const a = actual[m.rg as number]!;
      const col = String(m.col);
      expect(m.nulls).toBe(a[`${col}_nulls`] as number);
      if (col === "s" || col === "none" || (col === "x" && m.rg === 1)) {
        // strings: null counts only; all-null: nothing to order; a NaN: no min/max at all
        expect([m.min, m.max]).toEqual([null, null]);
        continue;
      }
      const num = (v: unknown) => (col === "id" || col === "x" ? Number(v) : v);
      expect([num(m.min), num(m.max)]).toEqual([num(a[`${col}_min`]), num(a[`${col}_max`])]);
    }
    expect(meta.find((m) => m.col === "b" && m.rg === 0)).toMatchObject({ min: "true", max: "true" });
    expect(meta.find((m) => m.col === "t" && m.rg === 0)).toMatchObject({ min: "2024-01-01 00:00:01", max: "2024-01-02 12:24:31" });
  });

  test("a NaN is still found by a filter DuckDB could prune by min/max", async () => {
    const q = async (where: string) => Number((await conn.runAndReadAll(`SELECT count(*)::INT AS n FROM read_parquet('${file}') WHERE ${where}`)).getRowObjectsJS()[0]!.n);
    expect(await q("x > 1e9")).toBe(1); // DuckDB orders NaN above every number
    expect(await q("isnan(x)")).toBe(1);
    expect(await q("id = -6")).toBe(1);
    expect(await q(`t = TIMESTAMP '2024-01-01 00:00:01'`)).toBe(1);
    expect(await q("b = false")).toBe(rows.filter((r) => r.b === false).length);
  });
});

describe("direct writer: BIGINT and TIMESTAMP pages delta-encoded when the deltas pack", () => {
  const encodings = async (file: string) =>
    Object.fromEntries((await conn.runAndReadAll(`SELECT path_in_schema AS c, string_agg(DISTINCT encodings, ',') AS e FROM parquet_metadata('${file}') GROUP BY 1`)).getRowObjectsJS().map((r) => [r.c, r.e]));
  const FUTURE = Date.UTC(2200, 0, 1); // in µs past 2^52: the first value takes the exact (BigInt) path
  let seed = 7;
  const rand = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);

  for (const n of [1, 2, 33, 129, 1000, 140_000]) {
    test(`${n} rows: steady steps, jitter, far-future timestamps, nulls; a column with huge jumps stays PLAIN`, async () => {
      const rows = Array.from({ length: n }, (_, i) => ({
        step: 1000 + i * 3, // one width: 0 bits
        jitter: i % 13 === 5 ? null : Math.round(rand() * 2_000_000) - 1_000_000, // negative and positive deltas
        future: i % 17 === 3 ? null : new Date(FUTURE + i * 1000 + (i % 3)),
        past: new Date(-1e12 - i * 86_400_000), // before 1970, descending
        jumps: i % 2 === 0 ? 2 ** 53 - 1 - i : -(2 ** 53) + 1 + i, // deltas past 2^53: PLAIN
      }));
      const { direct } = await both(rows);
      if (n === 1) return;
      const e = await encodings(direct);
      for (const c of ["step", "jitter", "future", "past"]) expect(e[c]).toContain("DELTA_BINARY_PACKED");
      expect(e.jumps).not.toContain("DELTA");
    }, 60_000);
  }
});

describe("direct writer: repetitive strings dictionary-encoded", () => {
  test("values, null counts, encodings and (ASCII) min/max per row group; filters find the same rows", async () => {
    const n = 140_000; // 2 row groups
    const rows = Array.from({ length: n }, (_, i) => ({
      rep: i % 11 === 0 ? null : `k${i % 300}`,
      one: "same",
      uni: `ü${i % 5} ✓`,
      mixed: i < 131_072 ? `r${i % 10}` : `u${i}`, // a dictionary, then too distinct: PLAIN
    }));
    const { direct } = await both(rows);
    const meta = (await conn.runAndReadAll(`SELECT row_group_id::INT AS rg, path_in_schema AS c, encodings AS e, stats_null_count::INT AS nulls, stats_min_value AS min, stats_max_value AS max FROM parquet_metadata('${direct}') ORDER BY 1, 2`)).getRowObjectsJS();
    const at = (rg: number, c: string) => meta.find((m) => m.rg === rg && m.c === c)!;
    for (const rg of [0, 1]) {
      for (const c of ["rep", "one", "uni"]) expect(at(rg, c).e).toContain("RLE_DICTIONARY");
      const keys = rows.slice(rg * 131_072, (rg + 1) * 131_072).map((r) => r.rep).filter((s) => s !== null).sort();
      expect(at(rg, "rep")).toMatchObject({ nulls: rows.slice(rg * 131_072, (rg + 1) * 131_072).filter((r) => r.rep === null).length, min: keys[0], max: keys[keys.length - 1] });
      expect(at(rg, "one")).toMatchObject({ min: "same", max: "same", nulls: 0 });
      expect([at(rg, "uni").min, at(rg, "uni").max]).toEqual([null, null]); // not ASCII: no min/max
    }
    expect(at(0, "mixed").e).toContain("RLE_DICTIONARY");
    expect(at(1, "mixed").e).not.toContain("DICTIONARY");
    const q = async (where: string) => Number((await conn.runAndReadAll(`SELECT count(*)::INT AS n FROM read_parquet('${direct}') WHERE ${where}`)).getRowObjectsJS()[0]!.n);
    expect(await q("rep = 'k7'")).toBe(rows.filter((r) => r.rep === "k7").length);
    expect(await q("rep > 'k99'")).toBe(rows.filter((r) => r.rep !== null && r.rep > "k99").length);
    expect(await q("uni = 'ü3 ✓'")).toBe(n / 5);
    expect(await q("mixed = 'u139999'")).toBe(1);
  }, 60_000);
});
