/**
 * postgresTable against a real (embedded) Postgres: the IO manager contract, partitions replaced
 * atomically, a failed write keeps the previous data, a foreign table refused, JSON values as
 * one-row tables, and the URL's password never in an error.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { SQL } from "bun";
import { createPostgresTable } from "../../../io/iomanagers/postgres-table.ts";
import { parseLocation } from "../../../io/iomanagers/_postgres-sql.ts";
import { outputContext } from "../../../io/iomanagers/index.ts";
import { startPostgres, type PostgresServer } from "../../support/postgres.ts";
import { createHarness, type Harness, testIOManager } from "./contract.ts";

let pg: PostgresServer;
let db: SQL;
beforeAll(async () => {
  pg = await startPostgres();
  db = new SQL(pg.url);
});
afterAll(async () => {
  await db?.close();
  await pg?.stop();
});

let schemas = 0;
/** A schema of its own for each manager: tests do not see each other's tables. */
const fresh = (extra: object = {}) => createPostgresTable({ url: pg.url, schema: `t${++schemas}`, ...extra });

async function tableExists(schema: string, table: string): Promise<boolean> {
  const [r] = await db`select to_regclass(${`"${schema}"."${table}"`}) is not null as e`;
  return Boolean(r.e);
}

const rows = [
  { id: 1, name: "ana", paid: true, amount: 1.5, at: new Date("2024-01-01T10:00:00Z"), note: null },
  { id: 2, name: "bo", paid: false, amount: -2, at: new Date("2024-01-02T11:30:00Z"), note: "late" },
];
const otherRows = [{ id: 3, name: "cy", paid: true, amount: 0, at: new Date("2024-02-01T00:00:00Z"), note: null }];

let lastSchema = "";
testIOManager({
  name: "postgresTable (built-in, embedded Postgres)",
  create: () => {
    const m = fresh();
    lastSchema = `t${schemas}`;
    return m;
  },
  reads: "table",
  sample: rows,
  expected: rows,
  other: otherRows,
  otherExpected: otherRows,
  failing: (h) => h.sql`select error('disk on fire') as x`,
  pathOf: () => "",
  exists: async (_h, location) => {
    const where = parseLocation(location)!;
    return tableExists(where.schema, where.table);
  },
});

const settings = { currency: "EUR", rates: [1, 2.5], nested: { ok: true, none: null } };

testIOManager({
  name: "postgresTable with JSON values (one-row tables)",
  create: () => fresh(),
  reads: "value",
  sample: settings,
  expected: settings,
  other: [1, "two", false],
  otherExpected: [1, "two", false],
  failing: () => ({
    get broken(): never {
      throw new Error("cannot read");
    },
  }),
  pathOf: () => "",
  exists: async (_h, location) => {
    const where = parseLocation(location)!;
    return tableExists(where.schema, where.table);
  },
});

