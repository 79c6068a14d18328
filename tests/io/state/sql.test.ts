/** The state store's bulk helpers: appender inserts inside transactions, and key rows passed as one JSON parameter. */
import { DuckDBInstance } from "@duckdb/node-api";
import { afterAll, beforeAll, expect, test } from "bun:test";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { insert, jsonRows, rows, transaction } from "../../../io/state/_sql.ts";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dagx-state-sql-"));
const instance = await DuckDBInstance.create(":memory:", { threads: "1" });
const conn = await instance.connect();

beforeAll(async () => {
  // Like the store: an attached file, selected with USE.
  await conn.run(`ATTACH '${path.join(dir, "s.duckdb")}' AS st`);
  await conn.run("USE st");
  await conn.run("CREATE TABLE t (k VARCHAR NOT NULL, ts BIGINT NOT NULL, d DOUBLE, b BOOLEAN, i INTEGER, PRIMARY KEY (k))");
});
afterAll(() => {
  conn.closeSync();
  instance.closeSync();
  fs.rmSync(dir, { recursive: true, force: true });
});

const all = async (): Promise<Record<string, unknown>[]> => (await rows(conn, "SELECT * FROM t ORDER BY k")).map((r) => ({ ...r, ts: Number(r.ts) }));

test("insert() appends values of every column type the store uses, numbers into BIGINT included", async () => {
  await transaction(conn, () => insert(conn, "t", [["a", 1_700_000_000_123, 1.5, true, 7], ["b", 2n, null, false, null]]));
  expect(await all()).toEqual([
    { k: "a", ts: 1_700_000_000_123, d: 1.5, b: true, i: 7 },
    { k: "b", ts: 2, d: null, b: false, i: null },
  ]);
  await conn.run("DELETE FROM t");
});

test("insert() inside a transaction is undone by its rollback; a constraint error names the constraint and keeps nothing", async () => {
  await expect(
    transaction(conn, async () => {
      await insert(conn, "t", [["x", 1, null, null, null]]);
      await insert(conn, "t", [["y", 1, null, null, null], [null, 2, null, null, null]]);
    }),
  ).rejects.toThrow(/NOT NULL constraint failed/);
  await expect(transaction(conn, () => insert(conn, "t", [["z", 1, null, null, null], ["z", 2, null, null, null]]))).rejects.toThrow(/duplicate key "z"/);
  expect(await all()).toEqual([]);
  await expect(insert(conn, "t", [["short row"]])).rejects.toThrow(/1 values for 5 columns/);
});

test("jsonRows() carries any text (quotes, backslashes, unicode, NUL) and bigints as one parameter", async () => {
  const keys = ["it's", 'say "hi"', "back\\slash", "naïve ☃", "nul\u0000byte", "date=2024-01-01/region=eu"];
  const incoming = jsonRows({ k: "VARCHAR", ts: "BIGINT" }, keys.map((k, i) => [k, i === 0 ? 9_007_199_254_740_993n : i]));
  const got = await rows(conn, `SELECT k, ts FROM ${incoming.sql} n ORDER BY ts`, [incoming.param]);
  expect(got.map((r) => r.k)).toEqual([...keys.slice(1), keys[0]]);
  expect(got.at(-1)!.ts).toBe(9_007_199_254_740_993n);
  const none = jsonRows({ k: "VARCHAR" }, []);
  expect(await rows(conn, `SELECT count(*) AS n FROM ${none.sql} n`, [none.param])).toEqual([{ n: 0n }]);
});
