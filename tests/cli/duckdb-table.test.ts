// duckdbTable end to end: examples/shop runs unchanged with one config line switching its table
// outputs to a DuckDB warehouse; `dagx query`, staleness and `wipe --data` work the same; a table
// dagx did not create is never touched; a second process holding the warehouse open (as a BI tool
// does) makes a run wait and retry, then fail with a message naming it — the file intact.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { cpSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { BUN, dagx, makeProject, REPO, removeProject, runDagx } from "./helpers.ts";
import { dagxCommand } from "../support/dagx-command.ts";

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) removeProject(d);
});

/** Read `sql` from the warehouse with a DuckDB of this test (opened and closed around the query). */
async function warehouse(file: string, sql: string): Promise<Record<string, unknown>[]> {
  const db = await DuckDBInstance.create(file, { access_mode: "READ_ONLY" });
  const c = await db.connect();
  try {
    return (await c.runAndReadAll(sql)).getRowObjectsJS();
  } finally {
    c.closeSync();
    db.closeSync();
  }
}

describe("examples/shop with io: duckdbTable", () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "dagx-shop-wh-"));
    dirs.push(dir);
    cpSync(join(REPO, "examples/shop"), dir, { recursive: true, filter: (src) => !src.includes(".dagx") });
    const config = readFileSync(join(dir, "dagx.config.ts"), "utf8");
    // the one line: the project default IO manager of table outputs
    writeFileSync(join(dir, "dagx.config.ts"), config.replace('import { defineConfig } from "dagx";', 'import { defineConfig, duckdbTable } from "dagx";').replace("concurrency: 4,", 'concurrency: 4,\n  io: duckdbTable({ path: "warehouse.duckdb" }),'));
  });

  test("materializes every asset: tables in warehouse.duckdb, JSON values as before", async () => {
    const r = await runDagx(dir, ["materialize", "--json"]);
    expect(r.stderr).not.toContain("error");
    expect(r.code).toBe(0);
    expect(r.json<{ status: string }>().status).toBe("success");
    expect(existsSync(join(dir, ".dagx/data/orders/data.parquet"))).toBe(false);
    expect(existsSync(join(dir, ".dagx/data/settings/value.json"))).toBe(true);
    const tables = await warehouse(join(dir, "warehouse.duckdb"), "select table_name from duckdb_tables() order by 1");
    expect(tables.map((t) => t.table_name)).toEqual(["_dagx_owned", "analytics__revenue_by_customer", "customers", "daily_revenue", "orders", "top_customers"]);
    const top = await warehouse(join(dir, "warehouse.duckdb"), "select * from top_customers order by rank");
    expect(top.length).toBe(3);
    expect(top[0]!.currency).toBe("EUR");
  });

  test("dagx query reads the tables by asset key, and status says fresh", async () => {
    const q = await runDagx(dir, ["query", "select count(*)::int as n from top_customers", "--json"]);
    expect(q.code).toBe(0);
    expect(q.json()).toEqual([{ n: 3 }]);
    const s = await runDagx(dir, ["status", "--json"]);
    expect(s.json<{ status: string }[]>().every((x) => x.status === "fresh")).toBe(true);
    expect((await runDagx(dir, ["materialize", "--stale", "--json"])).json<{ status: string }>().status).toBe("nothing");
  });

  test("identical content gives the same data version: a forced rerun of orders cuts off downstream", async () => {
    const before = (await runDagx(dir, ["query", "select count(*)::int as n from daily_revenue", "--json"])).json();
    const r = await runDagx(dir, ["materialize", "orders", "--json"]);
    expect(r.code).toBe(0);
    const s = await runDagx(dir, ["status", "--json"]);
    expect(s.json<{ status: string }[]>().every((x) => x.status === "fresh")).toBe(true);
    expect((await runDagx(dir, ["query", "select count(*)::int as n from daily_revenue", "--json"])).json()).toEqual(before);
  });

  test("wipe --data drops the asset's table and its ownership record", async () => {
    const r = await runDagx(dir, ["wipe", "top_customers", "--data", "--json"]);
    expect(r.code).toBe(0);
    const tables = await warehouse(join(dir, "warehouse.duckdb"), "select table_name from duckdb_tables() order by 1");
    expect(tables.map((t) => t.table_name)).not.toContain("top_customers");
    expect(await warehouse(join(dir, "warehouse.duckdb"), "select count(*)::int as n from _dagx_owned where table_name = 'top_customers'")).toEqual([{ n: 0 }]);
  });
});

const CONFIG = (timeoutMs: number) =>
  `import { defineConfig, duckdbTable } from "dagx";\nexport default defineConfig({ ioManagers: { warehouse: duckdbTable({ path: "wh.duckdb", lockTimeoutMs: ${timeoutMs} }) } });\n`;
const ASSETS = `import { asset, daily } from "dagx";
export const events = asset({ io: "warehouse", partitions: daily({ start: "2024-01-01" }) }, (ctx) => [{ n: 1, day: ctx.partition.key }, { n: 2, day: ctx.partition.key }]);
export const total = asset({ io: "warehouse", ins: { events } }, (ctx, { events }) => ctx.sql\`select count(*)::int as rows, sum(n)::int as n from \${events}\`);
`;

