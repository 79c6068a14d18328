// The warehouse lease: one attachment per file and process. Two DuckDB instances of one process
// must never have the file attached at once (DuckDB's lock is per process, so nothing else would
// stop them); connections of one instance share the attachment, and the last one out detaches.
import { afterEach, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { leaseWarehouse } from "../../../io/iomanagers/_duckdb-table-lease.ts";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function connect() {
  const instance = await DuckDBInstance.create(":memory:");
  return { instance, a: await instance.connect(), b: await instance.connect() };
}
const attached = async (c: Awaited<ReturnType<typeof connect>>["a"]) =>
  (await c.runAndReadAll("SELECT database_name FROM duckdb_databases() WHERE database_name LIKE 'dagx_warehouse_%'")).getRowObjectsJS().length;

describe("leaseWarehouse()", () => {
  test("connections of one instance share the attachment; the last release detaches it", async () => {
    const dir = mkdtempSync(join(tmpdir(), "dagx-lease-"));
    dirs.push(dir);
    const file = join(dir, "w.duckdb");
    const x = await connect();
    const l1 = await leaseWarehouse(x.a, file, { purpose: "test", timeoutMs: 1000 });
    const l2 = await leaseWarehouse(x.b, file, { purpose: "test", timeoutMs: 1000 });
    expect(l2.alias).toBe(l1.alias);
    await l1.release(x.a);
    expect(await attached(x.b)).toBe(1);
    await l2.release(x.b);
    expect(await attached(x.b)).toBe(0);
    x.a.closeSync();
    x.b.closeSync();
    x.instance.closeSync();
  });

  test("another instance of this process waits for the release, then fails after its timeout", async () => {
    const dir = mkdtempSync(join(tmpdir(), "dagx-lease-"));
    dirs.push(dir);
    const file = join(dir, "w.duckdb");
    const x = await connect();
    const y = await connect();
    const held = await leaseWarehouse(x.a, file, { purpose: "test", timeoutMs: 1000 });
    await expect(leaseWarehouse(y.a, file, { purpose: 'store "orders"', timeoutMs: 150 })).rejects.toThrow('Cannot store "orders" in warehouse');
    expect(await attached(y.a)).toBe(0);
    const waiting = leaseWarehouse(y.a, file, { purpose: "test", timeoutMs: 5000 });
    await Bun.sleep(100);
    expect(await attached(y.a)).toBe(0);
    await held.release(x.a);
    const got = await waiting;
    expect(await attached(y.a)).toBe(1);
    expect(await attached(x.a)).toBe(0);
    await got.release(y.a);
    for (const i of [x, y]) {
      i.a.closeSync();
      i.b.closeSync();
      i.instance.closeSync();
    }
  });

  test("a lease taken while the last one out detaches waits for the detach, then attaches again", async () => {
    // The flake of tests/integration/dbt/read.test.ts (--stale exit 1): a SQL step joined the
    // attachment of dbt's file while the step before it was detaching it, then found no catalog.
    const dir = mkdtempSync(join(tmpdir(), "dagx-lease-"));
    dirs.push(dir);
    const file = join(dir, "w.duckdb");
    const x = await connect();
    const setup = await leaseWarehouse(x.a, file, { purpose: "test", timeoutMs: 1000 });
    await x.a.run(`CREATE TABLE ${setup.alias}.t AS SELECT 42 AS v`);
    await setup.release(x.a);
    for (let round = 0; round < 30; round++) {
      const first = await leaseWarehouse(x.a, file, { purpose: "test", timeoutMs: 1000, readOnly: true, alias: "w" });
      const joining = leaseWarehouse(x.b, file, { purpose: "test", timeoutMs: 5000, readOnly: true, alias: "w" });
      // let the second lease reach its check of the attachment, then let the first one go
      for (let i = 0; i < round % 6; i++) await Promise.resolve();
      const released = first.release(x.a);
      const second = await joining;
      await released;
      expect((await x.b.runAndReadAll("SELECT v FROM w.t")).getRowObjectsJS()).toEqual([{ v: 42 }]);
      await second.release(x.b);
      expect(await attachedAs(x.b, "w")).toBe(0);
    }
    x.a.closeSync();
    x.b.closeSync();
    x.instance.closeSync();
  });
});

const attachedAs = async (c: Awaited<ReturnType<typeof connect>>["a"], alias: string) =>
  (await c.runAndReadAll("SELECT database_name FROM duckdb_databases() WHERE database_name = $1", [alias])).getRowObjectsJS().length;
