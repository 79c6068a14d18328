// A project's own location is data, never a pattern (STYLE 32): a folder named `status=paid` above
// the project adds no column, and `[`, `]`, `*`, `?` in its path never glob another project's files
// — in dagx's own reads and in user SQL over `ctx.path(...)`.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { cpSync, mkdirSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { runDagx, makeProject, ok, removeProject } from "./helpers.ts";

const dirs: string[] = [];
afterAll(() => dirs.forEach(removeProject));

const FILES = (who: string) => ({
  "data/orders.csv": `id,amount\n1,${who === "mine" ? 10 : 99}\n`,
  "shop.asset.ts": [
    `import { asset, daily, notNull } from "dagx";`,
    `export const raw = asset((ctx) => ctx.sql\`select * from read_csv(\${ctx.path("data/orders.csv")})\`);`,
    `export const who = asset(() => [{ who: "${who}" }]);`,
    `export const copy = asset({ ins: { raw, who } }, (ctx, { raw, who }) => ctx.sql\`select r.*, w.who from \${raw} r, \${who} w\`);`,
    `export const rows = asset({ ins: { who } }, async (ctx, { who }) => (await who.rows()).map((r: any) => ({ cols: Object.keys(r).join(","), who: r.who })));`,
    `export const days = asset({ partitions: daily({ start: "2024-01-01", end: "2024-01-03" }), checks: [notNull("who")] }, (ctx) => [{ who: "${who}" }]);`,
    `export const days_all = asset({ ins: { days } }, (ctx, { days }) => ctx.sql\`select * from \${days}\`);`,
    `export const split = asset({ partitions: daily({ start: "2024-01-01", end: "2024-01-03" }), backfill: "single-run" },`,
    `  (ctx) => ctx.partition.keys.map((date: string) => ({ date, who: "${who}" })));`,
    ``,
  ].join("\n"),
});

async function columns(dir: string, view: string): Promise<string[]> {
  const rows = ok(await runDagx(dir, ["query", `select column_name from (describe ${view})`, "--json"])).json<{ column_name: string }[]>();
  return rows.map((r) => r.column_name);
}

describe("a project under folders named status=paid [x]*", () => {
  let dir = "";
  let twin = "";
  beforeAll(async () => {
    // `status=paid [x]*-…` is a hive folder to DuckDB and a glob pattern that matches `status=paid x-…`
    dir = makeProject(FILES("mine"), "status=paid [x]*-");
    twin = join(dirname(dir), basename(dir).replace("[x]*", "x"));
    mkdirSync(twin);
    cpSync(join(dir, "shop.asset.ts"), join(twin, "shop.asset.ts"));
    cpSync(join(dir, "data"), join(twin, "data"), { recursive: true });
    dirs.push(dir, twin);
    await Bun.write(join(twin, "data/orders.csv"), "id,amount\n1,99\n");
    await Bun.write(join(twin, "shop.asset.ts"), FILES("twin")["shop.asset.ts"]);
    ok(await runDagx(twin, ["materialize", "raw", "who", "copy", "rows"]));
    ok(await runDagx(twin, ["materialize", "days", "split", "--partitions", "*"]));
  });

  test("user SQL over ctx.path() reads the project's own file, with only the file's columns", async () => {
    ok(await runDagx(dir, ["materialize", "raw"]));
    expect(await columns(dir, "raw")).toEqual(["id", "amount"]);
    expect(ok(await runDagx(dir, ["query", "select amount from raw", "--json"])).json()).toEqual([{ amount: 10 }]);
  });

  test("inputs read the project's own files: no column from a folder name, no file of the look-alike project", async () => {
    ok(await runDagx(dir, ["materialize", "who", "copy", "rows"]));
    expect(ok(await runDagx(dir, ["query", "select * from copy", "--json"])).json()).toEqual([{ id: 1, amount: 10, who: "mine" }]);
    expect(ok(await runDagx(dir, ["query", "select * from rows", "--json"])).json()).toEqual([{ cols: "who", who: "mine" }]);
    expect(await columns(dir, "who")).toEqual(["who"]);
  });

  test("partitioned outputs, their checks, whole-asset readers and single-run splits stay in the project", async () => {
    const run = ok(await runDagx(dir, ["materialize", "days", "split", "--partitions", "*", "--json"])).json<{ status: string }>();
    expect(run.status).toBe("success");
    ok(await runDagx(dir, ["materialize", "days_all"]));
    expect(await columns(dir, "days_all")).toEqual(["who", "date"]);
    expect(ok(await runDagx(dir, ["query", "select distinct who from days_all union all select distinct who from days union all select distinct who from split", "--json"])).json()).toEqual([
      { who: "mine" },
      { who: "mine" },
      { who: "mine" },
    ]);
    expect((await columns(dir, "split")).sort()).toEqual(["date", "who"]);
    const checks = ok(await runDagx(dir, ["check", "days", "--json"])).json<{ passed: boolean }[]>();
    expect(checks.map((c) => c.passed)).toEqual([true, true]);
  });
});