describe("postgresTable", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness();
  });
  afterAll(async () => {
    await h?.close();
  });

  test("a table dagx did not create is refused, named, and left as it was", async () => {
    const m = fresh();
    const schema = `t${schemas}`;
    await db.unsafe(`create schema ${schema}; create table ${schema}.orders (owner text); insert into ${schema}.orders values ('theirs')`);
    await expect(h.write(m, "orders", "", rows)).rejects.toThrow(`table ${schema}.orders already exists and dagx did not create it`);
    expect(await db.unsafe(`select * from ${schema}.orders`)).toEqual([{ owner: "theirs" }]);
    // remove() of that name leaves it too
    await m.remove!(outputContext(h.io, "orders", "", []), `postgres:${schema}/orders`);
    expect(await db.unsafe(`select * from ${schema}.orders`)).toEqual([{ owner: "theirs" }]);
    const tmp = await db.unsafe(`select count(*)::int as n from pg_tables where schemaname = '${schema}' and tablename like '\\_dagx\\_tmp\\_%'`);
    expect(tmp).toEqual([{ n: 0 }]);
  });

  test("a partition is replaced in one transaction: a reader sees the old rows or the new ones, never a mix", async () => {
    const m = fresh();
    const schema = `t${schemas}`;
    const big = (tag: string) => h.sql`select range::INTEGER as i, ${tag} as tag from range(200000)`;
    await h.write(m, "events", "2024-01-01", big("old"));
    await h.write(m, "events", "2024-01-02", big("other"));
    // a reader polls counts while the partition is replaced
    let done = false;
    const seen = new Set<string>();
    const poll = (async () => {
      const reader = new SQL(pg.url);
      while (!done) {
        const r = await reader.unsafe(`select tag, count(*)::int as n from ${schema}.events where _dagx_partition = '2024-01-01' group by tag order by tag`);
        seen.add(JSON.stringify(r));
      }
      await reader.close();
    })();
    await h.write(m, "events", "2024-01-01", big("new"));
    await h.write(m, "events", "2024-01-01", big("newer"));
    done = true;
    await poll;
    for (const s of seen) expect([`[{"tag":"old","n":200000}]`, `[{"tag":"new","n":200000}]`, `[{"tag":"newer","n":200000}]`]).toContain(s);
    expect(await db.unsafe(`select tag, count(*)::int as n from ${schema}.events group by tag order by tag`)).toEqual([{ tag: "newer", n: 200000 }, { tag: "other", n: 200000 }]);
  }, 60_000);

  test("a failed partition write keeps the previous rows; no temp table is left", async () => {
    const m = fresh();
    const schema = `t${schemas}`;
    await h.write(m, "events", "2024-01-01", [{ n: 1 }]);
    // fails in Postgres at the swap: the new partition's column has another type
    await expect(h.write(m, "events", "2024-01-01", [{ n: "text" }])).rejects.toThrow(/Cannot replace table .*events in Postgres/);
    expect(await db.unsafe(`select n::int as n, _dagx_partition from ${schema}.events`)).toEqual([{ n: 1, _dagx_partition: "2024-01-01" }]);
    const tmp = await db.unsafe(`select count(*)::int as n from pg_tables where schemaname = '${schema}' and tablename like '\\_dagx\\_tmp\\_%'`);
    expect(tmp).toEqual([{ n: 0 }]);
  });

  test("views of the user's on a table: replaced rows in place when the columns stay, a clear error when they change", async () => {
    const m = fresh();
    const schema = `t${schemas}`;
    await h.write(m, "orders", "", rows);
    await db.unsafe(`create view ${schema}.paid as select id from ${schema}.orders where paid`);
    // the same columns (and types): rows replaced in the table the view depends on
    await h.write(m, "orders", "", rows.map((r) => ({ ...r, paid: !r.paid })));
    expect(await db.unsafe(`select id::int as id from ${schema}.paid`)).toEqual([{ id: 2 }]);
    await expect(h.write(m, "orders", "", [{ id: 4 }])).rejects.toThrow(`views depend on table ${schema}.orders and the new output has other columns`);
    expect(await db.unsafe(`select id::int as id from ${schema}.paid`)).toEqual([{ id: 2 }]);
  });

  test("a query still reading the table: the swap waits up to lockTimeoutMs, then fails; the previous data is intact", async () => {
    const m = fresh({ lockTimeoutMs: 300 });
    const schema = `t${schemas}`;
    await h.write(m, "orders", "", rows);
    const reader = await db.reserve();
    try {
      await reader.unsafe(`begin; select count(*) from ${schema}.orders`);
      await expect(h.write(m, "orders", "", otherRows)).rejects.toThrow(/Cannot replace table t\d+\.orders in Postgres \S+: canceling statement due to lock timeout \(in DROP TABLE t\d+\.orders\): queries kept reading the table for 0\.3 s \(lockTimeoutMs of postgresTable\); the previous data is intact/);
      await reader.unsafe("commit");
    } finally {
      reader.release();
    }
    expect(await db.unsafe(`select id::int as id from ${schema}.orders order by id`)).toEqual([{ id: 1 }, { id: 2 }]);
    await h.write(m, "orders", "", otherRows);
    expect(await db.unsafe(`select id::int as id from ${schema}.orders order by id`)).toEqual([{ id: 3 }]);
  });

  test("concurrent writers (two DuckDB instances, as two runs) of partitions of one new table: every partition lands", async () => {
    const schema = `t${++schemas}`;
    const other = await createHarness();
    try {
      const a = createPostgresTable({ url: pg.url, schema });
      const b = createPostgresTable({ url: pg.url, schema });
      const days = ["2024-01-01", "2024-01-02", "2024-01-03", "2024-01-04"];
      await Promise.all(days.map((d, i) => (i % 2 === 0 ? h : other).write(i % 2 === 0 ? a : b, "events", d, [{ n: i, day: d }])));
      expect(await db.unsafe(`select _dagx_partition as p, n::int as n from ${schema}.events order by 1`)).toEqual(days.map((d, i) => ({ p: d, n: i })));
      expect(await db.unsafe(`select table_name, asset_key from ${schema}._dagx_owned`)).toEqual([{ table_name: "events", asset_key: "events" }]);
    } finally {
      await other.close();
    }
  });

  test("a table swapped by another run (another DuckDB instance) is read as it is now, not as this instance cached it", async () => {
    const schema = `t${++schemas}`;
    const other = await createHarness();
    try {
      const a = createPostgresTable({ url: pg.url, schema });
      const b = createPostgresTable({ url: pg.url, schema });
      const first = await h.write(a, "orders", "", rows);
      const read = async () => ((await h.read(a, "orders", [{ partitionKey: "", location: first.location }])) as { rows(): Promise<unknown[]> }).rows();
      expect((await read()).length).toBe(2);
      await other.write(b, "orders", "", [{ id: 7, extra: "x" }, { id: 8, extra: "y" }, { id: 9, extra: "z" }]);
      expect(await read()).toEqual([{ id: 7, extra: "x" }, { id: 8, extra: "y" }, { id: 9, extra: "z" }]);
    } finally {
      await other.close();
    }
  });

  test("sum() of integers (HUGEINT) keeps every digit; a STRUCT column is refused with what to do", async () => {
    const m = fresh();
    const schema = `t${schemas}`;
    await h.write(m, "totals", "", h.sql`select sum(x) as total from (values (9007199254740993::BIGINT), (1::BIGINT)) t(x)`);
    expect(await db.unsafe(`select total::text as t from ${schema}.totals`)).toEqual([{ t: "9007199254740994" }]);
    await expect(h.write(m, "nested", "", h.sql`select {'a': 1} as s`)).rejects.toThrow('column "s" is a STRUCT, which Postgres cannot store without a named type: return it as JSON (to_json(s) in ctx.sql) or as separate columns');
  });

  test("a wrong password: the error names the server, never the URL or the password", async () => {
    const bad = new URL(pg.url);
    bad.password = "not-the-Password-42";
    const m = createPostgresTable({ url: bad.toString(), schema: "nope" });
    let message = "";
    try {
      await h.write(m, "orders", "", rows);
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toContain(`Cannot connect to Postgres ${pg.user}@127.0.0.1:${pg.port}/${pg.database}`);
    expect(message).toContain("password authentication failed");
    expect(message).not.toContain("not-the-Password-42");
    expect(message).not.toContain(pg.password);
  });
});