describe("duckdbTable safety", () => {
  test("a table of the asset's name that dagx did not create is an error naming it, and stays as it was", async () => {
    const dir = makeProject({ "dagx.config.ts": CONFIG(5000), "a.asset.ts": ASSETS }, "dagx-wh-foreign-");
    dirs.push(dir);
    const db = await DuckDBInstance.create(join(dir, "wh.duckdb"));
    const c = await db.connect();
    await c.run("create table total as select 'theirs' as owner");
    c.closeSync();
    db.closeSync();
    const r = await runDagx(dir, ["materialize", "--partition", "2024-01-02"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('Cannot store "total" in warehouse "wh.duckdb": table main.total already exists and dagx did not create it');
    expect(await warehouse(join(dir, "wh.duckdb"), "select * from total")).toEqual([{ owner: "theirs" }]);
    // partitions: downstream reads exactly the materialized ones
    const q = await runDagx(dir, ["query", "select day, count(*)::int as n from events group by day order by day", "--json"]);
    expect(q.json()).toEqual([{ day: "2024-01-02", n: 2 }]);
  });

  test("a second process holding the warehouse open: the run waits and retries, then fails naming it; the file is intact", async () => {
    const dir = makeProject({ "dagx.config.ts": CONFIG(1500), "a.asset.ts": ASSETS }, "dagx-wh-lock-");
    dirs.push(dir);
    expect((await dagx(dir, ["materialize", "events", "--partition", "2024-01-01"])).code).toBe(0);
    // a reader like a BI tool: opens the file (DuckDB allows one process) and keeps it open until told to go
    const holder = join(dir, "hold.ts");
    writeFileSync(holder, `import { DuckDBInstance } from "${join(REPO, "node_modules/@duckdb/node-api")}";\nconst db = await DuckDBInstance.create(process.argv[2]);\nconst c = await db.connect();\nawait c.run("select count(*) from events");\nconsole.log("holding");\nawait Bun.sleep(Number(process.argv[3]));\nc.closeSync(); db.closeSync();\n`);
    const hold = (ms: number) => {
      const p = Bun.spawn([BUN, holder, join(dir, "wh.duckdb"), String(ms)], { stdout: "pipe", stderr: "inherit" });
      return { p, ready: (async () => { for await (const chunk of p.stdout) if (new TextDecoder().decode(chunk).includes("holding")) return; })() };
    };
    const long = hold(20_000);
    await long.ready;
    const failed = await dagx(dir, ["materialize", "events", "--partition", "2024-01-02"]);
    long.p.kill();
    await long.p.exited;
    expect(failed.code).toBe(1);
    expect(failed.stderr).toMatch(/Waiting for warehouse ".*wh\.duckdb": process \d+ \(.*\) holds it open/);
    expect(failed.stderr).toMatch(/Cannot store "events" in warehouse ".*wh\.duckdb": process \d+ \(.*\) has held the file open for 1\.5 s: close that program \(or "kill \d+"\)/);
    // a holder that lets go while the run waits (it is closed once the run says it waits): the run then succeeds
    writeFileSync(join(dir, "dagx.config.ts"), CONFIG(30_000));
    const second = hold(60_000);
    await second.ready;
    const run = Bun.spawn([...(await dagxCommand()), "materialize", "events", "--partition", "2024-01-02"], { cwd: dir, stdout: "pipe", stderr: "pipe", env: { ...process.env, NO_COLOR: "1", CI: "1" } });
    const reader = run.stderr.getReader();
    let stderr = "";
    let closed = false;
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      stderr += new TextDecoder().decode(value);
      if (!closed && stderr.includes("Waiting for warehouse")) {
        closed = true;
        second.p.kill();
        await second.p.exited;
      }
    }
    second.p.kill();
    expect(await run.exited).toBe(0);
    expect(stderr).toContain("Waiting for warehouse");
    expect(stderr).toContain("is free again: continuing");
    const q = await runDagx(dir, ["query", "select day, count(*)::int as n from events group by day order by day", "--json"]);
    expect(q.json()).toEqual([{ day: "2024-01-01", n: 2 }, { day: "2024-01-02", n: 2 }]);
  }, 60_000);

  test("checks read the table (in a run and with dagx check); wipe --partitions --data deletes only those rows", async () => {
    const checked = `import { asset, check, daily, notNull, rowCount } from "dagx";
export const events = asset({ io: "warehouse", partitions: daily({ start: "2024-01-01" }), checks: [notNull("n"), rowCount({ min: 2 })] }, (ctx) => [{ n: 1, day: ctx.partition.key }, { n: 2, day: ctx.partition.key }]);
export const positive = check(events, async (ctx, events) => {
  const [r] = await ctx.sql\`select count(*)::int as bad from \${events} where n <= 0\`.rows();
  return r?.bad === 0;
});
`;
    const dir = makeProject({ "dagx.config.ts": CONFIG(5000), "a.asset.ts": checked }, "dagx-wh-checks-");
    dirs.push(dir);
    const r = await runDagx(dir, ["materialize", "--partitions", "2024-01-01..2024-01-02", "--json"]);
    expect(r.code).toBe(0);
    const c = await runDagx(dir, ["check", "events", "--json"]);
    expect(c.code).toBe(0);
    const results = c.json<{ check: string; partition: string; passed: boolean }[]>();
    expect(results.length).toBe(6);
    expect(results.every((x) => x.passed)).toBe(true);
    expect((await runDagx(dir, ["wipe", "events", "--partitions", "2024-01-01", "--data"])).code).toBe(0);
    expect(await warehouse(join(dir, "wh.duckdb"), "select day, count(*)::int as n from events group by day order by day")).toEqual([{ day: "2024-01-02", n: 2 }]);
    expect((await runDagx(dir, ["wipe", "events", "--data"])).code).toBe(0);
    expect(await warehouse(join(dir, "wh.duckdb"), "select count(*)::int as n from duckdb_tables() where table_name = 'events'")).toEqual([{ n: 0 }]);
  });
});
