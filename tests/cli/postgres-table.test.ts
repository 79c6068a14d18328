// postgresTable end to end against a real (embedded) Postgres: examples/shop runs unchanged with
// one config line; `dagx query`, staleness, early cutoff, checks, `wipe --data` and `gc` work as
// for the other managers and touch only the tables dagx recorded; a table dagx did not create is
// never touched; a failed run keeps the previous data; the URL's password appears in no output.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { cpSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SQL } from "bun";
import { startPostgres, type PostgresServer } from "../support/postgres.ts";
import { type CliResult, dagx, makeProject, REPO, removeProject, runDagx } from "./helpers.ts";
import { dagxCommand } from "../support/dagx-command.ts";

let pg: PostgresServer;
let db: SQL;
const dirs: string[] = [];
beforeAll(async () => {
  pg = await startPostgres();
  db = new SQL(pg.url);
});
afterAll(async () => {
  await db?.close();
  await pg?.stop();
  for (const d of dirs) removeProject(d);
});

/** Every output a test saw, to grep for the password at the end. */
const outputs: string[] = [];
const seen = (r: CliResult) => (outputs.push(r.stdout, r.stderr), r);
const env = () => ({ DATABASE_URL: pg.url });

/** Every file under `dir` (the state file, logs, outputs), as bytes decoded loosely. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name))
    .filter((f) => statSync(f).size < 50_000_000)
    .map((f) => readFileSync(f).toString("latin1"));
}

const tables = async (schema: string) => (await db`select tablename from pg_tables where schemaname = ${schema} order by 1`).map((r: { tablename: string }) => r.tablename);

describe("examples/shop with io: postgresTable", () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "dagx-shop-pg-"));
    dirs.push(dir);
    cpSync(join(REPO, "examples/shop"), dir, { recursive: true, filter: (src) => !src.includes(".dagx") });
    const config = readFileSync(join(dir, "dagx.config.ts"), "utf8");
    // the one line: the project default IO manager of table outputs
    writeFileSync(join(dir, "dagx.config.ts"), config.replace('import { defineConfig } from "dagx";', 'import { defineConfig, env, postgresTable } from "dagx";').replace("concurrency: 4,", 'concurrency: 4,\n  io: postgresTable({ url: env("DATABASE_URL"), schema: "shop" }),'));
  });

  test("materializes every asset: tables in Postgres, JSON values as before", async () => {
    // someone else's table in the same schema: never touched by anything below
    await db.unsafe("create schema if not exists shop; create table shop.budget (amount int); insert into shop.budget values (7)");
    const r = seen(await runDagx(dir, ["materialize", "--json"], { env: env() }));
    expect(r.stderr).not.toContain("error");
    expect(r.code).toBe(0);
    expect(r.json<{ status: string }>().status).toBe("success");
    expect(await tables("shop")).toEqual(["_dagx_owned", "analytics__revenue_by_customer", "budget", "customers", "daily_revenue", "orders", "top_customers"]);
    const top = await db`select * from shop.top_customers order by rank`;
    expect(top.length).toBe(3);
    expect(top[0].currency).toBe("EUR");
    expect(readdirSync(join(dir, ".dagx/data/settings"))).toContain("value.json");
  });

  test("dagx query reads the tables by asset key; status says fresh; a forced rerun of orders cuts off downstream", async () => {
    const q = seen(await runDagx(dir, ["query", "select count(*)::int as n from top_customers", "--json"], { env: env() }));
    expect(q.code).toBe(0);
    expect(q.json()).toEqual([{ n: 3 }]);
    const s = seen(await runDagx(dir, ["status", "--json"], { env: env() }));
    expect(s.json<{ status: string }[]>().every((x) => x.status === "fresh")).toBe(true);
    const before = seen(await runDagx(dir, ["query", "select count(*)::int as n from daily_revenue", "--json"], { env: env() })).json();
    expect(seen(await runDagx(dir, ["materialize", "orders", "--json"], { env: env() })).code).toBe(0);
    const after = seen(await runDagx(dir, ["status", "--json"], { env: env() }));
    expect(after.json<{ status: string }[]>().every((x) => x.status === "fresh")).toBe(true);
    expect(seen(await runDagx(dir, ["query", "select count(*)::int as n from daily_revenue", "--json"], { env: env() })).json()).toEqual(before);
    expect(seen(await runDagx(dir, ["materialize", "--stale", "--json"], { env: env() })).json<{ status: string }>().status).toBe("nothing");
  });

  test("wipe --data drops only the asset's table and record; gc drops nothing in Postgres", async () => {
    const r = seen(await runDagx(dir, ["wipe", "top_customers", "--data", "--json"], { env: env() }));
    expect(r.code).toBe(0);
    expect(await tables("shop")).toEqual(["_dagx_owned", "analytics__revenue_by_customer", "budget", "customers", "daily_revenue", "orders"]);
    expect(await db`select count(*)::int as n from shop._dagx_owned where table_name = 'top_customers'`).toEqual([{ n: 0 }]);
    const gc = seen(await runDagx(dir, ["gc", "--keep", "0s", "--json"], { env: env() }));
    expect(gc.code).toBe(0);
    expect(await tables("shop")).toEqual(["_dagx_owned", "analytics__revenue_by_customer", "budget", "customers", "daily_revenue", "orders"]);
    expect(await db`select amount from shop.budget`).toEqual([{ amount: 7 }]);
    // wiping everything leaves the foreign table and the record table
    expect(seen(await runDagx(dir, ["wipe", "*", "--data", "--json"], { env: env() })).code).toBe(0);
    expect(await tables("shop")).toEqual(["_dagx_owned", "budget"]);
  });

  test("the URL and its password appear in no output, log, event or state file", async () => {
    const logs = seen(await runDagx(dir, ["runs", "--json"], { env: env() }));
    expect(logs.code).toBe(0);
    for (const text of [...outputs, ...filesUnder(join(dir, ".dagx"))]) {
      expect(text).not.toContain(pg.password);
    }
  });
});

const CONFIG = `import { defineConfig, env, postgresTable } from "dagx";
export default defineConfig({ ioManagers: { pg: postgresTable({ url: env("DATABASE_URL"), schema: "app" }) } });
`;
const ASSETS = `import { asset, check, daily, notNull, rowCount } from "dagx";
export const events = asset({ io: "pg", partitions: daily({ start: "2024-01-01" }), checks: [notNull("n"), rowCount({ min: 2 })] }, (ctx) => {
  if (process.env.FAIL_EVENTS === ctx.partition.key) throw new Error("source down");
  return [{ n: 1, day: ctx.partition.key }, { n: 2, day: ctx.partition.key }];
});
export const positive = check(events, async (ctx, events) => {
  const [r] = await ctx.sql\`select count(*)::int as bad from \${events} where n <= 0\`.rows();
  return r?.bad === 0;
});
export const total = asset({ io: "pg", ins: { events } }, (ctx, { events }) => ctx.sql\`select count(*)::int as rows, sum(n)::int as n from \${events}\`);
export const limits = asset({ io: "pg" }, () => ({ max: 10, tags: ["a", "b"] }));
export const report = asset({ ins: { limits, total } }, async (ctx, { limits, total }) => {
  const [t] = await total.rows();
  return [{ max: limits.max, rows: t.rows }];
});
`;

describe("postgresTable per asset", () => {
  let dir: string;
  beforeAll(() => {
    dir = makeProject({ "dagx.config.ts": CONFIG, "a.asset.ts": ASSETS }, "dagx-pg-app-");
    dirs.push(dir);
  });

  test("a table of the asset's name that dagx did not create is an error naming it, and stays as it was", async () => {
    await db.unsafe("create schema if not exists app; create table app.total (owner text); insert into app.total values ('theirs')");
    const r = seen(await runDagx(dir, ["materialize", "--partition", "2024-01-02"], { env: env() }));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`Cannot store "total" in Postgres ${pg.user}@127.0.0.1:${pg.port}/${pg.database}: table app.total already exists and dagx did not create it`);
    expect(await db`select * from app.total`).toEqual([{ owner: "theirs" }]);
    await db.unsafe("drop table app.total");
  });

  test("partitions, a JSON value as a one-row json table, checks in a run and with dagx check, query", async () => {
    const r = seen(await runDagx(dir, ["materialize", "--partitions", "2024-01-01..2024-01-02", "--json"], { env: env() }));
    expect(r.code).toBe(0);
    expect(await db`select value::text as v from app.limits`).toEqual([{ v: '{"max":10,"tags":["a","b"]}' }]);
    expect(seen(await runDagx(dir, ["query", "select * from report", "--json"], { env: env() })).json()).toEqual([{ max: 10, rows: 4 }]);
    const c = seen(await runDagx(dir, ["check", "events", "--json"], { env: env() }));
    expect(c.code).toBe(0);
    const results = c.json<{ passed: boolean }[]>();
    expect(results.length).toBe(6);
    expect(results.every((x) => x.passed)).toBe(true);
    const q = seen(await runDagx(dir, ["query", "select day, count(*)::int as n from events group by day order by day", "--json"], { env: env() }));
    expect(q.json()).toEqual([{ day: "2024-01-01", n: 2 }, { day: "2024-01-02", n: 2 }]);
    const v = seen(await runDagx(dir, ["query", "select value->>'max' as max from limits", "--json"], { env: env() }));
    expect(v.json()).toEqual([{ max: "10" }]);
  });

  test("a failed run keeps the previous data; wipe --partitions --data deletes only those rows", async () => {
    const r = seen(await runDagx(dir, ["materialize", "events", "--partition", "2024-01-02"], { env: { ...env(), FAIL_EVENTS: "2024-01-02" } }));
    expect(r.code).toBe(1);
    expect(await db`select day, count(*)::int as n from app.events group by day order by day`).toEqual([{ day: "2024-01-01", n: 2 }, { day: "2024-01-02", n: 2 }]);
    expect(seen(await runDagx(dir, ["wipe", "events", "--partitions", "2024-01-01", "--data"], { env: env() })).code).toBe(0);
    expect(await db`select day, count(*)::int as n from app.events group by day order by day`).toEqual([{ day: "2024-01-02", n: 2 }]);
  });

  test("a killed run leaves the previous table whole and readable", async () => {
    // a run killed while it writes a big partition (during the COPY, or right after): the partition keeps its rows
    const big = `${ASSETS}\nexport const wide = asset({ io: "pg" }, (ctx) => ctx.sql\`select range as i, md5(range::varchar) as h from range(\${Number(process.env.ROWS ?? 10)})\`);\n`;
    writeFileSync(join(dir, "a.asset.ts"), big);
    expect((await dagx(dir, ["materialize", "wide"], { env: env() })).code).toBe(0);
    const p = Bun.spawn([...(await dagxCommand()), "materialize", "wide"], { cwd: dir, stdout: "ignore", stderr: "ignore", env: { ...process.env, ...env(), ROWS: "3000000" } });
    // wait until its COPY into Postgres runs, then kill it
    let copying = false;
    for (let i = 0; i < 600 && !copying; i++) {
      const [t] = await db`select count(*)::int as n from pg_stat_activity where query ilike 'COPY %' and state = 'active'`;
      copying = t.n > 0;
      if (!copying) await Bun.sleep(25);
    }
    expect(copying).toBe(true);
    p.kill(9);
    await p.exited;
    expect(await db`select count(*)::int as n from app.wide`).toEqual([{ n: 10 }]);
    // the next run goes on as usual (its leftover temp table is harmless, dropped by a write a day later)
    expect((await dagx(dir, ["materialize", "wide"], { env: { ...env(), ROWS: "20" } })).code).toBe(0);
    expect(await db`select count(*)::int as n from app.wide`).toEqual([{ n: 20 }]);
  }, 60_000);

  test("a wrong password: the run fails naming the server; the password is in no output", async () => {
    const wrong = new URL(pg.url);
    wrong.password = "Wrong-Secret-9271";
    const r = await runDagx(dir, ["materialize", "limits", "--json"], { env: { DATABASE_URL: wrong.toString() } });
    expect(r.code).toBe(1);
    const logs = await runDagx(dir, ["logs", "--json"], { env: { DATABASE_URL: wrong.toString() } });
    const all = [r.stdout, r.stderr, logs.stdout, logs.stderr, ...filesUnder(join(dir, ".dagx"))];
    expect(r.stdout + r.stderr).toContain("password authentication failed");
    for (const text of all) {
      expect(text).not.toContain("Wrong-Secret-9271");
      expect(text).not.toContain(pg.password);
    }
  });
});

describe("postgresTable config", () => {
  test("a bad option: exit 2 naming dagx.config.ts:line and the option", async () => {
    const dir = makeProject({ "dagx.config.ts": `import { defineConfig, env, postgresTable } from "dagx";\nexport default defineConfig({\n  io: postgresTable({ url: env("DATABASE_URL"), schema: "My Schema" }),\n});\n`, "a.asset.ts": `import { asset } from "dagx";\nexport const a = asset(() => [{ x: 1 }]);\n` }, "dagx-pg-config-");
    dirs.push(dir);
    const r = await runDagx(dir, ["materialize"], { env: env() });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`dagx.config.ts:3: postgresTable's schema must be a plain lower-case name (letters, digits, "_"), like "analytics" (got "My Schema")`);
  });

  test("DATABASE_URL not set: the steps that store there fail saying so; others run", async () => {
    const dir = makeProject({ "dagx.config.ts": CONFIG, "a.asset.ts": `import { asset } from "dagx";\nexport const a = asset({ io: "pg" }, () => [{ x: 1 }]);\nexport const b = asset(() => [{ x: 2 }]);\n` }, "dagx-pg-noenv-");
    dirs.push(dir);
    const r = await runDagx(dir, ["materialize"], { env: { DATABASE_URL_UNUSED: "1" } });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('Environment variable "DATABASE_URL" is not set (needed by the IO manager of "a", env() at dagx.config.ts:2)');
    expect(readdirSync(join(dir, ".dagx/data/b"))).toEqual(["data.parquet"]);
  });
});
