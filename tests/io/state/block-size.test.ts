/**
 * The state file's block size (io/state/_session.ts): a file dagx creates gets 64 KiB blocks
 * (less memory per commit, a smaller file); a file made with DuckDB's default 256 KiB blocks — by
 * dagx before this change, or by any DuckDB client — keeps them and works as before, including one
 * that appears between dagx's look at the folder and its ATTACH; processes racing to create the
 * file all succeed, with and without the flock gate.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { DuckDBInstance } from "@duckdb/node-api";
import { gunzipSync } from "bun";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { attachFile, NEW_FILE_BLOCK_SIZE } from "../../../io/state/_session.ts";
import { createDuckDBStateStore } from "../../../io/state/duckdb-store.ts";
import { makeRun } from "./runs.contract.ts";

const REPO = path.join(import.meta.dir, "../../..");
const WORKER = path.join(REPO, "tests/fixtures/state-worker.ts");
const DEFAULT_BLOCK_SIZE = 262_144;
const root = fs.mkdtempSync(path.join(os.tmpdir(), "dagx-block-size-"));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));
let counter = 0;
const freshPath = () => path.join(root, `p${++counter}`, ".dagx", "state.duckdb");

/** Block size stored in the file's header, read by a separate read-only instance. */
async function blockSize(file: string): Promise<number> {
  const db = await DuckDBInstance.create(file, { access_mode: "READ_ONLY" });
  const conn = await db.connect();
  try {
    const rows = (await conn.runAndReadAll("SELECT block_size FROM pragma_database_size() WHERE database_name = current_database()")).getRowObjectsJS();
    return Number(rows[0]?.block_size);
  } finally {
    conn.closeSync();
    db.closeSync();
  }
}

/** A DuckDB file with the default block size, as dagx made them before 64 KiB blocks. */
async function makeDefaultFile(file: string): Promise<void> {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const db = await DuckDBInstance.create(file);
  const conn = await db.connect();
  await conn.run("CREATE TABLE other_tool (a INTEGER)");
  conn.closeSync();
  db.closeSync();
}

