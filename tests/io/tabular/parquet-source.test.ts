import { type DuckDBConnection, DuckDBInstance } from "@duckdb/node-api";
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { type PartitionFiles, partitionFilesSql } from "../../../io/tabular/parquet-source.ts";
import { writeRowsParquet } from "../../../io/tabular/tabular.ts";

// a folder that is a hive column and a glob to DuckDB, with a look-alike beside it
const root = fs.mkdtempSync(path.join(os.tmpdir(), "status=paid [x]*-"));
const twin = path.join(path.dirname(root), path.basename(root).replace("[x]*", "x"));
let instance: DuckDBInstance;
let conn: DuckDBConnection;
const getConn = async () => conn;

beforeAll(async () => {
  instance = await DuckDBInstance.create(":memory:");
  conn = await instance.connect();
});
afterAll(() => {
  conn.closeSync();
  instance.closeSync();
  for (const d of [root, twin]) fs.rmSync(d, { recursive: true, force: true });
});

/** Write one file per key under `base/<dim>=<key>/data.parquet` (the folder name is never read). */
async function files(base: string, keys: string[], row: (k: string) => Record<string, unknown>): Promise<string[]> {
  const out: string[] = [];
  for (const k of keys) {
    const f = path.join(base, `partition=${encodeURIComponent(k)}`, "data.parquet");
    await writeRowsParquet(conn, [row(k)], f, { fsync: false });
    out.push(f);
  }
  return out;
}

async function read(sql: string): Promise<Record<string, unknown>[]> {
  return (await conn.runAndReadAll(`SELECT * FROM ${sql} ORDER BY ALL`)).getRowObjectsJS();
}

describe("partitionFilesSql()", () => {
  const keys = ["acme", "NULL", "globex"];
  let src: PartitionFiles;
  beforeAll(async () => {
    const f = await files(path.join(root, "dyn"), keys, (k) => ({ who: k.toLowerCase() }));
    await files(path.join(twin, "dyn"), keys, () => ({ who: "twin" }));
    src = { files: f, dims: ["partition"], keyOf: (i) => [keys[i]!], schemas: [[{ name: "who", type: "VARCHAR" }]] };
  });

  test("adds the partition column from the keys (VARCHAR, \"NULL\" a string), reading only the listed files of this folder", async () => {
    const want = [
      { who: "acme", partition: "acme" },
      { who: "globex", partition: "globex" },
      { who: "null", partition: "NULL" },
    ];
    expect(await read(await partitionFilesSql(src, getConn))).toEqual(want);
    // past the inline limit the files and keys live in the connection (temp table + variable): same rows
    const big = await partitionFilesSql(src, getConn, 1);
    expect(big).not.toContain(root);
    expect(await read(big)).toEqual(want);
  });

  test("one file takes its keys as constants and a few a CASE on the file name: the same rows, types and order as the join", async () => {
    for (const pick of [[0], [0, 2], [0, 1, 2]]) {
      const sub: PartitionFiles = { ...src, files: pick.map((i) => src.files[i]!), keyOf: (i) => [keys[pick[i]!]!] };
      const joined = await partitionFilesSql(sub, getConn, 1000, 0);
      expect(joined).toContain(" JOIN ");
      const small = await partitionFilesSql(sub, getConn);
      expect(small).not.toContain(" JOIN ");
      expect(await read(small)).toEqual(await read(joined));
      const types = async (sql: string) => (await conn.runAndReadAll(`DESCRIBE SELECT * FROM ${sql}`)).getRowObjectsJS().map((r) => `${r.column_name} ${r.column_type}`);
      expect(await types(small)).toEqual(await types(joined));
    }
  });

  test("a multi-partitioned file gets each dimension it lacks, from its own key", async () => {
    const f = await files(path.join(root, "multi"), ["k1", "k2"], (k) => ({ region: `own-${k}`, v: 1 }));
    const multi: PartitionFiles = { files: f, dims: ["date", "region"], keyOf: (i) => [[`2024-01-0${i + 1}`, "eu"], [`2024-01-0${i + 1}`, "us"]][i]!, schemas: [[{ name: "region", type: "VARCHAR" }, { name: "v", type: "BIGINT" }]] };
    const want = [{ region: "own-k1", v: 1n, date: "2024-01-01" }, { region: "own-k2", v: 1n, date: "2024-01-02" }];
    expect(await read(await partitionFilesSql(multi, getConn))).toEqual(want);
    expect(await read(await partitionFilesSql(multi, getConn, 1000, 0))).toEqual(want);
    expect(await read(await partitionFilesSql({ ...multi, files: [f[1]!], keyOf: () => ["2024-01-02", "us"] }, getConn))).toEqual([want[1]!]);
  });

  test("a column of the data with a dimension's name wins (matched case-insensitively), also when the schema must be asked of DuckDB", async () => {
    const f = await files(path.join(root, "own"), ["a", "b"], (k) => ({ Partition: `own-${k}`, n: 1 }));
    const own: PartitionFiles = { files: f, dims: ["partition"], keyOf: (i) => [["a", "b"][i]!], schemas: [[{ name: "Partition", type: "VARCHAR" }, { name: "n", type: "BIGINT" }]] };
    const want = [{ Partition: "own-a", n: 1n }, { Partition: "own-b", n: 1n }];
    expect(await read(await partitionFilesSql(own, getConn))).toEqual(want);
    expect(await read(await partitionFilesSql({ ...own, schemas: [null] }, getConn))).toEqual(want);
    expect(await read(await partitionFilesSql({ ...own, schemas: [null] }, getConn, 0))).toEqual(want);
  });

  test("files whose schemas differ are read by name (union), with the key column after the data's", async () => {
    const f = await files(path.join(root, "mixed"), ["x", "y"], (k) => (k === "x" ? { a: 1 } : { a: 2.5, b: "y" }));
    const mixed: PartitionFiles = { files: f, dims: ["partition"], keyOf: (i) => [["x", "y"][i]!], schemas: [[{ name: "a", type: "BIGINT" }], [{ name: "a", type: "DOUBLE" }, { name: "b", type: "VARCHAR" }]] };
    expect(await read(await partitionFilesSql(mixed, getConn))).toEqual([
      { a: 1, b: null, partition: "x" },
      { a: 2.5, b: "y", partition: "y" },
    ]);
  });
});
