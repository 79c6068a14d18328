/**
 * `*.asset.sql` through the CLI: `dagx sql KEY [--partition K]` (text and --json), `dagx list`
 * with a SQL asset whose header is wrong (file:line:column, code frame, exit 2), and a TS asset
 * whose ref() names no asset (did-you-mean at the TS file).
 */
import { afterAll, describe, expect, test } from "bun:test";
import { makeProject, removeProject, runDagx } from "./helpers.ts";

const dirs: string[] = [];
afterAll(() => dirs.forEach(removeProject));
const project = (files: Record<string, string>) => {
  const d = makeProject(files, "dagx-sql-cli-");
  dirs.push(d);
  return d;
};

const EVENTS = [
  "-- Daily events.",
  "-- @partitions: daily(start=2024-01-01, end=2024-02-01)",
  "-- @external: raw.events",
  "select * from raw.events where day >= $partition_start and day < $partition_end and tag <> '$partition_key'",
].join("\n");

describe("dagx sql", () => {
  test("prints the compiled query with its bound parameters; --json shape", async () => {
    const dir = project({ "events.asset.sql": EVENTS });
    const r = await runDagx(dir, ["sql", "events", "--partition", "2024-01-02"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("select * from raw.events where day >= $1 and day < $2 and tag <> '$partition_key'");
    expect(r.stderr).toContain("$1 = '2024-01-02T00:00:00.000Z'  ($partition_start)");
    const j = await runDagx(dir, ["sql", "events", "--partition", "2024-01-02", "--json"]);
    expect(j.json()).toEqual({
      key: "events",
      file: "events.asset.sql",
      sql: expect.stringContaining("day >= $1 and day < $2"),
      params: [
        { index: 1, name: "partition_start", value: "2024-01-02T00:00:00.000Z" },
        { index: 2, name: "partition_end", value: "2024-01-03T00:00:00.000Z" },
      ],
      upstreams: [],
      external: ["raw.events"],
    });
  });

  test("an unknown key is a usage error with did-you-mean", async () => {
    const dir = project({ "events.asset.sql": EVENTS });
    const r = await runDagx(dir, ["sql", "evnets"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('did you mean "events"');
  });
});

describe("load errors of SQL assets", () => {
  test("a bad header value: file:line:column and a code frame in list (other assets still list, as for a TS file); materialize exits 2", async () => {
    const dir = project({ "a.asset.sql": ["-- @group: g", "-- @checks: not_nul(id)", "select 1 as id"].join("\n"), "b.asset.sql": "select 2 as id" });
    const r = await runDagx(dir, ["list"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("b");
    const m = await runDagx(dir, ["materialize", "a"]);
    expect(m.code).toBe(2);
    expect(m.stderr).toContain("a.asset.sql:2:13");
    expect(r.stderr).toContain("a.asset.sql:2:13");
    expect(r.stderr).toContain('unknown check "not_nul" — did you mean "not_null"?');
    expect(r.stderr).toContain("> 2 | -- @checks: not_nul(id)");
  });

  test("ref() to an unknown key: did-you-mean at the TS file", async () => {
    const dir = project({
      "totals.asset.sql": "select 1 as total",
      "top.asset.ts": [`import { asset, ref } from "dagx";`, `export const top = asset({ ins: { t: ref("totls") } }, (ctx, { t }) => ctx.sql\`select * from \${t}\`);`].join("\n"),
    });
    const r = await runDagx(dir, ["list"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('ref("totls")');
    expect(r.stderr).toContain("top.asset.ts:2");
    expect(r.stderr).toContain('did you mean "totals"');
  });
});