describe("state file block size", () => {
  test("a state file dagx creates has 64 KiB blocks, and is read back by the next store", async () => {
    const file = freshPath();
    const store = createDuckDBStateStore(file);
    await store.createRun(makeRun("r1"));
    await store.close();
    expect(NEW_FILE_BLOCK_SIZE).toBe(65_536);
    expect(await blockSize(file)).toBe(NEW_FILE_BLOCK_SIZE);
    const again = createDuckDBStateStore(file);
    expect((await again.listRuns()).map((r) => r.runId)).toEqual(["r1"]);
    await again.close();
  });

  test("a state file made by an older dagx (256 KiB blocks, schema 4) keeps its blocks and is read, migrated and written", async () => {
    const file = freshPath();
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, gunzipSync(fs.readFileSync(path.join(REPO, "tests/fixtures/state-v4/dagx/state.duckdb.gz"))));
    expect(await blockSize(file)).toBe(DEFAULT_BLOCK_SIZE);
    const store = createDuckDBStateStore(file);
    const before = (await store.listRuns()).length;
    expect(before).toBeGreaterThan(0);
    await store.createRun(makeRun("after-upgrade"));
    await store.close();
    expect(await blockSize(file)).toBe(DEFAULT_BLOCK_SIZE);
    const again = createDuckDBStateStore(file);
    const runs = await again.listRuns();
    expect(runs.length).toBe(before + 1);
    expect(runs.some((r) => r.runId === "after-upgrade")).toBe(true);
    await again.close();
  });

  test("a file created by another program between dagx's look and its ATTACH is attached with its own block size", async () => {
    const file = freshPath();
    await makeDefaultFile(file); // appears after dagx saw no file: attachFile is told it did not exist
    const db = await DuckDBInstance.create(":memory:");
    const conn = await db.connect();
    try {
      await attachFile(conn, file, { existed: false, readOnly: false });
      const rows = (await conn.runAndReadAll("SELECT block_size FROM pragma_database_size() WHERE database_name = 'dagx_state'")).getRowObjectsJS();
      expect(Number(rows[0]?.block_size)).toBe(DEFAULT_BLOCK_SIZE);
      expect((await conn.runAndReadAll("SELECT count(*) AS n FROM dagx_state.other_tool")).getRowObjectsJS()[0]?.n).toBe(0n);
      await conn.run("DETACH dagx_state");
    } finally {
      conn.closeSync();
      db.closeSync();
    }
  });

  test("any other ATTACH failure of a new file is still reported", async () => {
    const file = freshPath();
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, "not a database");
    const db = await DuckDBInstance.create(":memory:");
    const conn = await db.connect();
    try {
      await expect(attachFile(conn, file, { existed: false, readOnly: false })).rejects.toThrow(/not a valid DuckDB database file/);
    } finally {
      conn.closeSync();
      db.closeSync();
    }
  });

  // Real processes started at the same moment on a folder with no state file: with the flock gate
  // they take turns; without it (DAGX_STATE_NO_FLOCK=1) they meet at DuckDB's own lock.
  for (const gate of ["with the flock gate", "without the flock gate"] as const) {
    test(`4 processes creating the state file at once all succeed, ${gate}; the file has 64 KiB blocks`, async () => {
      for (let round = 0; round < 2; round++) {
        const file = freshPath();
        const startAt = Date.now() + 1500;
        const env = { ...process.env, ...(gate === "without the flock gate" ? { DAGX_STATE_NO_FLOCK: "1" } : {}) };
        const children = Array.from({ length: 4 }, (_, i) =>
          Bun.spawn([process.execPath, WORKER, "mixed", file, `w${i}`, String(startAt), "2", "2"], { cwd: REPO, env, stdout: "pipe", stderr: "pipe" }),
        );
        const results = await Promise.all(
          children.map(async (c) => ({ code: await c.exited, stdout: await new Response(c.stdout).text(), stderr: await new Response(c.stderr).text() })),
        );
        for (const r of results) expect(r).toMatchObject({ code: 0, stderr: "" });
        expect(await blockSize(file)).toBe(NEW_FILE_BLOCK_SIZE);
        const store = createDuckDBStateStore(file);
        expect((await store.listRuns()).map((r) => r.status)).toEqual(Array(4).fill("success"));
        await store.close();
      }
    }, 120_000);
  }

  test("a dagx process and another program creating the file at once: both succeed, whichever block size wins", async () => {
    const file = freshPath();
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const startAt = Date.now() + 1500;
    const env = { ...process.env, DAGX_STATE_NO_FLOCK: "1" };
    const other = `
      import { DuckDBInstance } from "@duckdb/node-api";
      await Bun.sleep(Math.max(0, ${startAt} - Date.now()));
      for (let i = 0; ; i++) {
        try { const db = await DuckDBInstance.create(${JSON.stringify(file)}); db.closeSync(); break; }
        catch (e) { if (i > 200 || !/lock/i.test(String(e))) throw e; await Bun.sleep(5); }
      }`;
    const children = [
      Bun.spawn([process.execPath, "-e", other], { cwd: REPO, env, stdout: "pipe", stderr: "pipe" }),
      ...Array.from({ length: 2 }, (_, i) => Bun.spawn([process.execPath, WORKER, "mixed", file, `w${i}`, String(startAt), "2", "2"], { cwd: REPO, env, stdout: "pipe", stderr: "pipe" })),
    ];
    const results = await Promise.all(children.map(async (c) => ({ code: await c.exited, stderr: await new Response(c.stderr).text() })));
    for (const r of results) expect(r).toMatchObject({ code: 0, stderr: "" });
    expect([NEW_FILE_BLOCK_SIZE, DEFAULT_BLOCK_SIZE]).toContain(await blockSize(file));
    const store = createDuckDBStateStore(file);
    expect((await store.listRuns()).length).toBe(2);
    await store.close();
  }, 120_000);
});
