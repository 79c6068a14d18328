// A real Postgres (tests/support/postgres.ts) reached with Bun's built-in SQL client: what the
// Postgres IO manager and state store will stand on. ~1 s (server start 0.7 s).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { SQL } from "bun";
import { type PostgresServer, startPostgres } from "../../support/postgres.ts";

let pg: PostgresServer;
let sql: SQL;

beforeAll(async () => {
  pg = await startPostgres();
  sql = new SQL(pg.url, { max: 2 });
});

afterAll(async () => {
  await sql?.close();
  await pg?.stop();
});

describe("startPostgres", () => {
  test("serves on loopback with password authentication", async () => {
    expect(pg.url).toStartWith("postgres://dagx:");
    expect(pg.host).toBe("127.0.0.1");
    const [row] = await sql`select current_user as who, inet_server_addr()::text as addr, version() as v`;
    expect(row.who).toBe("dagx");
    expect(row.addr).toBe("127.0.0.1/32");
    expect(row.v).toContain("PostgreSQL");
    const wrong = new SQL(pg.url.replace(`:${pg.password}@`, ":wrong@"), { max: 1 });
    await expect(wrong`select 1`).rejects.toThrow(/password/);
    await wrong.close();
  });

  test("COPY FROM STDIN in a transaction, read back; a failed transaction leaves the previous rows", async () => {
    await sql`create table trades (id bigint primary key, symbol text not null, qty integer, price double precision)`;
    const n = 10_000;
    const lines = Array.from({ length: n }, (_, i) => `${i}\tS${i % 7}\t${i % 100}\t${(i * 0.25).toFixed(2)}\n`).join("");
    await sql.begin(async (tx) => {
      const w = tx`copy trades (id, symbol, qty, price) from stdin`.writable().getWriter();
      await w.write(lines);
      await w.close();
    });
    const [sum] = await sql`select count(*)::int as n, sum(qty)::int as q, max(price) as p from trades`;
    expect(sum).toEqual({ n, q: (n / 100) * 4950, p: (n - 1) * 0.25 });

    // Replace rows 0..99 in one transaction that fails half-way: nothing changes.
    const failed = sql.begin(async (tx) => {
      await tx`delete from trades where id < 100`;
      const w = tx`copy trades (id, symbol, qty, price) from stdin`.writable().getWriter();
      await w.write("0\tX\t1\t1.0\n0\tX\t1\t1.0\n"); // duplicate key: the COPY fails
      await w.close();
    });
    await expect(failed).rejects.toThrow(/duplicate key/);
    const [after] = await sql`select count(*)::int as n, min(symbol) as s from trades where id < 100`;
    expect(after).toEqual({ n: 100, s: "S0" });

    const out = await new Response(sql`copy (select id, symbol from trades where id < 3 order by id) to stdout`.readable()).text();
    expect(out).toBe("0\tS0\n1\tS1\n2\tS2\n");
  });
});

test("stop() ends the server and removes its folder; a second stop() is a no-op", async () => {
  const other = await startPostgres();
  expect(existsSync(other.folder)).toBe(true);
  await other.stop();
  expect(existsSync(other.folder)).toBe(false);
  expect(isAlive(other.pid)).toBe(false);
  await other.stop();
  const conn = new SQL(other.url, { max: 1, connectionTimeout: 2 });
  await expect(conn`select 1`).rejects.toThrow();
  await conn.close();
});

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
