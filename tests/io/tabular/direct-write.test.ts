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
  });

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
